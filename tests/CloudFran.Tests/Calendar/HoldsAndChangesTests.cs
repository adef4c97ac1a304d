using System.Net;
using CloudFran.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace CloudFran.Tests.Calendar;

[Collection(FakeClockCollection.Name)]
public sealed class HoldsAndChangesTests(FakeClockPlatformFactory factory)
{
    private static readonly TimeZoneInfo Chicago = TimeZoneInfo.FindSystemTimeZoneById("America/Chicago");

    private DateOnly Day
    {
        get
        {
            var d = DateOnly.FromDateTime(factory.Clock.GetUtcNow().UtcDateTime).AddDays(7);
            while (d.DayOfWeek != DayOfWeek.Monday) d = d.AddDays(1);
            return d;
        }
    }

    private DateTimeOffset Local(string hhmm)
    {
        var local = Day.ToDateTime(TimeOnly.ParseExact(hhmm, "HH:mm"));
        return new DateTimeOffset(local, Chicago.GetUtcOffset(local));
    }

    private async Task<(TestTenant Tenant, HttpClient Client, string LocationId, string[] Providers)> SetupAsync(int providers = 1, object? exceptions = null)
    {
        var tenant = await factory.CreateTenantAsync();
        var client = tenant.Live();
        var location = await (await client.PostJsonAsync("/v1/locations", new
        {
            name = "Spa", address = new { street = "2 Lake St", city = "Chicago", country = "US" }, timezone = "America/Chicago",
            hours = new { monday = new[] { new { open = "09:00", close = "17:00" } } },
        })).JsonAsync(HttpStatusCode.Created);
        var locationId = location.GetProperty("locationId").GetString()!;
        var ids = new List<string>();
        for (var i = 0; i < providers; i++)
        {
            var p = await (await client.PostJsonAsync("/v1/calendar/providers", new { locationId, name = $"Therapist {i}", kind = "room", exceptions = i == 0 ? exceptions : null }))
                .JsonAsync(HttpStatusCode.Created);
            ids.Add(p.GetProperty("providerId").GetString()!);
        }
        await (await client.PostJsonAsync("/v1/calendar/services", new { locationId, name = "Massage", durationMinutes = 60 })).JsonAsync(HttpStatusCode.Created);
        return (tenant, client, locationId, ids.ToArray());
    }

    private static object Hold(string locationId, DateTimeOffset start) => new { locationId, serviceType = "Massage", start };
    private static object Customer() => new { customerName = "Lee Park", customerPhone = "+13125550177" };
    private static object Book(string locationId, DateTimeOffset start, string? providerId = null) =>
        new { locationId, serviceType = "Massage", start, providerId, customerName = "Kim", customerPhone = "+13125550188" };

    [Fact]
    public async Task A_hold_blocks_the_slot_and_confirms_atomically()
    {
        var (_, client, locationId, _) = await SetupAsync();
        var hold = await (await client.PostJsonAsync("/v1/calendar/holds", Hold(locationId, Local("10:00")))).JsonAsync(HttpStatusCode.Created);
        Assert.Equal("held", hold.GetProperty("status").GetString());
        var holdId = hold.GetProperty("appointmentId").GetString();
        await (await client.PostJsonAsync("/v1/calendar/appointments", Book(locationId, Local("10:00")))).ErrorAsync(HttpStatusCode.Conflict, "SLOT_UNAVAILABLE");
        var booked = await (await client.PostJsonAsync($"/v1/calendar/holds/{holdId}/confirm", Customer())).JsonAsync(HttpStatusCode.Created);
        Assert.Equal("booked", booked.GetProperty("status").GetString());
        Assert.Equal(holdId, booked.GetProperty("appointmentId").GetString());
        Assert.Equal("Lee Park", booked.GetProperty("customerName").GetString());
        await (await client.PostJsonAsync($"/v1/calendar/holds/{holdId}/confirm", Customer())).ErrorAsync(HttpStatusCode.Conflict, "HOLD_EXPIRED");
    }

    [Fact]
    public async Task An_expired_hold_cannot_be_confirmed_and_frees_its_slot()
    {
        var (_, client, locationId, _) = await SetupAsync();
        var hold = await (await client.PostJsonAsync("/v1/calendar/holds", new { locationId, serviceType = "Massage", start = Local("11:00"), minutes = 5 }))
            .JsonAsync(HttpStatusCode.Created);
        factory.Clock.Advance(TimeSpan.FromMinutes(6));
        await (await client.PostJsonAsync($"/v1/calendar/holds/{hold.GetProperty("appointmentId").GetString()}/confirm", Customer()))
            .ErrorAsync(HttpStatusCode.Conflict, "HOLD_EXPIRED");
        await (await client.PostJsonAsync("/v1/calendar/appointments", Book(locationId, Local("11:00")))).JsonAsync(HttpStatusCode.Created);
    }

    [Fact]
    public async Task An_expired_hold_is_released_by_the_sweep_when_its_providers_activation_is_gone()
    {
        var (_, client, locationId, _) = await SetupAsync();
        var hold = await (await client.PostJsonAsync("/v1/calendar/holds", new { locationId, serviceType = "Massage", start = Local("15:00"), minutes = 5 }))
            .JsonAsync(HttpStatusCode.Created);
        var holdId = hold.GetProperty("appointmentId").GetString();
        // The provider's activation goes away with its timer, as when its node dies; only the sweep can release the hold now.
        await factory.Services.GetRequiredService<IGrainFactory>().GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
        factory.Clock.Advance(TimeSpan.FromMinutes(6));
        var signal = factory.Services.GetRequiredService<CloudFran.Grains.Calendar.HoldSweepSignal>();
        await Eventually.Async($"the sweep to release hold {holdId}", async () =>
        {
            signal.Wake();
            // Read through the directory (a plain query), never the provider's grain, which would release it itself.
            return (await (await client.GetAsync($"/v1/calendar/appointments/{holdId}")).JsonAsync(HttpStatusCode.OK)).GetProperty("status").GetString();
        }, status => status == "released");
    }

    [Fact]
    public async Task Reschedule_moves_atomically_or_answers_with_alternatives()
    {
        var (_, client, locationId, providers) = await SetupAsync(providers: 2);
        var first = await (await client.PostJsonAsync("/v1/calendar/appointments", Book(locationId, Local("10:00"), providers[0]))).JsonAsync(HttpStatusCode.Created);
        var id = first.GetProperty("appointmentId").GetString();
        // Overlapping its own old slot is fine: the move is one statement.
        var moved = await (await client.PostJsonAsync($"/v1/calendar/appointments/{id}/reschedule", new { start = Local("10:30"), providerId = providers[0] }))
            .JsonAsync(HttpStatusCode.OK);
        Assert.Equal(Local("10:30"), moved.GetProperty("start").GetDateTimeOffset());
        await (await client.PostJsonAsync("/v1/calendar/appointments", Book(locationId, Local("13:00"), providers[0]))).JsonAsync(HttpStatusCode.Created);
        var conflict = await (await client.PostJsonAsync($"/v1/calendar/appointments/{id}/reschedule", new { start = Local("13:30"), providerId = providers[0] }))
            .ErrorAsync(HttpStatusCode.Conflict, "SLOT_UNAVAILABLE");
        Assert.NotEmpty(conflict.GetProperty("alternatives").EnumerateArray());
        var still = await (await client.GetAsync($"/v1/calendar/appointments/{id}")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(Local("10:30"), still.GetProperty("start").GetDateTimeOffset().ToOffset(Local("10:30").Offset));
        // To another provider at the same time.
        var other = await (await client.PostJsonAsync($"/v1/calendar/appointments/{id}/reschedule", new { start = Local("13:00"), providerId = providers[1] }))
            .JsonAsync(HttpStatusCode.OK);
        Assert.Equal(providers[1], other.GetProperty("providerId").GetString());
    }

    [Fact]
    public async Task Parking_frees_the_slot_and_unparking_needs_it_free()
    {
        var (_, client, locationId, _) = await SetupAsync();
        var booked = await (await client.PostJsonAsync("/v1/calendar/appointments", Book(locationId, Local("14:00")))).JsonAsync(HttpStatusCode.Created);
        var id = booked.GetProperty("appointmentId").GetString();
        var parked = await (await client.PostAsync($"/v1/calendar/appointments/{id}/park", null)).JsonAsync(HttpStatusCode.OK);
        Assert.True(parked.GetProperty("parked").GetBoolean());
        await (await client.PostJsonAsync("/v1/calendar/appointments", Book(locationId, Local("14:00")))).JsonAsync(HttpStatusCode.Created);
        await (await client.PostAsync($"/v1/calendar/appointments/{id}/unpark", null)).ErrorAsync(HttpStatusCode.Conflict, "SLOT_UNAVAILABLE");

        var ics = await client.GetAsync($"/v1/calendar/appointments/{id}/ics");
        Assert.Equal("text/calendar", ics.Content.Headers.ContentType!.MediaType);
        var text = await ics.Content.ReadAsStringAsync();
        Assert.Contains("BEGIN:VEVENT\r\n", text);
        Assert.Contains($"DTSTART:{Local("14:00").UtcDateTime:yyyyMMdd'T'HHmmss'Z'}", text);
        Assert.Contains($"UID:{id}@cloudfran", text);
    }

    [Fact]
    public async Task A_closed_exception_day_has_no_availability()
    {
        var day = Day;
        var (_, client, locationId, _) = await SetupAsync(exceptions: new[] { new { date = day.ToString("yyyy-MM-dd"), closed = true } });
        var availability = await (await client.GetAsync(
            $"/v1/calendar/availability?locationId={locationId}&serviceType=Massage&dateFrom={day:yyyy-MM-dd}&dateTo={day.AddDays(7):yyyy-MM-dd}"))
            .JsonAsync(HttpStatusCode.OK);
        var days = availability.GetProperty("slots").EnumerateArray()
            .Select(s => DateOnly.FromDateTime(s.GetProperty("start").GetDateTimeOffset().DateTime)).Distinct().ToList();
        Assert.Equal([day.AddDays(7)], days);
    }
}

[Collection(FakeClockCollection.Name)]
public sealed class ReminderTests(FakeClockPlatformFactory factory)
{
    [Fact]
    public async Task The_day_before_one_reminder_sms_and_event_go_out()
    {
        var tenant = await factory.CreateTenantAsync(name: "Glow Spa");
        using var client = tenant.Live();
        var location = await (await client.PostJsonAsync("/v1/locations", new
        {
            name = "Spa", address = new { street = "2 Lake St", city = "Chicago", country = "US" }, timezone = "America/Chicago",
            hours = new { tuesday = new[] { new { open = "09:00", close = "17:00" } } },
        })).JsonAsync(HttpStatusCode.Created);
        var locationId = location.GetProperty("locationId").GetString()!;
        var provider = await (await client.PostJsonAsync("/v1/calendar/providers", new { locationId, name = "Ida", kind = "staff" })).JsonAsync(HttpStatusCode.Created);
        await (await client.PostJsonAsync("/v1/calendar/services", new { locationId, name = "Facial", durationMinutes = 45 })).JsonAsync(HttpStatusCode.Created);
        var day = DateOnly.FromDateTime(factory.Clock.GetUtcNow().UtcDateTime).AddDays(7);
        while (day.DayOfWeek != DayOfWeek.Tuesday) day = day.AddDays(1);
        var zone = TimeZoneInfo.FindSystemTimeZoneById("America/Chicago");
        var local = day.ToDateTime(new TimeOnly(10, 0));
        var start = new DateTimeOffset(local, zone.GetUtcOffset(local));
        var booked = await (await client.PostJsonAsync("/v1/calendar/appointments", new
        {
            locationId, serviceType = "Facial", start, customerName = "Mo", customerPhone = "+13125550166",
        })).JsonAsync(HttpStatusCode.Created);
        var id = booked.GetProperty("appointmentId").GetString();

        var worker = factory.Services.GetServices<Microsoft.Extensions.Hosting.IHostedService>().OfType<CloudFran.Grains.Calendar.AppointmentReminderWorker>().Single();
        Assert.Equal(0, await worker.RunOnceAsync(CancellationToken.None)); // a week early: nothing
        factory.Clock.Advance(start - factory.Clock.GetUtcNow() - TimeSpan.FromHours(23));
        await worker.RunOnceAsync(CancellationToken.None);
        await worker.RunOnceAsync(CancellationToken.None);

        var thread = await (await client.GetAsync("/v1/sms/messages?phone=%2B13125550166")).JsonAsync(HttpStatusCode.OK);
        var reminder = Assert.Single(thread.GetProperty("data").EnumerateArray());
        Assert.StartsWith("Glow Spa: reminder of your Facial on", reminder.GetProperty("body").GetString());
        Assert.Contains("10:00 AM", reminder.GetProperty("body").GetString());
        await using var conn = new Npgsql.NpgsqlConnection(factory.ConnectionString);
        await conn.OpenAsync();
        await using var events = new Npgsql.NpgsqlCommand("SELECT count(*) FROM outbox_events WHERE tenant_id = @t AND event_type = 'appointment.reminder'", conn);
        events.Parameters.AddWithValue("t", tenant.TenantId);
        Assert.Equal(1L, await events.ExecuteScalarAsync());

        var feed = await (await client.GetAsync($"/v1/calendar/providers/{provider.GetProperty("providerId").GetString()}/feed.ics")).Content.ReadAsStringAsync();
        Assert.Contains($"UID:{id}@cloudfran", feed);
        Assert.StartsWith("BEGIN:VCALENDAR\r\n", feed);
    }
}
