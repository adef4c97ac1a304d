namespace CloudFran.Abstractions.Calendar;

/// <summary>What a secret iCalendar feed token opens: a tenant partition and one provider's schedule.</summary>
[GenerateSerializer, Immutable, Alias("cf.FeedTarget")]
public sealed record FeedTarget(
    [property: Id(0)] TenantScope Scope,
    [property: Id(1)] string ProviderId);

/// <summary>
/// Looks feed tokens up by their hash. Platform-level (key <c>calendar-feeds</c>, no tenant): the tenant of a
/// feed request is not known until this grain has read the token's row.
/// </summary>
public interface ICalendarFeedGrain : IGrainWithStringKey
{
    /// <summary>The partition and provider a token opens, or null when it is malformed, unknown or revoked.</summary>
    Task<FeedTarget?> ResolveAsync(string token);
}

public static class CalendarFeedGrainFactoryExtensions
{
    public static ICalendarFeedGrain GetCalendarFeeds(this IGrainFactory factory) =>
        factory.GetGrain<ICalendarFeedGrain>("calendar-feeds");
}
