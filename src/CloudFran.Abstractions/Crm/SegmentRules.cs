using System.Globalization;
using CloudFran.Abstractions.Validation;

namespace CloudFran.Abstractions.Crm;

/// <summary>
/// Smart-segment rules as data: the fields a rule may name, the operators, and which operator applies to which
/// field. Checked at the API edge and again by the leads grain; the SQL they become lives with the grain.
/// </summary>
public static class SegmentRules
{
    public static readonly IReadOnlyList<string> Fields =
    [
        "name", "phone", "email", "company", "source", "status", "owner", "locationId", "timezone", "tags", "createdAt", "updatedAt",
    ];

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
            if (rule.Field is null || !Fields.Contains(rule.Field))
            {
                check.Invalid($"{at}.field", $"field must be one of: {string.Join(", ", Fields)}.");
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
}
