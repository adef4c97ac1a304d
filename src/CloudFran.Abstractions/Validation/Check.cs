using System.Net.Mail;
using System.Text.RegularExpressions;
using CloudFran.Abstractions.Errors;
using PhoneNumbers;

namespace CloudFran.Abstractions.Validation;

/// <summary>
/// Collects field errors for one request and throws them together as a 400 with details.
/// Missing required fields alone → MISSING_FIELD; anything else invalid → INVALID_INPUT.
/// </summary>
public sealed partial class Check
{
    private static readonly PhoneNumberUtil Phones = PhoneNumberUtil.GetInstance();
    private readonly List<FieldError> _missing = [];
    private readonly List<FieldError> _invalid = [];

    public bool HasErrors => _missing.Count + _invalid.Count > 0;

    public Check Missing(string field)
    {
        _missing.Add(new FieldError(field, $"{field} is required."));
        return this;
    }

    public Check Invalid(string field, string message)
    {
        _invalid.Add(new FieldError(field, message));
        return this;
    }

    /// <summary>Required non-blank text of at most <paramref name="max"/> characters.</summary>
    public Check Required(string field, string? value, int max)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return Missing(field);
        }
        return Text(field, value, max);
    }

    /// <summary>Optional text: when present, not blank and at most <paramref name="max"/> characters.</summary>
    public Check Text(string field, string? value, int max)
    {
        if (value is null)
        {
            return this;
        }
        if (string.IsNullOrWhiteSpace(value))
        {
            return Invalid(field, $"{field} must not be blank.");
        }
        if (value.Length > max)
        {
            return Invalid(field, $"{field} must be at most {max} characters.");
        }
        if (value.Any(c => char.IsControl(c) && c is not ('\n' or '\r' or '\t')))
        {
            return Invalid(field, $"{field} contains control characters.");
        }
        return this;
    }

    public Check OneOf(string field, string? value, IReadOnlyCollection<string> allowed)
    {
        if (value is not null && !allowed.Contains(value))
        {
            Invalid(field, $"{field} must be one of: {string.Join(", ", allowed)}.");
        }
        return this;
    }

    public Check Phone(string field, string? value)
    {
        if (!string.IsNullOrEmpty(value) && !IsE164(value))
        {
            Invalid(field, $"{field} must be a valid phone number in E.164 format (e.g. +14155550123).");
        }
        return this;
    }

    public Check Email(string field, string? value)
    {
        if (!string.IsNullOrEmpty(value) && !IsEmail(value))
        {
            Invalid(field, $"{field} must be a valid email address.");
        }
        return this;
    }

    public Check TimeZone(string field, string? value)
    {
        if (value is not null && !IsIanaTimeZone(value))
        {
            Invalid(field, $"{field} must be an IANA time zone such as America/New_York.");
        }
        return this;
    }

    public Check HexColor(string field, string? value)
    {
        if (value is not null && !HexColorPattern().IsMatch(value))
        {
            Invalid(field, $"{field} must be a hex color such as #1A2B3C.");
        }
        return this;
    }

    public Check Range(string field, long? value, long min, long max)
    {
        if (value is not null && (value < min || value > max))
        {
            Invalid(field, $"{field} must be between {min} and {max}.");
        }
        return this;
    }

    /// <summary>Throws the collected errors, if any.</summary>
    public void ThrowIfInvalid()
    {
        if (!HasErrors)
        {
            return;
        }
        var details = _missing.Concat(_invalid).ToList();
        var onlyMissing = _invalid.Count == 0;
        var message = onlyMissing
            ? (details.Count == 1 ? details[0].Message : "Required fields are missing.")
            : (details.Count == 1 ? details[0].Message : "The request has invalid fields.");
        throw new CloudFranException(ErrorKind.Invalid, onlyMissing ? ErrorCodes.MissingField : ErrorCodes.InvalidInput, message, details);
    }

    public static bool IsE164(string value)
    {
        if (!E164Pattern().IsMatch(value))
        {
            return false;
        }
        try
        {
            var parsed = Phones.Parse(value, null);
            return Phones.IsValidNumber(parsed);
        }
        catch (NumberParseException)
        {
            return false;
        }
    }

    public static bool IsEmail(string value) =>
        value.Length <= 254 && EmailPattern().IsMatch(value) && MailAddress.TryCreate(value, out var parsed)
        && parsed.Address == value;

    public static bool IsIanaTimeZone(string value)
    {
        if (value.Length > 64 || !value.Contains('/') && value != "UTC")
        {
            return false;
        }
        return TimeZoneInfo.TryFindSystemTimeZoneById(value, out var tz) && tz.HasIanaId;
    }

    [GeneratedRegex(@"^\+[1-9]\d{6,14}$")]
    private static partial Regex E164Pattern();

    [GeneratedRegex(@"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
    private static partial Regex EmailPattern();

    [GeneratedRegex("^#([0-9a-fA-F]{6}|[0-9a-fA-F]{3})$")]
    private static partial Regex HexColorPattern();
}
