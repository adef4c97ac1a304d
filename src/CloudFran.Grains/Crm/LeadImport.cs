using CloudFran.Abstractions.Crm;
using CloudFran.Abstractions.Validation;

namespace CloudFran.Grains.Crm;

/// <summary>
/// The rules of a lead CSV import, without storage: which column holds which field (by header name or the caller's
/// mapping), what a row becomes, what a row that matches an existing lead changes, and the report's counts.
/// </summary>
public static class LeadImport
{
    public const int MaxRows = 5000;

    public static readonly string[] Fields = ["name", "phone", "email", "company", "source", "status", "tags", "notes", "owner", "timezone"];

    /// <summary>
    /// The column index of every field found in the header row (names compared ignoring case); refuses a file
    /// without a header, a mapping that names a missing column, a file without a name column, and too many rows.
    /// </summary>
    public static Dictionary<string, int> Columns(IReadOnlyList<IReadOnlyList<string>> rows, IReadOnlyDictionary<string, string>? mapping)
    {
        if (rows.Count == 0)
        {
            throw CloudFranException.Invalid("file", "The CSV file has no header row.");
        }
        var header = rows[0].Select(h => h.Trim()).ToList();
        var columnOf = new Dictionary<string, int>();
        foreach (var field in Fields)
        {
            var name = mapping is not null && mapping.TryGetValue(field, out var mapped) ? mapped : field;
            var index = header.FindIndex(h => h.Equals(name, StringComparison.OrdinalIgnoreCase));
            if (index >= 0)
            {
                columnOf[field] = index;
            }
            else if (mapping?.ContainsKey(field) == true)
            {
                throw CloudFranException.Invalid($"mapping.{field}", $"The CSV has no column '{name}'.");
            }
        }
        if (!columnOf.ContainsKey("name"))
        {
            throw CloudFranException.Invalid("mapping.name", "The CSV needs a name column (or a mapping for name).");
        }
        if (rows.Count - 1 > MaxRows)
        {
            throw CloudFranException.Invalid("file", $"At most {MaxRows} rows per import.");
        }
        return columnOf;
    }

    /// <summary>
    /// The lead a row describes (blank cells absent; source and status lower-cased; tags split on ';' or '|' plus the
    /// default tags) — never enrolled in nurturing.
    /// </summary>
    public static LeadInput Input(IReadOnlyList<string> row, IReadOnlyDictionary<string, int> columnOf, IReadOnlyList<string> defaultTags)
    {
        string? Cell(string field) => columnOf.TryGetValue(field, out var c) && c < row.Count && row[c].Trim().Length > 0 ? row[c].Trim() : null;
        var tags = (Cell("tags")?.Split(new[] { ';', '|' }, StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) ?? [])
            .Concat(defaultTags).Distinct().ToList();
        return new LeadInput(Cell("name"), Cell("phone"), Cell("email"), Cell("company"), Cell("source")?.ToLowerInvariant(),
            Cell("status")?.ToLowerInvariant(), tags, Cell("notes"), Cell("owner"), null, Cell("timezone"), false);
    }

    /// <summary>The row's field errors ("field: message"); empty when the lead is valid.</summary>
    public static IReadOnlyList<string> Errors(LeadInput input)
    {
        try
        {
            new Check().CheckInput(input, requireEmail: false).ThrowIfInvalid();
            return [];
        }
        catch (CloudFranException e)
        {
            return e.Details.Select(d => $"{d.Field}: {d.Message}").ToList();
        }
    }

    /// <summary>What a row changes on the existing lead it matches: its fields, and its tags added to the lead's.</summary>
    public static LeadPatch Merge(LeadInput input, IReadOnlyList<string> currentTags) =>
        new(input.Name, input.Phone, input.Email, input.Company, input.Source, input.Status,
            currentTags.Concat(input.Tags ?? []).Distinct().ToList(), input.Notes, input.Owner, null, input.Timezone, "csv_import");

    public static ImportReport Report(IReadOnlyList<ImportRowResult> results) =>
        new(results.Count, results.Count(r => r.Status == "created"), results.Count(r => r.Status == "updated"),
            results.Count(r => r.Status == "skipped"), results.Count(r => r.Status == "error"), results);
}
