using CloudFran.Abstractions.Calendar;
using CloudFran.Grains.Storage;
using Orleans.Concurrency;

namespace CloudFran.Grains.Calendar;

/// <summary>See <see cref="ICalendarFeedGrain"/>; stateless, one indexed lookup per call.</summary>
// Stateless: calls may interleave, so one worker overlaps many database round-trips.
[StatelessWorker, Reentrant]
public sealed class CalendarFeedGrain(PlatformDb db) : Grain, ICalendarFeedGrain
{
    public async Task<FeedTarget?> ResolveAsync(string token) =>
        await FeedTokens.ResolveAsync(db, token) is { } found ? new FeedTarget(found.Scope, found.ProviderId) : null;
}
