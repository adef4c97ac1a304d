using CloudFran.Abstractions.Calendar;
using CloudFran.Grains.Calendar;
using Xunit;

namespace CloudFran.Tests.Calendar;

/// <summary>The appointment agent's booking steps after the request is understood, without storage.</summary>
public sealed class AgentBookingTests
{
    private static readonly TimeZoneInfo NewYork = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
    private static readonly DateOnly Today = new(2026, 6, 1);

    private static ServiceView Service(string name) => new("svc_" + name, "loc_x0000000", name, 30, 0, 0, null, []);

    private static ProviderView Table(int seats) => new("prv_t", "loc_x0000000", "T", "table", null, true, [], seats);

    private static SlotView At(DateOnly day, int hour, int minute = 0) =>
        new(AvailabilityEngine.ToInstant(day, hour * 60 + minute, NewYork)!.Value, AvailabilityEngine.ToInstant(day, hour * 60 + minute + 30, NewYork)!.Value, "prv_a");

    private static BookingIntent Intent(DateOnly? date = null, TimeOnly? time = null, (TimeOnly, TimeOnly)? part = null, string? service = null, int? party = null) =>
        new(date, time, part, service, party);

    [Fact]
    public void The_service_is_the_one_said_else_asked_else_the_only_one()
    {
        Assert.Equal("Cut", AgentBooking.ServiceName(Intent(service: "Cut"), "Color", [Service("Cut"), Service("Color")]));
        Assert.Equal("Color", AgentBooking.ServiceName(Intent(), "Color", [Service("Cut"), Service("Color")]));
        Assert.Equal("Cut", AgentBooking.ServiceName(Intent(), null, [Service("Cut")]));
        var e = Assert.Throws<CloudFranException>(() => AgentBooking.ServiceName(Intent(), null, [Service("Cut"), Service("Color")]));
        Assert.Contains("Cut, Color", e.Message);
    }

    [Fact]
    public void The_search_is_the_day_asked_for_or_two_weeks()
    {
        Assert.Equal((Today, Today.AddDays(13)), AgentBooking.Window(Intent(), Today));
        Assert.Equal((Today.AddDays(3), Today.AddDays(3)), AgentBooking.Window(Intent(Today.AddDays(3)), Today));
        Assert.Equal("18:00-21:00", AgentBooking.Understood("Cut", Intent(part: (new TimeOnly(18, 0), new TimeOnly(21, 0)))).PartOfDay);
    }

    [Fact]
    public void A_party_read_from_the_text_that_no_table_seats_falls_back_to_one()
    {
        Assert.Equal(4, AgentBooking.Party(0, Intent(party: 4), [Table(4)]));
        Assert.Equal(1, AgentBooking.Party(0, Intent(party: 9), [Table(4)]));
        Assert.Equal(3, AgentBooking.Party(3, Intent(party: 4), [Table(4)]));
        Assert.Throws<CloudFranException>(() => AgentBooking.Party(5, Intent(), [Table(4)])); // an explicit size must fit
    }

    [Fact]
    public void Rules_are_checked_on_the_day_asked_for_and_the_notice_only_with_a_time()
    {
        Assert.Null(AgentBooking.RuleCheck(Intent(time: new TimeOnly(9, 0)), NewYork));
        var day = AgentBooking.RuleCheck(Intent(Today), NewYork)!.Value;
        Assert.Equal((AvailabilityEngine.ToInstant(Today, 0, NewYork)!.Value, false), day);
        var timed = AgentBooking.RuleCheck(Intent(Today, new TimeOnly(9, 30)), NewYork)!.Value;
        Assert.Equal((AvailabilityEngine.ToInstant(Today, 570, NewYork)!.Value, true), timed);
    }

    [Fact]
    public void A_time_is_booked_exactly_on_the_day_asked_for_or_the_first_day_that_has_it()
    {
        var slots = new[] { At(Today, 9), At(Today, 10), At(Today.AddDays(1), 9, 30), At(Today.AddDays(2), 9, 30) };
        Assert.Equal(slots[2], AgentBooking.Exact(slots, null, new TimeOnly(9, 30), NewYork));
        Assert.Equal(slots[3], AgentBooking.Exact(slots, Today.AddDays(2), new TimeOnly(9, 30), NewYork));
        Assert.Null(AgentBooking.Exact(slots, Today, new TimeOnly(9, 30), NewYork));
        var refused = AgentBooking.TimeNotFree("Cut", Today, new TimeOnly(9, 30), slots, DateTimeOffset.UnixEpoch, NewYork);
        Assert.Equal(CalendarErrors.SlotUnavailable, refused.Code);
        Assert.Equal("Cut is not available at 09:30 on 2026-06-01.", refused.Message);
        Assert.Equal(slots.Length, refused.Alternatives!.Count);
    }

    [Fact]
    public void Without_a_time_the_candidates_are_the_part_of_day_asked_for_at_most_ten()
    {
        var slots = Enumerable.Range(8, 12).Select(h => At(Today, h)).ToList();
        Assert.Equal(AgentBooking.MaxAttempts, AgentBooking.Candidates(slots, Intent(), NewYork).Count());
        var evening = AgentBooking.Candidates(slots, Intent(part: (new TimeOnly(17, 0), new TimeOnly(21, 0))), NewYork).ToList();
        Assert.Equal([17, 18, 19], evening.Select(s => AvailabilityEngine.InZone(s.Start, NewYork).Hour));
        Assert.StartsWith("Booked Cut on Monday June 1 at ", AgentBooking.Confirmation("Cut", slots[0].Start, NewYork));
        Assert.Equal(CalendarErrors.SlotUnavailable, AgentBooking.NothingFree().Code);
    }
}
