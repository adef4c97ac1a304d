using System.Globalization;
using CloudFran.Abstractions.Crm;

namespace CloudFran.Grains.Crm;

/// <summary>
/// Smart-segment rules → one parameterised SQL condition over <c>crm_leads</c> (alias <c>l</c>). Field names and
/// operators come from the fixed lists of <see cref="SegmentRules"/>; values are always parameters.
/// </summary>
public static class SegmentSql
{
    /// <summary>Rule field (see <see cref="SegmentRules.Fields"/>) → column of <c>crm_leads</c>.</summary>
    private static readonly IReadOnlyDictionary<string, string> Columns = new Dictionary<string, string>
    {
        ["name"] = "l.name", ["phone"] = "l.phone", ["email"] = "l.email", ["company"] = "l.company",
        ["source"] = "l.source", ["status"] = "l.status", ["owner"] = "l.owner", ["locationId"] = "l.location_id",
        ["timezone"] = "l.timezone", ["tags"] = "l.tags", ["createdAt"] = "l.created_at", ["updatedAt"] = "l.updated_at",
    };

    /// <summary>The condition and its parameters (named <c>sg0</c>, <c>sg1</c>, …). Rules must be checked first.</summary>
    public static (string Sql, List<(string Name, object? Value)> Args) Build(IReadOnlyList<SegmentRule> rules, string combineWith,
        DateTimeOffset now)
    {
        var parts = new List<string>();
        var args = new List<(string, object?)>();
        foreach (var rule in rules)
        {
            var column = Columns[rule.Field!];
            var p = "@sg" + args.Count.ToString(CultureInfo.InvariantCulture);
            string Arg(object? v)
            {
                args.Add((p[1..], v));
                return p;
            }
            List<string> ListValue() => rule.Value!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToList();
            if (rule.Field == "tags")
            {
                parts.Add(rule.Operator switch
                {
                    "contains" or "equals" => $"{Arg(rule.Value)} = ANY(l.tags)",
                    "not_contains" or "not_equals" => $"NOT ({Arg(rule.Value)} = ANY(l.tags))",
                    "in" => $"l.tags && {Arg(ListValue().ToArray())}::text[]",
                    "not_in" => $"NOT (l.tags && {Arg(ListValue().ToArray())}::text[])",
                    "is_empty" => "cardinality(l.tags) = 0",
                    _ => "cardinality(l.tags) > 0",
                });
                continue;
            }
            parts.Add(rule.Operator switch
            {
                "equals" => $"lower({column}) = lower({Arg(rule.Value)})",
                "not_equals" => $"({column} IS NULL OR lower({column}) <> lower({Arg(rule.Value)}))",
                "contains" => $"{column} ILIKE '%' || {Arg(Like(rule.Value!))} || '%'",
                "not_contains" => $"({column} IS NULL OR {column} NOT ILIKE '%' || {Arg(Like(rule.Value!))} || '%')",
                "starts_with" => $"{column} ILIKE {Arg(Like(rule.Value!))} || '%'",
                "in" => $"lower({column}) = ANY({Arg(ListValue().Select(v => v.ToLowerInvariant()).ToArray())}::text[])",
                "not_in" => $"({column} IS NULL OR NOT lower({column}) = ANY({Arg(ListValue().Select(v => v.ToLowerInvariant()).ToArray())}::text[]))",
                "is_empty" => $"({column} IS NULL OR {column}::text = '')",
                "is_not_empty" => $"({column} IS NOT NULL AND {column}::text <> '')",
                "before" => $"{column} < {Arg(DateTimeOffset.Parse(rule.Value!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal).ToUniversalTime())}",
                "after" => $"{column} > {Arg(DateTimeOffset.Parse(rule.Value!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal).ToUniversalTime())}",
                "older_than_days" => $"{column} < {Arg(now.AddDays(-int.Parse(rule.Value!, CultureInfo.InvariantCulture)).ToUniversalTime())}",
                _ => $"{column} >= {Arg(now.AddDays(-int.Parse(rule.Value!, CultureInfo.InvariantCulture)).ToUniversalTime())}",
            });
        }
        var joiner = combineWith.Equals("OR", StringComparison.OrdinalIgnoreCase) ? " OR " : " AND ";
        return ("(" + string.Join(joiner, parts) + ")", args);
    }

    private static string Like(string value) => value.Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_");
}
