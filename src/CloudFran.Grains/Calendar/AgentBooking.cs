using System.Globalization;
using CloudFran.Abstractions.Calendar;

namespace CloudFran.Grains.Calendar;

/// <summary>
/// How the appointment agent turns an understood request (<see cref="BookingIntent"/>) into a booking, without
/// storage: which service, which days to search, which party size, which slot. A specific time is booked exactly or
/// refused with the nearest alternatives — never silently moved; otherwise the first free slot that fits is taken.
/// </summary>
public static class AgentBooking
{
    /// <summary>The days searched when the request names no day.</summary>
    public const int SearchDays = 14;

    /// <summary>The most candidates tried when slots are taken meanwhile.</summary>
    public const int MaxAttempts = 10;

    /// <summary>The service said, else the one asked for, else the location's only service.</summary>
    public static string ServiceName(BookingIntent intent, string? serviceType, IReadOnlyList<ServiceView> services) =>
        intent.Service ?? serviceType ?? (services.Count == 1 ? services[0].Name : null)
        ?? throw CloudFranException.Invalid("serviceType", $"Which service? This location offers: {string.Join(", ", services.Select(s => s.Name))}.");

    public static AgentInterpretation Understood(string serviceName, BookingIntent intent) =>
        new(serviceName, intent.Date, intent.Time,
            intent.PartOfDay is { } p ? $"{p.From.ToString("HH:mm", CultureInfo.InvariantCulture)}-{p.To.ToString("HH:mm", CultureInfo.InvariantCulture)}" : null);

    /// <summary>The day asked for, else the next <see cref="SearchDays"/> days from today.</summary>
    public static (DateOnly From, DateOnly To) Window(BookingIntent intent, DateOnly today) =>
        (intent.Date ?? today, intent.Date ?? today.AddDays(SearchDays - 1));

    /// <summary>
    /// An explicit partySize must fit a provider; one read from the text ("table for four") that no provider seats
    /// falls back to one whole table, as the voice receptionist does.
    /// </summary>
    public static int Party(int requested, BookingIntent intent, IReadOnlyList<ProviderView> providers)
    {
        var capacity = Math.Max(1, BookingPolicy.Capacity(providers));
        var party = requested > 0 ? requested : intent.PartySize is { } said && said <= capacity ? said : 1;
        BookingPolicy.RequireParty(party, capacity);
        return party;
    }

    /// <summary>The instant the booking rules are checked at when a day was asked for (the time, else the day's start); the notice only with a time.</summary>
    public static (DateTimeOffset Start, bool CheckNotice)? RuleCheck(BookingIntent intent, TimeZoneInfo zone)
    {
        if (intent.Date is not { } day || AvailabilityEngine.ToInstant(day, 0, zone) is not { } dayStart)
        {
            return null;
        }
        return (intent.Time is { } t ? AvailabilityEngine.ToInstant(day, t.Hour * 60 + t.Minute, zone) ?? dayStart : dayStart, intent.Time is not null);
    }

    /// <summary>The slot at exactly <paramref name="time"/> on the day asked for, else on the first day that has one; null when none.</summary>
    public static SlotView? Exact(IReadOnlyList<SlotView> slots, DateOnly? day, TimeOnly time, TimeZoneInfo zone)
    {
        var local = slots.Select(s => (Slot: s, Day: DateOnly.FromDateTime(AvailabilityEngine.InZone(s.Start, zone).DateTime),
            Time: TimeOnly.FromDateTime(AvailabilityEngine.InZone(s.Start, zone).DateTime))).ToList();
        var date = day ?? local.Select(l => l.Day).FirstOrDefault(d => local.Any(l => l.Day == d && l.Time == time));
        return local.FirstOrDefault(l => l.Day == date && l.Time == time).Slot;
    }

    /// <summary>409 for a specific time that is not free, with the free slots nearest to it.</summary>
    public static CloudFranException TimeNotFree(string serviceName, DateOnly day, TimeOnly time, IReadOnlyList<SlotView> slots, DateTimeOffset now,
        TimeZoneInfo zone) =>
        BookingPolicy.SlotUnavailable(
            $"{serviceName} is not available at {time.ToString("HH:mm", CultureInfo.InvariantCulture)} on {day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}.",
            "request", "The requested time is not free.",
            BookingPolicy.Alternatives(slots, AvailabilityEngine.ToInstant(day, time.Hour * 60 + time.Minute, zone) ?? now, zone));

    /// <summary>The free slots to try in order: those in the part of the day asked for (all when none), at most <see cref="MaxAttempts"/>.</summary>
    public static IEnumerable<SlotView> Candidates(IReadOnlyList<SlotView> slots, BookingIntent intent, TimeZoneInfo zone) =>
        slots.Where(s => intent.PartOfDay is not { } p
            || (TimeOnly.FromDateTime(AvailabilityEngine.InZone(s.Start, zone).DateTime) >= p.From
                && TimeOnly.FromDateTime(AvailabilityEngine.InZone(s.Start, zone).DateTime) < p.To)).Take(MaxAttempts);

    public static BookingRequest Details(string serviceName, AgentBookingRequest request, int party) =>
        new(serviceName, default, null, request.CustomerName, request.Phone, request.Email,
            $"Booked by the appointment agent from: \"{request.Request}\"", 3, null, party);

    public static string Confirmation(string serviceName, DateTimeOffset start, TimeZoneInfo zone)
    {
        var local = AvailabilityEngine.InZone(start, zone);
        return $"Booked {serviceName} on {local:dddd MMMM d} at {local:h:mm tt}.";
    }

    public static CloudFranException NothingFree() =>
        BookingPolicy.SlotUnavailable("Nothing matching that request is free.", "request", "No free slot matches.", []);
}
