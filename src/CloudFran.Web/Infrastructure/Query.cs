using System.Globalization;
using CloudFran.Abstractions.Validation;
using Microsoft.AspNetCore.Http;

namespace CloudFran.Web.Infrastructure;

/// <summary>Query-string reading with field-level errors instead of binder exceptions.</summary>
public static class Query
{
    public static int Int(this Check check, HttpContext http, string name, int fallback, int min, int max)
    {
        var raw = http.Request.Query[name].ToString();
        if (raw.Length == 0)
        {
            return fallback;
        }
        if (!int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            check.Invalid(name, $"{name} must be an integer between {min} and {max}.");
            return fallback;
        }
        return value;
    }

    public static string? Enum(this Check check, HttpContext http, string name, IReadOnlyCollection<string> allowed)
    {
        var raw = http.Request.Query[name].ToString();
        if (raw.Length == 0)
        {
            return null;
        }
        check.OneOf(name, raw, allowed);
        return raw;
    }

    public static string? Text(this Check check, HttpContext http, string name, int max)
    {
        var raw = http.Request.Query[name].ToString();
        if (raw.Length == 0)
        {
            return null;
        }
        check.Text(name, raw, max);
        return raw;
    }

    /// <summary>An ISO 8601 instant; a date alone or a time without an offset is read as UTC.</summary>
    public static DateTimeOffset? Time(this Check check, HttpContext http, string name, string expected = "an ISO 8601 date-time")
    {
        var raw = http.Request.Query[name].ToString();
        if (raw.Length == 0)
        {
            return null;
        }
        if (DateTimeOffset.TryParse(raw, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var value))
        {
            return value;
        }
        check.Invalid(name, $"{name} must be {expected}.");
        return null;
    }
}
