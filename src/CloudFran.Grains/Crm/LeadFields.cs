using CloudFran.Abstractions.Validation;

namespace CloudFran.Grains.Crm;

/// <summary>How the leads grain stores a lead's fields: tags trimmed and deduplicated, a time zone read from the number.</summary>
public static class LeadFields
{
    public static string[] Tags(IReadOnlyList<string>? tags) =>
        (tags ?? []).Select(t => t.Trim()).Where(t => t.Length > 0).Distinct(StringComparer.Ordinal).ToArray();

    /// <summary>The recipient's zone from the number when the number maps to exactly one zone.</summary>
    public static string? PhoneZone(string? phone)
    {
        var normalized = Abstractions.Crm.LeadRules.NormalizePhone(phone);
        if (normalized is null || !Check.IsE164(normalized))
        {
            return null;
        }
        try
        {
            var util = PhoneNumbers.PhoneNumberUtil.GetInstance();
            var zones = PhoneNumbers.PhoneNumberToTimeZonesMapper.GetInstance().GetTimeZonesForNumber(util.Parse(normalized, null));
            return zones.Count == 1 && Check.IsIanaTimeZone(zones[0]) ? zones[0] : null;
        }
        catch (PhoneNumbers.NumberParseException)
        {
            return null;
        }
    }
}
