using CloudFran.Abstractions.Calendar;
using CloudFran.Abstractions.Locations;
using CloudFran.Grains.Calendar;
using Xunit;

namespace CloudFran.Tests.Calendar;

public sealed class AvailabilityEngineTests
{
    private static readonly TimeZoneInfo NewYork = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
    private static readonly ProviderView Provider = new("prv_alice0000", "loc_x0000000", "Alice", "staff", null, true);

    private static Dictionary<string, IReadOnlyList<OpenInterval>> AllDay(string day, string open = "00:00", string close = "24:00") =>
        new() { [day] = [new OpenInterval(open, close)] };

    private static ServiceView Service(int minutes, int before = 0, int after = 0) =>
        new("svc_cut000000", "loc_x0000000", "Cut", minutes, before, after, 30m, []);

    [Fact]
    public void Spring_forward_gap_has_no_slots_and_offsets_change()
    {
        // 2026-03-08 is a Sunday; 02:00-03:00 local does not exist in New York.
        var day = new DateOnly(2026, 3, 8);
        var slots = AvailabilityEngine.Compute(AllDay("sunday", "01:00", "04:00"), NewYork, Service(15), [Provider], [], day, day, DateTimeOffset.MinValue);
        Assert.DoesNotContain(slots, s => s.Start.Hour == 2); // 02:00-02:59 does not exist that night
        Assert.Equal(TimeSpan.FromHours(-5), slots.First().Start.Offset);
        Assert.Equal(TimeSpan.FromHours(-4), slots.Last().Start.Offset);
        Assert.Equal(8, slots.Count); // 01:00-01:45 (4) and 03:00-03:45 (4)
    }

    [Fact]
    public void Fall_back_hour_is_offered_once()
    {
        var day = new DateOnly(2026, 11, 1); // Sunday; 01:00-02:00 happens twice
        var slots = AvailabilityEngine.Compute(AllDay("sunday", "00:30", "02:30"), NewYork, Service(30), [Provider], [], day, day, DateTimeOffset.MinValue);
        var starts = slots.Select(s => s.Start).ToList();
        Assert.Equal(starts.Count, starts.Distinct().Count());
        Assert.Contains(starts, s => s.Hour == 1 && s.Minute == 0 && s.Offset == TimeSpan.FromHours(-4));
    }

    [Fact]
    public void Buffers_of_the_booking_and_of_the_new_appointment_both_apply()
    {
        var day = new DateOnly(2026, 6, 1); // Monday, EDT
        // A booking 10:00-11:00 with 15 min after → block until 11:15.
        var booked = new BookedBlock(Provider.ProviderId, new DateTimeOffset(2026, 6, 1, 10, 0, 0, TimeSpan.FromHours(-4)),
            new DateTimeOffset(2026, 6, 1, 11, 15, 0, TimeSpan.FromHours(-4)));
        var slots = AvailabilityEngine.Compute(AllDay("monday", "09:00", "13:00"), NewYork, Service(30, before: 15), [Provider], [booked], day, day, DateTimeOffset.MinValue);
        var local = slots.Select(s => s.Start.ToString("HH:mm")).ToList();
        Assert.Contains("09:15", local);       // 09:00-09:45 block ends before 10:00
        Assert.Contains("09:30", local);       // block 09:15-10:00 ends exactly where the booking's begins
        Assert.DoesNotContain("09:45", local);
        Assert.DoesNotContain("10:30", local);
        Assert.DoesNotContain("11:15", local); // new block starts 11:00 (buffer before) < 11:15
        Assert.Contains("11:30", local);
    }

    [Fact]
    public void Provider_hours_narrow_the_location_hours_and_past_slots_are_hidden()
    {
        var day = new DateOnly(2026, 6, 1);
        var provider = Provider with { WeeklyHours = AllDay("monday", "12:00", "14:00") };
        var slots = AvailabilityEngine.Compute(AllDay("monday", "09:00", "17:00"), NewYork, Service(60), [provider], [], day, day,
            new DateTimeOffset(2026, 6, 1, 12, 30, 0, TimeSpan.FromHours(-4)));
        Assert.Equal(["12:30", "12:45", "13:00"], slots.Select(s => s.Start.ToString("HH:mm")));
    }
}
