using CloudFran.Abstractions.Calendar;

namespace CloudFran.Grains.Calendar;

/// <summary>
/// A location's booking policy, without storage: the minimum notice and the booking horizon (422), party sizes,
/// the availability window, the fair order in which free providers are tried, and the nearest alternatives offered
/// with a 409 SLOT_UNAVAILABLE. A start in the past is simply not free (409 with alternatives), not a rule violation.
/// </summary>
public static class BookingPolicy
{
    /// <summary>The largest party one provider seats (1 when there is none).</summary>
    public static int Capacity(IReadOnlyList<ProviderView> providers) => providers.Count == 0 ? 1 : providers.Max(p => p.Seats);

    public static void RequireParty(int party, int capacity, string suffix = "")
    {
        if (party < 1 || party > capacity)
        {
            throw CloudFranException.Invalid("partySize", $"partySize must be between 1 and {capacity}{suffix}.");
        }
    }

    /// <summary>An availability window runs forwards and spans at most <see cref="CalendarErrors.MaxWindowDays"/> days.</summary>
    public static void CheckWindow(DateOnly from, DateOnly to)
    {
        if (to < from)
        {
            throw CloudFranException.Invalid("dateTo", "dateTo must not be before dateFrom.");
        }
        if (to.DayNumber - from.DayNumber + 1 > CalendarErrors.MaxWindowDays)
        {
            throw CloudFranException.Invalid("dateTo", $"The window may span at most {CalendarErrors.MaxWindowDays} days.");
        }
    }

    /// <summary>An availability window must start within the booking horizon (422 BOOKING_TOO_FAR_AHEAD).</summary>
    public static void CheckHorizon(DateOnly from, CalendarSettings settings, TimeZoneInfo zone, DateTimeOffset now)
    {
        var horizon = now.AddDays(settings.MaxAdvanceDays);
        if ((AvailabilityEngine.ToInstant(from, 0, zone) ?? horizon) > horizon)
        {
            throw new CloudFranException(ErrorKind.RuleViolation, CalendarErrors.TooFarAhead,
                $"This location takes bookings at most {settings.MaxAdvanceDays} days ahead (until {AvailabilityEngine.InZone(horizon, zone):yyyy-MM-dd HH:mm}).",
                [new FieldError("dateFrom", $"dateFrom is beyond the {settings.MaxAdvanceDays}-day booking horizon.")]);
        }
    }

    /// <summary>422 when <paramref name="start"/> is inside the minimum notice (when checked) or beyond the booking horizon.</summary>
    public static void Enforce(CalendarSettings settings, DateTimeOffset start, DateTimeOffset now, bool checkNotice, string field)
    {
        if (checkNotice && start >= now && start < now.AddMinutes(settings.MinNoticeMinutes))
        {
            throw new CloudFranException(ErrorKind.RuleViolation, CalendarErrors.TooSoon,
                $"This location needs at least {settings.MinNoticeMinutes} minutes' notice for a booking.",
                [new FieldError(field, $"Book at least {settings.MinNoticeMinutes} minutes ahead.")]);
        }
        if (start > now.AddDays(settings.MaxAdvanceDays))
        {
            throw new CloudFranException(ErrorKind.RuleViolation, CalendarErrors.TooFarAhead,
                $"This location takes bookings at most {settings.MaxAdvanceDays} days ahead.",
                [new FieldError(field, $"Book at most {settings.MaxAdvanceDays} days ahead.")]);
        }
    }

    /// <summary>Free slots by start time in the location's zone, with the seats left per seated provider.</summary>
    public static IReadOnlyList<AvailableSlot> Available(IReadOnlyList<SlotView> slots, IReadOnlyList<ProviderView> providers, TimeZoneInfo zone)
    {
        var seated = providers.Where(p => p.Seats > 1).Select(p => p.ProviderId).ToHashSet();
        return slots.GroupBy(s => s.Start).Select(g => new AvailableSlot(AvailabilityEngine.InZone(g.Key, zone),
            AvailabilityEngine.InZone(g.First().End, zone), g.Select(s => s.ProviderId).ToList(),
            seated.Count == 0 ? null : g.Where(s => seated.Contains(s.ProviderId)).ToDictionary(s => s.ProviderId, s => s.RemainingSeats))).ToList();
    }

    /// <summary>Free providers, fewest bookings that day first, then by id.</summary>
    public static IEnumerable<string> FairOrder(IEnumerable<string> candidates, IReadOnlyList<(string Id, long Count)> load) =>
        candidates.OrderBy(c => load.FirstOrDefault(l => l.Id == c).Count).ThenBy(c => c, StringComparer.Ordinal);

    /// <summary>The five free slots nearest to <paramref name="target"/>, in start order, in the location's zone.</summary>
    public static List<AlternativeSlot> Alternatives(IEnumerable<SlotView> slots, DateTimeOffset target, TimeZoneInfo zone) =>
        slots.OrderBy(s => (s.Start - target).Duration()).Take(5).OrderBy(s => s.Start)
            .Select(s => new AlternativeSlot(AvailabilityEngine.InZone(s.Start, zone), AvailabilityEngine.InZone(s.End, zone), s.ProviderId))
            .ToList();

    public static CloudFranException SlotUnavailable(string message, string field, string fieldMessage, IReadOnlyList<AlternativeSlot> alternatives) =>
        new(ErrorKind.Conflict, CalendarErrors.SlotUnavailable, message, [new FieldError(field, fieldMessage)], alternatives);
}
