using System.Globalization;
using CloudFran.Abstractions.Locations;
using CloudFran.Abstractions.Validation;

namespace CloudFran.Grains.Locations;

/// <summary>Validation of location input. Hours: weekday → list of {open, close} "HH:mm" intervals, close up to "24:00".</summary>
public static class LocationRules
{
    public static readonly string[] Statuses = ["active", "inactive", "coming_soon"];
    public static readonly string[] Weekdays = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

    public static void Validate(LocationInput input, bool create)
    {
        var check = new Check();
        if (create)
        {
            check.Required("name", input.Name, 200);
            if (input.Address is null)
            {
                check.Missing("address");
            }
        }
        else
        {
            check.Text("name", input.Name, 200);
        }
        if (input.Address is { } a)
        {
            if (create || a.Street is not null) check.Required("address.street", a.Street, 200);
            if (create || a.City is not null) check.Required("address.city", a.City, 100);
            if (create || a.Country is not null) check.Required("address.country", a.Country, 100);
            check.Text("address.state", a.State, 100).Text("address.zip", a.Zip, 20);
        }
        check.Phone("phone", input.Phone)
            .TimeZone("timezone", input.Timezone)
            .OneOf("status", input.Status, Statuses);
        if (input.Services is { } services)
        {
            if (services.Count > 100)
            {
                check.Invalid("services", "services may list at most 100 entries.");
            }
            for (var i = 0; i < services.Count; i++)
            {
                check.Required($"services[{i}]", services[i], 100);
            }
            if (services.Distinct(StringComparer.OrdinalIgnoreCase).Count() != services.Count)
            {
                check.Invalid("services", "services must not repeat.");
            }
        }
        if (input.Hours is { } hours)
        {
            ValidateHours(check, hours);
        }
        check.ThrowIfInvalid();
    }

    private static void ValidateHours(Check check, IReadOnlyDictionary<string, IReadOnlyList<OpenInterval>> hours)
    {
        foreach (var (day, intervals) in hours)
        {
            var field = $"hours.{day}";
            if (!Weekdays.Contains(day))
            {
                check.Invalid(field, $"hours keys must be weekdays: {string.Join(", ", Weekdays)}.");
                continue;
            }
            if (intervals is null)
            {
                check.Invalid(field, "Use an empty list for a closed day.");
                continue;
            }
            if (intervals.Count > 4)
            {
                check.Invalid(field, "At most 4 opening intervals per day.");
                continue;
            }
            var previousClose = -1;
            for (var i = 0; i < intervals.Count; i++)
            {
                var open = Minutes(intervals[i]?.Open);
                var close = Minutes(intervals[i]?.Close);
                if (open is null || close is null || open >= 24 * 60)
                {
                    check.Invalid($"{field}[{i}]", "open and close must be times \"HH:mm\" (close may be \"24:00\").");
                }
                else if (close <= open)
                {
                    check.Invalid($"{field}[{i}]", "close must be after open; split overnight hours across two days.");
                }
                else if (open < previousClose)
                {
                    check.Invalid($"{field}[{i}]", "Intervals must be in order and must not overlap.");
                }
                else
                {
                    previousClose = close.Value;
                }
            }
        }
    }

    /// <summary>Minutes after midnight of "HH:mm" (00:00–24:00), or null.</summary>
    public static int? Minutes(string? hhmm)
    {
        if (hhmm is null || hhmm.Length != 5 || hhmm[2] != ':'
            || !int.TryParse(hhmm.AsSpan(0, 2), NumberStyles.None, CultureInfo.InvariantCulture, out var h)
            || !int.TryParse(hhmm.AsSpan(3, 2), NumberStyles.None, CultureInfo.InvariantCulture, out var m)
            || m > 59 || h > 24 || (h == 24 && m != 0))
        {
            return null;
        }
        return h * 60 + m;
    }
}
