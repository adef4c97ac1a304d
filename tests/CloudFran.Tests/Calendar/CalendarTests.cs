using System.Net;
using System.Text.Json;
using CloudFran.Tests.Infrastructure;
using Npgsql;
using Xunit;

namespace CloudFran.Tests.Calendar;

/// <summary>Calendar over HTTP: setup, availability, booking (409 with alternatives), cancel, concurrency, isolation.</summary>
[Collection(CalendarCollection.Name)]
public sealed class CalendarTests(PlatformFactory factory)
{
    private static readonly DateOnly Day = NextMonday();

    private static DateOnly NextMonday()
    {
        var d = DateOnly.FromDateTime(DateTime.UtcNow).AddDays(7);
        while (d.DayOfWeek != DayOfWeek.Monday) d = d.AddDays(1);
        return d;
    }

    private static string At(string hhmm) => $"{Day:yyyy-MM-dd}T{hhmm}:00";

    private sealed record Setup(TestTenant Tenant, string LocationId, string[] Providers, string Zone);

    private async Task<Setup> SetupAsync(int providers = 2, int duration = 60, int bufferAfter = 0)
    {
        var tenant = await factory.CreateTenantAsync();
        using var client = tenant.Live();
        var location = await (await client.PostJsonAsync("/v1/locations", new
        {
            name = "Salon",
            address = new { street = "1 Main St", city = "Chicago", country = "US" },
            timezone = "America/Chicago",
            hours = new { monday = new[] { new { open = "09:00", close = "19:00" } } },
        })).JsonAsync(HttpStatusCode.Created);
        var locationId = location.GetProperty("locationId").GetString()!;
        var ids = new List<string>();
        for (var i = 0; i < providers; i++)
        {
            var p = await (await client.PostJsonAsync("/v1/calendar/providers", new { locationId, name = $"Stylist {i}", kind = "staff" }))
                .JsonAsync(HttpStatusCode.Created);
            ids.Add(p.GetProperty("providerId").GetString()!);
        }
        await (await client.PostJsonAsync("/v1/calendar/services", new
        {
            locationId, name = "Haircut", durationMinutes = duration, bufferAfterMinutes = bufferAfter, price = 35.5m,
        })).JsonAsync(HttpStatusCode.Created);
        return new Setup(tenant, locationId, ids.ToArray(), "America/Chicago");
    }

    private static object Booking(string locationId, DateTimeOffset start, string? providerId = null) => new
    {
        locationId, serviceType = "haircut", start, providerId, customerName = "Ana Diaz", customerPhone = "+13125550142", bookingMethod = 1,
    };

    private static DateTimeOffset Local(string hhmm)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById("America/Chicago");
        var local = DateTime.Parse(At(hhmm), System.Globalization.CultureInfo.InvariantCulture);
        return new DateTimeOffset(local, zone.GetUtcOffset(local));
    }

    [Fact]
    public async Task Book_then_the_slot_is_gone_and_a_second_attempt_gets_alternatives()
    {
        var s = await SetupAsync(providers: 1);
        using var client = s.Tenant.Live();
        var availability = await (await client.GetAsync(
            $"/v1/calendar/availability?locationId={s.LocationId}&serviceType=Haircut&dateFrom={Day:yyyy-MM-dd}&dateTo={Day:yyyy-MM-dd}"))
            .JsonAsync(HttpStatusCode.OK);
        var slots = availability.GetProperty("slots").EnumerateArray().ToList();
        Assert.Equal(37, slots.Count); // 09:00 … 18:00 every 15 minutes
        Assert.Equal(Local("09:00"), slots[0].GetProperty("start").GetDateTimeOffset());
        Assert.Equal(Local("09:00").Offset, slots[0].GetProperty("start").GetDateTimeOffset().Offset);

        var booked = await (await client.PostJsonAsync("/v1/calendar/appointments", Booking(s.LocationId, Local("10:00")))).JsonAsync(HttpStatusCode.Created);
        Assert.Equal(s.Providers[0], booked.GetProperty("providerId").GetString());
        Assert.Equal(1, booked.GetProperty("bookingMethod").GetInt32());

        var conflict = await (await client.PostJsonAsync("/v1/calendar/appointments", Booking(s.LocationId, Local("10:30"))))
            .ErrorAsync(HttpStatusCode.Conflict, "SLOT_UNAVAILABLE");
        var alternatives = conflict.GetProperty("alternatives").EnumerateArray().Select(a => a.GetProperty("start").GetDateTimeOffset()).ToList();
        Assert.NotEmpty(alternatives);
        Assert.Contains(Local("11:00"), alternatives);
        Assert.DoesNotContain(Local("10:30"), alternatives);

        var after = await (await client.GetAsync(
            $"/v1/calendar/availability?locationId={s.LocationId}&serviceType=Haircut&dateFrom={Day:yyyy-MM-dd}&dateTo={Day:yyyy-MM-dd}"))
            .JsonAsync(HttpStatusCode.OK);
        var starts = after.GetProperty("slots").EnumerateArray().Select(x => x.GetProperty("start").GetDateTimeOffset()).ToList();
        Assert.DoesNotContain(Local("09:15"), starts); // would end 10:15, inside the booking
        Assert.DoesNotContain(Local("10:45"), starts);
        Assert.Contains(Local("09:00"), starts);
        Assert.Contains(Local("11:00"), starts);

        // Cancel frees the slot again.
        var id = booked.GetProperty("appointmentId").GetString();
        var cancelled = await (await client.PostJsonAsync($"/v1/calendar/appointments/{id}/cancel", new { reason = "customer_request", message = "Sick" }))
            .JsonAsync(HttpStatusCode.OK);
        Assert.True(cancelled.GetProperty("cancelled").GetBoolean());
        await (await client.PostJsonAsync("/v1/calendar/appointments", Booking(s.LocationId, Local("10:30")))).JsonAsync(HttpStatusCode.Created);
        var list = await (await client.GetAsync($"/v1/calendar/appointments?dateFrom={Day:yyyy-MM-dd}&dateTo={Day:yyyy-MM-dd}&status=booked"))
            .JsonAsync(HttpStatusCode.OK);
        Assert.Equal(1, list.GetProperty("total").GetInt64());
    }

    [Fact]
    public async Task Parallel_attempts_never_double_book()
    {
        var s = await SetupAsync(providers: 1);
        // A fresh agent key: its own per-minute window (200 on enterprise) fits the 200 attempts exactly.
        using var client = factory.ClientFor(await s.Tenant.CreateKeyAsync("agent"), s.Tenant.TenantId);
        var starts = Enumerable.Range(9, 10).Select(h => Local($"{h:D2}:00")).ToList();
        // 200 attempts, 20 in flight at any moment: enough to race on every slot, and a fixed amount of work whatever
        // the machine's speed (200 at once could outwait the grain call timeout on a loaded 2-core machine).
        var responses = new HttpResponseMessage[200];
        await Parallel.ForEachAsync(Enumerable.Range(0, 200), new ParallelOptions { MaxDegreeOfParallelism = 20 }, async (i, _) =>
            responses[i] = await client.PostJsonAsync("/v1/calendar/appointments", Booking(s.LocationId, starts[i % 10])));
        var unexpected = responses.Where(r => r.StatusCode is not (HttpStatusCode.Created or HttpStatusCode.Conflict)).ToList();
        Assert.True(unexpected.Count == 0, unexpected.Count == 0 ? "" : await unexpected[0].Content.ReadAsStringAsync());
        Assert.Equal(10, responses.Count(r => r.StatusCode == HttpStatusCode.Created));
        Assert.Equal(190, responses.Count(r => r.StatusCode == HttpStatusCode.Conflict));

        await using var conn = new NpgsqlConnection(factory.ConnectionString);
        await conn.OpenAsync();
        await using var overlaps = new NpgsqlCommand(
            """
            SELECT count(*) FROM appointments a JOIN appointments b
              ON a.tenant_id = b.tenant_id AND a.provider_id = b.provider_id AND a.appointment_id < b.appointment_id
             WHERE a.tenant_id = @t AND a.status = 'booked' AND b.status = 'booked'
               AND tstzrange(a.block_start, a.block_end) && tstzrange(b.block_start, b.block_end)
            """, conn);
        overlaps.Parameters.AddWithValue("t", s.Tenant.TenantId);
        Assert.Equal(0L, await overlaps.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Providers_are_assigned_fairly_when_none_is_named()
    {
        var s = await SetupAsync(providers: 2);
        using var client = s.Tenant.Live();
        var first = await (await client.PostJsonAsync("/v1/calendar/appointments", Booking(s.LocationId, Local("09:00")))).JsonAsync(HttpStatusCode.Created);
        var second = await (await client.PostJsonAsync("/v1/calendar/appointments", Booking(s.LocationId, Local("12:00")))).JsonAsync(HttpStatusCode.Created);
        Assert.NotEqual(first.GetProperty("providerId").GetString(), second.GetProperty("providerId").GetString());
        var third = await (await client.PostJsonAsync("/v1/calendar/appointments", Booking(s.LocationId, Local("09:00")))).JsonAsync(HttpStatusCode.Created);
        await (await client.PostJsonAsync("/v1/calendar/appointments", Booking(s.LocationId, Local("09:00")))).ErrorAsync(HttpStatusCode.Conflict, "SLOT_UNAVAILABLE");
        Assert.NotEqual(first.GetProperty("providerId").GetString(), third.GetProperty("providerId").GetString());
    }

    [Fact]
    public async Task Another_tenant_sees_nothing_and_bad_input_is_4xx()
    {
        var s = await SetupAsync(providers: 1);
        using var client = s.Tenant.Live();
        var booked = await (await client.PostJsonAsync("/v1/calendar/appointments", Booking(s.LocationId, Local("09:00")))).JsonAsync(HttpStatusCode.Created);
        var id = booked.GetProperty("appointmentId").GetString();
        var other = await factory.CreateTenantAsync();
        using var intruder = other.Live();
        await (await intruder.GetAsync($"/v1/calendar/appointments/{id}")).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        await (await intruder.PostJsonAsync($"/v1/calendar/appointments/{id}/cancel", new { reason = "x" })).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        await (await intruder.GetAsync($"/v1/calendar/providers?locationId={s.LocationId}")).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        await (await intruder.PostJsonAsync("/v1/calendar/appointments", Booking(s.LocationId, Local("11:00")))).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        var theirs = await (await intruder.GetAsync("/v1/calendar/appointments")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(0, theirs.GetProperty("total").GetInt64());
        using var sandbox = s.Tenant.Sandbox();
        await (await sandbox.GetAsync($"/v1/calendar/appointments/{id}")).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");

        var q = $"/v1/calendar/availability?locationId={s.LocationId}&serviceType=Haircut";
        await (await client.GetAsync($"{q}&dateFrom={Day:yyyy-MM-dd}&dateTo={Day.AddDays(-1):yyyy-MM-dd}")).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await client.GetAsync($"{q}&dateFrom={Day:yyyy-MM-dd}&dateTo={Day.AddDays(40):yyyy-MM-dd}")).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await client.GetAsync($"{q}&dateFrom=tomorrow&dateTo={Day:yyyy-MM-dd}")).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await client.GetAsync($"/v1/calendar/availability?locationId={s.LocationId}&dateFrom={Day:yyyy-MM-dd}&dateTo={Day:yyyy-MM-dd}")).ErrorAsync(HttpStatusCode.BadRequest, "MISSING_FIELD");
        await (await client.GetAsync($"/v1/calendar/availability?locationId={s.LocationId}&serviceType=Massage&dateFrom={Day:yyyy-MM-dd}&dateTo={Day:yyyy-MM-dd}")).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await client.GetAsync("/v1/calendar/providers")).ErrorAsync(HttpStatusCode.BadRequest, "MISSING_FIELD");
        await (await client.PostJsonAsync("/v1/calendar/appointments", new { locationId = s.LocationId, serviceType = "Haircut" })).ErrorAsync(HttpStatusCode.BadRequest, "MISSING_FIELD");
        await (await client.PostJsonAsync("/v1/calendar/appointments", new { locationId = s.LocationId, serviceType = "Haircut", start = Local("09:00"), customerName = "A", customerPhone = "12" }))
            .ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await client.PostJsonAsync("/v1/calendar/appointments", new { locationId = s.LocationId, serviceType = "Haircut", start = "noon", customerName = "A", customerPhone = "+13125550142" }))
            .ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await client.PostJsonAsync("/v1/calendar/services", new { locationId = s.LocationId, name = "Long", durationMinutes = 2000 })).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await client.PostJsonAsync("/v1/calendar/providers", new { locationId = s.LocationId, name = "Bot", kind = "robot" })).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        // Outside opening hours and in the past are not bookable.
        await (await client.PostJsonAsync("/v1/calendar/appointments", Booking(s.LocationId, Local("08:00")))).ErrorAsync(HttpStatusCode.Conflict, "SLOT_UNAVAILABLE");
        await (await client.PostJsonAsync("/v1/calendar/appointments", Booking(s.LocationId, DateTimeOffset.UtcNow.AddDays(-1)))).ErrorAsync(HttpStatusCode.Conflict, "SLOT_UNAVAILABLE");
        _ = JsonValueKind.Null;
    }
}
