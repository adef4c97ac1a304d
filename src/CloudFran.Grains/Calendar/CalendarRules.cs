using CloudFran.Abstractions.Calendar;
using CloudFran.Abstractions.Locations;
using CloudFran.Abstractions.Validation;
using CloudFran.Grains.Locations;

namespace CloudFran.Grains.Calendar;

/// <summary>The input rules of a location's calendar — providers, services, booking settings — without storage.</summary>
public static class CalendarRules
{
    public static readonly string[] ProviderKinds = ["staff", "room", "chair", "technician", "table"];

    /// <summary>A provider: name, kind, 1–50 seats; its weekly hours and the hours of its open exceptions follow the location rules.</summary>
    public static void CheckProvider(ProviderInput input)
    {
        new Check().Required("name", input.Name, 200).Required("kind", input.Kind, 20).OneOf("kind", input.Kind, ProviderKinds)
            .Range("seats", input.Seats, 1, 50).ThrowIfInvalid();
        if (input.WeeklyHours is not null)
        {
            LocationRules.Validate(new LocationInput(null, null, null, input.WeeklyHours, null, null, null), create: false);
        }
        foreach (var exception in input.Exceptions ?? [])
        {
            if (!exception.Closed)
            {
                var hours = new Dictionary<string, IReadOnlyList<OpenInterval>> { ["monday"] = exception.Hours ?? [] };
                LocationRules.Validate(new LocationInput(null, null, null, hours, null, null, null), create: false);
            }
        }
    }

    /// <summary>A service: name, 5–720 minutes, buffers of 0–240 minutes, a price of 0–1,000,000.</summary>
    public static void CheckService(ServiceInput input)
    {
        var check = new Check().Required("name", input.Name, 100);
        if (input.DurationMinutes is null) check.Missing("durationMinutes");
        check.Range("durationMinutes", input.DurationMinutes, 5, 720)
            .Range("bufferBeforeMinutes", input.BufferBeforeMinutes, 0, 240)
            .Range("bufferAfterMinutes", input.BufferAfterMinutes, 0, 240);
        if (input.Price is < 0 or > 1_000_000) check.Invalid("price", "price must be between 0 and 1,000,000.");
        check.ThrowIfInvalid();
    }

    /// <summary>Every provider a service names must be one of the location's.</summary>
    public static void CheckServiceProviders(IReadOnlyList<string> providerIds, IReadOnlyList<ProviderView> providers)
    {
        var check = new Check();
        for (var i = 0; i < providerIds.Count; i++)
        {
            if (providers.All(p => p.ProviderId != providerIds[i])) check.Invalid($"providerIds[{i}]", "No such provider at this location.");
        }
        check.ThrowIfInvalid();
    }

    public static ServiceView NewService(string serviceId, string locationId, ServiceInput input) =>
        new(serviceId, locationId, input.Name!.Trim(), input.DurationMinutes!.Value, input.BufferBeforeMinutes ?? 0, input.BufferAfterMinutes ?? 0,
            input.Price, (input.ProviderIds ?? []).Distinct().ToList());

    /// <summary>
    /// The settings after <paramref name="input"/> (absent values keep <paramref name="current"/>'s): notice 0–30 days,
    /// horizon 1–730 days, and the notice shorter than the horizon.
    /// </summary>
    public static (int MinNoticeMinutes, int MaxAdvanceDays) Settings(CalendarSettingsInput input, CalendarSettings current)
    {
        var notice = input.MinNoticeMinutes ?? current.MinNoticeMinutes;
        var advance = input.MaxAdvanceDays ?? current.MaxAdvanceDays;
        var check = new Check().Range("minNoticeMinutes", input.MinNoticeMinutes, 0, 43_200).Range("maxAdvanceDays", input.MaxAdvanceDays, 1, 730);
        if (!check.HasErrors && notice >= advance * 1440)
        {
            check.Invalid("minNoticeMinutes", "minNoticeMinutes must be shorter than maxAdvanceDays.");
        }
        check.ThrowIfInvalid();
        return (notice, advance);
    }
}
