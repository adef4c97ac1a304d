using CloudFran.Abstractions.Calendar;
using CloudFran.Abstractions.Locations;
using CloudFran.Abstractions.Voice;

namespace CloudFran.Grains.Voice;

/// <summary>What a call's conversation knows about its call: who called which number, and the location's receptionist.</summary>
public sealed record ReceptionistCall(
    string CallSid,
    string Caller,
    string Called,
    string? LocationId,
    ReceptionistSettings Settings,
    LocationView? Location,
    IReadOnlyList<ServiceView> Services)
{
    public string BusinessName => Settings.BusinessName ?? Location?.Name ?? "us";

    /// <summary>Today in the location's time zone (UTC without a location).</summary>
    public DateOnly Today(TimeProvider clock)
    {
        var zone = Location is null ? TimeZoneInfo.Utc : TimeZoneInfo.FindSystemTimeZoneById(Location.Timezone);
        return DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(clock.GetUtcNow(), zone).DateTime);
    }
}
