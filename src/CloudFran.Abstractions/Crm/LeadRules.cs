using System.Text.RegularExpressions;
using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Validation;

namespace CloudFran.Abstractions.Crm;

/// <summary>Lead field rules (the gateway's lead schema), applied by the web layer and again by the leads grain.</summary>
public static partial class LeadRules
{
    /// <summary>The gateway schema's phone pattern; stored with a leading '+'.</summary>
    public static string? NormalizePhone(string? phone)
    {
        if (string.IsNullOrWhiteSpace(phone))
        {
            return null;
        }
        var compact = phone.Trim();
        return compact.StartsWith('+') ? compact : "+" + compact;
    }

    public static bool IsPhone(string phone) => PhonePattern().IsMatch(phone);

    public static Check CheckInput(this Check check, LeadInput input, bool requireEmail)
    {
        check.Required("name", input.Name, 100)
            .Text("company", input.Company, 100)
            .Text("notes", input.Notes, 1000)
            .Text("owner", input.Owner, 100)
            .Email("email", input.Email)
            .OneOf("source", LeadNames.NormalizeSource(input.Source), LeadNames.Sources)
            .OneOf("status", input.Status, LeadNames.Statuses)
            .TimeZone("timezone", input.Timezone);
        if (requireEmail && string.IsNullOrWhiteSpace(input.Email))
        {
            check.Missing("email");
        }
        if (!requireEmail && string.IsNullOrWhiteSpace(input.Email) && string.IsNullOrWhiteSpace(input.Phone))
        {
            check.Invalid("phone", "A lead needs a phone or an email.");
        }
        CheckPhone(check, input.Phone);
        CheckTags(check, input.Tags);
        if (input.LocationId is not null && !Ids.IsValid(input.LocationId, "loc"))
        {
            check.Invalid("locationId", "locationId must be a location id (loc_…).");
        }
        return check;
    }

    public static Check CheckPatch(this Check check, LeadPatch patch)
    {
        check.Text("name", patch.Name, 100)
            .Text("company", patch.Company, 100)
            .Text("notes", patch.Notes, 1000)
            .Text("owner", patch.Owner, 100)
            .Email("email", patch.Email)
            .OneOf("source", LeadNames.NormalizeSource(patch.Source), LeadNames.Sources)
            .OneOf("status", patch.Status, LeadNames.Statuses)
            .TimeZone("timezone", patch.Timezone);
        CheckPhone(check, patch.Phone);
        CheckTags(check, patch.Tags);
        if (patch.LocationId is not null && !Ids.IsValid(patch.LocationId, "loc"))
        {
            check.Invalid("locationId", "locationId must be a location id (loc_…).");
        }
        return check;
    }

    public static bool IsLeadId(string? id) => Ids.IsValid(id, "lead");

    private static void CheckPhone(Check check, string? phone)
    {
        if (phone is not null && (string.IsNullOrWhiteSpace(phone) || !IsPhone(phone.Trim())))
        {
            check.Invalid("phone", "phone must match ^\\+?[1-9]\\d{1,14}$ (E.164).");
        }
    }

    private static void CheckTags(Check check, IReadOnlyList<string>? tags)
    {
        if (tags is null)
        {
            return;
        }
        if (tags.Count > 50)
        {
            check.Invalid("tags", "At most 50 tags.");
        }
        for (var i = 0; i < tags.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(tags[i]) || tags[i].Length > 50)
            {
                check.Invalid($"tags[{i}]", "A tag is 1–50 characters.");
            }
        }
    }

    [GeneratedRegex(@"^\+?[1-9]\d{1,14}$")]
    private static partial Regex PhonePattern();
}
