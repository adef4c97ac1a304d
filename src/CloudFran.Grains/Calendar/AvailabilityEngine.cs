using CloudFran.Abstractions.Calendar;
using CloudFran.Abstractions.Locations;
using CloudFran.Grains.Locations;

namespace CloudFran.Grains.Calendar;

/// <summary>A booked block of a provider: appointment plus its buffers, in UTC, and the seats it holds (bit n = seat n).</summary>
public readonly record struct BookedBlock(string ProviderId, DateTimeOffset Start, DateTimeOffset End, ulong Seats = 1);

/// <summary>
/// Free slots, computed in the location's time zone: each local day's opening intervals (location hours ∩ the
/// provider's weekly hours) are walked in steps; a candidate is free when the new appointment plus its buffers
/// does not overlap any booked block (which already carries that booking's buffers) — or, for a provider with several
/// seats, when at least the party's number of seats is held by none of the overlapping blocks. Local times that do not exist
/// (spring-forward gap) are skipped; ambiguous ones (fall-back) use the first occurrence. Results carry offsets.
/// </summary>
public static class AvailabilityEngine
{
    public const int StepMinutes = 15;

    public static IReadOnlyList<SlotView> Compute(
        IReadOnlyDictionary<string, IReadOnlyList<OpenInterval>> locationHours,
        TimeZoneInfo zone,
        ServiceView service,
        IReadOnlyList<ProviderView> providers,
        IReadOnlyList<BookedBlock> booked,
        DateOnly from,
        DateOnly to,
        DateTimeOffset notBefore,
        int partySize = 1,
        DateTimeOffset? notAfter = null)
    {
        var slots = new List<SlotView>();
        var duration = TimeSpan.FromMinutes(service.DurationMinutes);
        var before = TimeSpan.FromMinutes(service.BufferBeforeMinutes);
        var after = TimeSpan.FromMinutes(service.BufferAfterMinutes);
        var byProvider = booked.GroupBy(b => b.ProviderId).ToDictionary(g => g.Key, g => g.OrderBy(b => b.Start).ToList());
        for (var day = from; day <= to; day = day.AddDays(1))
        {
            var weekday = LocationRules.Weekdays[((int)day.DayOfWeek + 6) % 7];
            var open = Intervals(locationHours, weekday);
            // Local minute → instant once per day (time-zone arithmetic is the costly part), shared by all providers.
            var instants = new Dictionary<int, DateTimeOffset?>();
            foreach (var provider in providers)
            {
                var exception = provider.Exceptions?.FirstOrDefault(e => e.Date == day);
                var hours = exception is not null
                    ? (exception.Closed ? [] : Intersect(open, Intervals(new Dictionary<string, IReadOnlyList<OpenInterval>> { [weekday] = exception.Hours ?? [] }, weekday)))
                    : provider.WeeklyHours is null ? open : Intersect(open, Intervals(provider.WeeklyHours, weekday));
                var blocks = byProvider.GetValueOrDefault(provider.ProviderId) ?? [];
                foreach (var (openMin, closeMin) in hours)
                {
                    for (var m = openMin; m + service.DurationMinutes <= closeMin; m += StepMinutes)
                    {
                        if (!instants.TryGetValue(m, out var instant))
                        {
                            instant = ToInstant(day, m, zone);
                            instants[m] = instant;
                        }
                        if (instant is not { } start)
                        {
                            continue;
                        }
                        var end = start + duration;
                        if (start < notBefore || start > notAfter)
                        {
                            continue;
                        }
                        var blockStart = start - before;
                        var blockEnd = end + after;
                        var seats = Math.Clamp(provider.Seats, 1, 50);
                        var taken = 0UL;
                        foreach (var b in blocks)
                        {
                            if (b.Start < blockEnd && blockStart < b.End)
                            {
                                taken |= b.Seats;
                            }
                        }
                        var free = seats - System.Numerics.BitOperations.PopCount(taken & ((1UL << seats) - 1));
                        if (free >= partySize)
                        {
                            slots.Add(new SlotView(start, end, provider.ProviderId, free));
                        }
                    }
                }
            }
        }
        return slots.OrderBy(s => s.Start).ThenBy(s => s.ProviderId, StringComparer.Ordinal).ToList();
    }

    /// <summary>The instant of local <paramref name="minutes"/> after midnight of <paramref name="day"/>, with its offset.</summary>
    public static DateTimeOffset? ToInstant(DateOnly day, int minutes, TimeZoneInfo zone)
    {
        var local = day.ToDateTime(TimeOnly.MinValue).AddMinutes(minutes);
        if (zone.IsInvalidTime(local))
        {
            return null;
        }
        var offset = zone.IsAmbiguousTime(local) ? zone.GetAmbiguousTimeOffsets(local).Max() : zone.GetUtcOffset(local);
        return new DateTimeOffset(local, offset);
    }

    /// <summary>Presents an instant in the zone's local time with the correct offset.</summary>
    public static DateTimeOffset InZone(DateTimeOffset instant, TimeZoneInfo zone) => TimeZoneInfo.ConvertTime(instant, zone);

    private static List<(int Open, int Close)> Intervals(IReadOnlyDictionary<string, IReadOnlyList<OpenInterval>> hours, string weekday) =>
        hours.TryGetValue(weekday, out var list)
            ? list.Select(i => (LocationRules.Minutes(i.Open) ?? 0, LocationRules.Minutes(i.Close) ?? 0)).Where(i => i.Item2 > i.Item1).ToList()
            : [];

    private static List<(int Open, int Close)> Intersect(List<(int Open, int Close)> a, List<(int Open, int Close)> b) =>
        (from x in a from y in b
         let open = Math.Max(x.Open, y.Open)
         let close = Math.Min(x.Close, y.Close)
         where close > open
         select (open, close)).OrderBy(i => i.open).ToList();
}
