using CloudFran.Abstractions.Calendar;
using CloudFran.Grains.Calendar;
using Xunit;

namespace CloudFran.Tests.Calendar;

/// <summary>A location's booking policy and input rules, without storage.</summary>
public sealed class BookingPolicyTests
{
    private static readonly TimeZoneInfo NewYork = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
    private static readonly DateTimeOffset Now = new(2026, 6, 1, 14, 0, 0, TimeSpan.Zero);
    private static readonly CalendarSettings Rules = new("loc_x0000000", 60, 30, null);

    private static ProviderView Provider(string id, int seats = 1) => new(id, "loc_x0000000", id, "staff", null, true, [], seats);

    private static SlotView Slot(int minutesFromNow, string provider = "prv_a") =>
        new(Now.AddMinutes(minutesFromNow), Now.AddMinutes(minutesFromNow + 30), provider);

    [Fact]
    public void Notice_and_horizon_are_rule_violations()
    {
        BookingPolicy.Enforce(Rules, Now.AddMinutes(60), Now, checkNotice: true, field: "start");
        BookingPolicy.Enforce(Rules, Now.AddMinutes(-5), Now, checkNotice: true, field: "start"); // the past is simply not free
        BookingPolicy.Enforce(Rules, Now.AddMinutes(5), Now, checkNotice: false, field: "start");
        var soon = Assert.Throws<CloudFranException>(() => BookingPolicy.Enforce(Rules, Now.AddMinutes(59), Now, true, "start"));
        Assert.Equal((ErrorKind.RuleViolation, CalendarErrors.TooSoon, "start"), (soon.Kind, soon.Code, soon.Details.Single().Field));
        var far = Assert.Throws<CloudFranException>(() => BookingPolicy.Enforce(Rules, Now.AddDays(30).AddTicks(1), Now, false, "request"));
        Assert.Equal((CalendarErrors.TooFarAhead, "request"), (far.Code, far.Details.Single().Field));
    }

    [Fact]
    public void An_availability_window_runs_forwards_within_the_limits()
    {
        var day = new DateOnly(2026, 6, 1);
        BookingPolicy.CheckWindow(day, day.AddDays(CalendarErrors.MaxWindowDays - 1));
        Assert.Throws<CloudFranException>(() => BookingPolicy.CheckWindow(day, day.AddDays(-1)));
        Assert.Throws<CloudFranException>(() => BookingPolicy.CheckWindow(day, day.AddDays(CalendarErrors.MaxWindowDays)));
        BookingPolicy.CheckHorizon(new DateOnly(2026, 7, 1), Rules, NewYork, Now); // local midnight, before now + 30 days
        var far = Assert.Throws<CloudFranException>(() => BookingPolicy.CheckHorizon(new DateOnly(2026, 7, 2), Rules, NewYork, Now));
        Assert.Equal((CalendarErrors.TooFarAhead, "dateFrom"), (far.Code, far.Details.Single().Field));
    }

    [Fact]
    public void A_party_must_fit_one_provider()
    {
        Assert.Equal(1, BookingPolicy.Capacity([]));
        Assert.Equal(6, BookingPolicy.Capacity([Provider("prv_a", 2), Provider("prv_b", 6)]));
        BookingPolicy.RequireParty(6, 6);
        var e = Assert.Throws<CloudFranException>(() => BookingPolicy.RequireParty(7, 6, " for this provider"));
        Assert.Equal("partySize must be between 1 and 6 for this provider.", e.Details.Single().Message);
        Assert.Throws<CloudFranException>(() => BookingPolicy.RequireParty(0, 6));
    }

    [Fact]
    public void Free_providers_are_tried_fewest_bookings_first()
    {
        Assert.Equal(["prv_c", "prv_a", "prv_b"], BookingPolicy.FairOrder(["prv_b", "prv_a", "prv_c"], [("prv_b", 3), ("prv_a", 3)]));
    }

    [Fact]
    public void Alternatives_are_the_five_nearest_in_start_order_in_the_location_zone()
    {
        var slots = new[] { -300, -120, -60, 30, 60, 90, 600, 900 }.Select(m => Slot(m)).ToList();
        var alternatives = BookingPolicy.Alternatives(slots, Now, NewYork);
        Assert.Equal([-120, -60, 30, 60, 90], alternatives.Select(a => (int)(a.Start - Now).TotalMinutes));
        Assert.All(alternatives, a => Assert.Equal(TimeSpan.FromHours(-4), a.Start.Offset));
        var e = BookingPolicy.SlotUnavailable("m", "start", "f", alternatives);
        Assert.Equal((ErrorKind.Conflict, CalendarErrors.SlotUnavailable, 5), (e.Kind, e.Code, e.Alternatives!.Count));
    }

    [Fact]
    public void Available_slots_group_providers_and_show_seats_only_for_seated_ones()
    {
        var slots = new[] { Slot(0, "prv_a"), Slot(0, "prv_t") with { RemainingSeats = 3 }, Slot(30, "prv_a") };
        var plain = BookingPolicy.Available(slots, [Provider("prv_a"), Provider("prv_t")], NewYork);
        Assert.Equal(2, plain.Count);
        Assert.Equal(["prv_a", "prv_t"], plain[0].ProviderIds);
        Assert.Null(plain[0].RemainingSeats);
        var seated = BookingPolicy.Available(slots, [Provider("prv_a"), Provider("prv_t", 4)], NewYork);
        Assert.Equal(new Dictionary<string, int> { ["prv_t"] = 3 }, seated[0].RemainingSeats);
        Assert.Empty(seated[1].RemainingSeats!);
    }

    [Fact]
    public void Calendar_inputs_follow_their_rules()
    {
        CalendarRules.CheckProvider(new ProviderInput(null, "Alice", "staff", null));
        Assert.Throws<CloudFranException>(() => CalendarRules.CheckProvider(new ProviderInput(null, "Alice", "robot", null)));
        Assert.Throws<CloudFranException>(() => CalendarRules.CheckProvider(new ProviderInput(null, "Table 4", "table", null, Seats: 51)));
        var missing = Assert.Throws<CloudFranException>(() => CalendarRules.CheckService(new ServiceInput(null, "Cut", null, null, null, null, null)));
        Assert.Equal("durationMinutes", missing.Details.Single().Field);
        Assert.Throws<CloudFranException>(() => CalendarRules.CheckService(new ServiceInput(null, "Cut", 30, null, null, -1m, null)));
        var unknown = Assert.Throws<CloudFranException>(() => CalendarRules.CheckServiceProviders(["prv_a", "prv_z"], [Provider("prv_a")]));
        Assert.Equal("providerIds[1]", unknown.Details.Single().Field);
        var service = CalendarRules.NewService("svc_1", "loc_1", new ServiceInput(null, " Cut ", 30, null, 5, null, ["prv_a", "prv_a"]));
        Assert.Equal(("Cut", 0, 5, 1), (service.Name, service.BufferBeforeMinutes, service.BufferAfterMinutes, service.ProviderIds.Count));
    }

    [Fact]
    public void Settings_keep_absent_values_and_the_notice_stays_shorter_than_the_horizon()
    {
        Assert.Equal((60, 10), CalendarRules.Settings(new CalendarSettingsInput(null, 10), Rules));
        var e = Assert.Throws<CloudFranException>(() => CalendarRules.Settings(new CalendarSettingsInput(1440, 1), Rules));
        Assert.Equal("minNoticeMinutes", e.Details.Single().Field);
        Assert.Throws<CloudFranException>(() => CalendarRules.Settings(new CalendarSettingsInput(null, 731), Rules));
    }
}
