using System.Globalization;
using CloudFran.Abstractions.Crm;
using CloudFran.Abstractions.Validation;

namespace CloudFran.Grains.Crm;

/// <summary>
/// Smart-segment rules → one parameterised SQL condition over <c>crm_leads</c> (alias <c>l</c>). Field names and
/// operators come from fixed lists; values are always parameters.
/// </summary>
public static class SegmentSql
{
    public static readonly IReadOnlyDictionary<string, string> Fields = new Dictionary<string, string>
    {
        ["name"] = "l.name", ["phone"] = "l.phone", ["email"] = "l.email", ["company"] = "l.company",
        ["source"] = "l.source", ["status"] = "l.status", ["owner"] = "l.owner", ["locationId"] = "l.location_id",
        ["timezone"] = "l.timezone", ["tags"] = "l.tags", ["createdAt"] = "l.created_at", ["updatedAt"] = "l.updated_at",
    };

    public static readonly string[] Operators =
    [
        "equals", "not_equals", "contains", "not_contains", "starts_with", "in", "not_in", "is_empty", "is_not_empty",
        "before", "after", "older_than_days", "newer_than_days",
    ];

    private static readonly string[] TimeOperators = ["before", "after", "older_than_days", "newer_than_days", "is_empty", "is_not_empty"];
    private static readonly string[] TagOperators = ["contains", "not_contains", "equals", "not_equals", "in", "not_in", "is_empty", "is_not_empty"];

    public static Check CheckRules(this Check check, IReadOnlyList<SegmentRule>? rules, string? combineWith)
    {
        check.OneOf("combineWith", combineWith?.ToUpperInvariant(), ["AND", "OR"]);
        if (rules is null || rules.Count == 0)
        {
            check.Missing("rules");
            return check;
        }
        if (rules.Count > 20)
        {
            check.Invalid("rules", "At most 20 rules.");
        }
        for (var i = 0; i < rules.Count; i++)
        {
            var rule = rules[i];
            var at = $"rules[{i}]";
            if (rule.Field is null || !Fields.ContainsKey(rule.Field))
            {
                check.Invalid($"{at}.field", $"field must be one of: {string.Join(", ", Fields.Keys)}.");
                continue;
            }
            if (rule.Operator is null || !Operators.Contains(rule.Operator))
            {
                check.Invalid($"{at}.operator", $"operator must be one of: {string.Join(", ", Operators)}.");
                continue;
            }
            var isTime = rule.Field is "createdAt" or "updatedAt";
            if (isTime && !TimeOperators.Contains(rule.Operator) || !isTime && rule.Operator is "before" or "after" or "older_than_days" or "newer_than_days")
            {
                check.Invalid($"{at}.operator", $"operator {rule.Operator} does not apply to {rule.Field}.");
                continue;
            }
            if (rule.Field == "tags" && !TagOperators.Contains(rule.Operator))
            {
                check.Invalid($"{at}.operator", $"operator {rule.Operator} does not apply to tags.");
                continue;
            }
            if (rule.Operator is "is_empty" or "is_not_empty")
            {
                continue;
            }
            if (string.IsNullOrEmpty(rule.Value) || rule.Value.Length > 500)
            {
                check.Invalid($"{at}.value", "value is required (at most 500 characters).");
                continue;
            }
            if (rule.Operator is "before" or "after" && !DateTimeOffset.TryParse(rule.Value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _))
            {
                check.Invalid($"{at}.value", "value must be an ISO 8601 date or date-time.");
            }
            if (rule.Operator is "older_than_days" or "newer_than_days" && (!int.TryParse(rule.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var d) || d > 36_500))
            {
                check.Invalid($"{at}.value", "value must be a whole number of days.");
            }
        }
        return check;
    }

    /// <summary>The condition and its parameters (named <c>sg0</c>, <c>sg1</c>, …). Rules must be checked first.</summary>
    public static (string Sql, List<(string Name, object? Value)> Args) Build(IReadOnlyList<SegmentRule> rules, string combineWith,
        DateTimeOffset now)
    {
        var parts = new List<string>();
        var args = new List<(string, object?)>();
        foreach (var rule in rules)
        {
            var column = Fields[rule.Field!];
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
