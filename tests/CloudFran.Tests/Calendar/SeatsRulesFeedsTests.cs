using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CloudFran.Tests.Infrastructure;
using Npgsql;
using Xunit;

namespace CloudFran.Tests.Calendar;

/// <summary>Seated providers, per-location booking rules and secret feed URLs.</summary>
[Collection(CalendarCollection.Name)]
public sealed class SeatsRulesFeedsTests(PlatformFactory factory)
{
    private static readonly TimeZoneInfo Chicago = TimeZoneInfo.FindSystemTimeZoneById("America/Chicago");
    private static readonly DateOnly Day = NextMonday();

    private static DateOnly NextMonday()
    {
        var d = DateOnly.FromDateTime(DateTime.UtcNow).AddDays(7);
        while (d.DayOfWeek != DayOfWeek.Monday) d = d.AddDays(1);
        return d;
    }

    private static DateTimeOffset Local(string hhmm)
    {
        var local = Day.ToDateTime(TimeOnly.ParseExact(hhmm, "HH:mm"));
        return new DateTimeOffset(local, Chicago.GetUtcOffset(local));
    }

    private async Task<(TestTenant Tenant, HttpClient Client, string LocationId, string ProviderId)> SetupAsync(int? seats = null, string kind = "staff",
        string service = "Haircut")
    {
        var tenant = await factory.CreateTenantAsync();
        var client = tenant.Live();
        var location = await (await client.PostJsonAsync("/v1/locations", new
        {
            name = "Bistro", address = new { street = "3 Oak St", city = "Chicago", country = "US" }, timezone = "America/Chicago",
            hours = new { monday = new[] { new { open = "09:00", close = "19:00" } } },
        })).JsonAsync(HttpStatusCode.Created);
        var locationId = location.GetProperty("locationId").GetString()!;
        var provider = await (await client.PostJsonAsync("/v1/calendar/providers", new { locationId, name = "Table 1", kind, seats }))
            .JsonAsync(HttpStatusCode.Created);
        await (await client.PostJsonAsync("/v1/calendar/services", new { locationId, name = service, durationMinutes = 60 })).JsonAsync(HttpStatusCode.Created);
        return (tenant, client, locationId, provider.GetProperty("providerId").GetString()!);
    }

    private static object Booking(string locationId, DateTimeOffset start, int? partySize = null, string service = "Haircut") => new
    {
        locationId, serviceType = service, start, partySize, customerName = "Ana Diaz", customerPhone = "+13125550142", bookingMethod = 2,
    };

    [Fact]
    public async Task Hundred_parallel_parties_never_exceed_a_six_seat_table()
    {
        var s = await SetupAsync(seats: 6, kind: "table", service: "Dinner");
        using var agent = factory.ClientFor(await s.Tenant.CreateKeyAsync("agent"), s.Tenant.TenantId);
        var starts = new[] { Local("10:00"), Local("11:00"), Local("12:00") };
        var responses = await Task.WhenAll(Enumerable.Range(0, 100).Select(i =>
            agent.PostJsonAsync("/v1/calendar/appointments", Booking(s.LocationId, starts[i % 3], i % 4 + 1, "Dinner"))));
        var unexpected = responses.Where(r => r.StatusCode is not (HttpStatusCode.Created or HttpStatusCode.Conflict)).ToList();
        Assert.True(unexpected.Count == 0, unexpected.Count == 0 ? "" : await unexpected[0].Content.ReadAsStringAsync());
        var created = responses.Count(r => r.StatusCode == HttpStatusCode.Created);
        Assert.InRange(created, 3, 18);

        await using var conn = new NpgsqlConnection(factory.ConnectionString);
        await conn.OpenAsync();
        // Seats per slot never above 6, and no seat is held twice at the same time.
        await using (var perSlot = new NpgsqlCommand(
            "SELECT start_at, sum(party_size)::int, count(*)::int FROM appointments WHERE tenant_id = @t AND status = 'booked' GROUP BY start_at ORDER BY start_at", conn))
        {
            perSlot.Parameters.AddWithValue("t", s.Tenant.TenantId);
            await using var reader = await perSlot.ExecuteReaderAsync();
            var rows = 0;
            var bookings = 0;
            while (await reader.ReadAsync())
            {
                rows++;
                bookings += reader.GetInt32(2);
                Assert.InRange(reader.GetInt32(1), 3, 6); // full enough that no party of ≤ 4 could have been refused with 4+ seats left
            }
            Assert.Equal(3, rows);
            Assert.Equal(created, bookings);
        }
        await using var shared = new NpgsqlCommand(
            """
            SELECT count(*) FROM appointments a JOIN appointments b
              ON a.tenant_id = b.tenant_id AND a.provider_id = b.provider_id AND a.appointment_id < b.appointment_id
             WHERE a.tenant_id = @t AND a.status = 'booked' AND b.status = 'booked'
               AND tstzrange(a.block_start, a.block_end) && tstzrange(b.block_start, b.block_end) AND a.seat_set && b.seat_set
            """, conn);
        shared.Parameters.AddWithValue("t", s.Tenant.TenantId);
        Assert.Equal(0L, await shared.ExecuteScalarAsync());

        // The database itself refuses a seat outside the table or a seat count different from the party.
        await using var rogue = new NpgsqlCommand(
            """
            UPDATE appointments SET seat_set = '{[5,7)}', party_size = 2
             WHERE tenant_id = @t AND appointment_id = (SELECT min(appointment_id) FROM appointments WHERE tenant_id = @t AND status = 'booked')
            """, conn);
        rogue.Parameters.AddWithValue("t", s.Tenant.TenantId);
        var error = await Assert.ThrowsAsync<PostgresException>(() => rogue.ExecuteNonQueryAsync());
        Assert.Equal(PostgresErrorCodes.CheckViolation, error.SqlState);
    }

    [Fact]
    public async Task Seats_are_counted_in_availability_and_party_size_is_validated()
    {
        var s = await SetupAsync(seats: 6, kind: "table", service: "Dinner");
        var provider = await (await s.Client.GetAsync($"/v1/calendar/providers?locationId={s.LocationId}")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(6, provider[0].GetProperty("seats").GetInt32());
        var four = await (await s.Client.PostJsonAsync("/v1/calendar/appointments", Booking(s.LocationId, Local("10:00"), 4, "Dinner"))).JsonAsync(HttpStatusCode.Created);
        Assert.Equal(4, four.GetProperty("partySize").GetInt32());
        Assert.Equal([0, 1, 2, 3], four.GetProperty("seats").EnumerateArray().Select(x => x.GetInt32()));

        var url = $"/v1/calendar/availability?locationId={s.LocationId}&serviceType=Dinner&dateFrom={Day:yyyy-MM-dd}&dateTo={Day:yyyy-MM-dd}";
        var slots = (await (await s.Client.GetAsync(url)).JsonAsync(HttpStatusCode.OK)).GetProperty("slots").EnumerateArray().ToList();
        var ten = slots.Single(x => x.GetProperty("start").GetDateTimeOffset() == Local("10:00"));
        Assert.Equal(2, ten.GetProperty("remainingSeats").GetProperty(s.ProviderId).GetInt32());
        var nine = slots.Single(x => x.GetProperty("start").GetDateTimeOffset() == Local("09:00")); // ends 10:00, no overlap
        Assert.Equal(6, nine.GetProperty("remainingSeats").GetProperty(s.ProviderId).GetInt32());
        var forThree = (await (await s.Client.GetAsync(url + "&partySize=3")).JsonAsync(HttpStatusCode.OK)).GetProperty("slots").EnumerateArray()
            .Select(x => x.GetProperty("start").GetDateTimeOffset()).ToList();
        Assert.DoesNotContain(Local("10:00"), forThree);
        Assert.DoesNotContain(Local("09:15"), forThree);
        Assert.Contains(Local("11:00"), forThree);

        await (await s.Client.PostJsonAsync("/v1/calendar/appointments", Booking(s.LocationId, Local("10:00"), 3, "Dinner"))).ErrorAsync(HttpStatusCode.Conflict, "SLOT_UNAVAILABLE");
        var two = await (await s.Client.PostJsonAsync("/v1/calendar/appointments", Booking(s.LocationId, Local("10:00"), 2, "Dinner"))).JsonAsync(HttpStatusCode.Created);
        Assert.Equal([4, 5], two.GetProperty("seats").EnumerateArray().Select(x => x.GetInt32()));
        await (await s.Client.PostJsonAsync("/v1/calendar/appointments", Booking(s.LocationId, Local("10:00"), 1, "Dinner"))).ErrorAsync(HttpStatusCode.Conflict, "SLOT_UNAVAILABLE");

        // Cancelling the party of four frees four seats; a hold of three takes three of them.
        await (await s.Client.PostJsonAsync($"/v1/calendar/appointments/{four.GetProperty("appointmentId").GetString()}/cancel", new { reason = "x" })).JsonAsync(HttpStatusCode.OK);
        var hold = await (await s.Client.PostJsonAsync("/v1/calendar/holds", new { locationId = s.LocationId, serviceType = "Dinner", start = Local("10:00"), partySize = 3 }))
            .JsonAsync(HttpStatusCode.Created);
        Assert.Equal(3, hold.GetProperty("partySize").GetInt32());
        await (await s.Client.PostJsonAsync("/v1/calendar/appointments", Booking(s.LocationId, Local("10:00"), 2, "Dinner"))).ErrorAsync(HttpStatusCode.Conflict, "SLOT_UNAVAILABLE");
        await (await s.Client.PostJsonAsync("/v1/calendar/appointments", Booking(s.LocationId, Local("10:00"), 1, "Dinner"))).JsonAsync(HttpStatusCode.Created);

        // Bad inputs: party above the table, zero, seats out of range.
        await (await s.Client.PostJsonAsync("/v1/calendar/appointments", Booking(s.LocationId, Local("14:00"), 7, "Dinner"))).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await s.Client.PostJsonAsync("/v1/calendar/appointments", Booking(s.LocationId, Local("14:00"), 0, "Dinner"))).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await s.Client.GetAsync(url + "&partySize=9")).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await s.Client.GetAsync(url + "&partySize=two")).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await s.Client.PostJsonAsync("/v1/calendar/providers", new { locationId = s.LocationId, name = "Huge", kind = "table", seats = 51 })).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await s.Client.PostJsonAsync("/v1/calendar/providers", new { locationId = s.LocationId, name = "None", kind = "table", seats = 0 })).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
    }

    [Fact]
    public async Task The_appointment_agent_books_a_party_on_a_seated_table()
    {
        var s = await SetupAsync(seats: 6, kind: "table", service: "Dinner");
        var request = $"Dinner on {Day:yyyy-MM-dd} at 6pm";
        var agent = await (await s.Client.PostJsonAsync("/v1/agents/appointments", new
        {
            customerName = "Ana Diaz", phone = "+13125550142", request, serviceType = "Dinner", locationId = s.LocationId, partySize = 5,
        })).JsonAsync(HttpStatusCode.Created);
        var booked = agent.GetProperty("appointment");
        Assert.Equal(5, booked.GetProperty("partySize").GetInt32());
        Assert.Equal(Local("18:00"), booked.GetProperty("start").GetDateTimeOffset());
        // Five of six seats are gone: a second party of two at the same time is refused with alternatives.
        await (await s.Client.PostJsonAsync("/v1/agents/appointments", new
        {
            customerName = "Lee Park", phone = "+13125550143", request, serviceType = "Dinner", locationId = s.LocationId, partySize = 2,
        })).ErrorAsync(HttpStatusCode.Conflict, "SLOT_UNAVAILABLE");
        await (await s.Client.PostJsonAsync("/v1/agents/appointments", new
        {
            customerName = "Lee Park", phone = "+13125550143", request, serviceType = "Dinner", locationId = s.LocationId, partySize = 7,
        })).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        // The party size can also be said in the request, in English or Spanish.
        var spoken = await (await s.Client.PostJsonAsync("/v1/agents/appointments", new
        {
            customerName = "Kim Lee", phone = "+13125550144", request = $"Dinner on {Day:yyyy-MM-dd} at 10am, a table for three", serviceType = "Dinner",
            locationId = s.LocationId,
        })).JsonAsync(HttpStatusCode.Created);
        Assert.Equal(3, spoken.GetProperty("appointment").GetProperty("partySize").GetInt32());
        var spanish = await (await s.Client.PostJsonAsync("/v1/agents/appointments", new
        {
            customerName = "Sol Ruiz", phone = "+13125550145", request = $"Cena el {Day:yyyy-MM-dd} a las 11 de la mañana, somos cuatro personas", serviceType = "Dinner",
            locationId = s.LocationId,
        })).JsonAsync(HttpStatusCode.Created);
        Assert.Equal(4, spanish.GetProperty("appointment").GetProperty("partySize").GetInt32());
        await (await s.Client.PostJsonAsync("/v1/agents/appointments", new
        {
            customerName = "Lee Park", phone = "+13125550143", request, serviceType = "Dinner", locationId = s.LocationId, partySize = 0,
        })).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
    }

    [Fact]
    public async Task A_single_seat_provider_still_refuses_any_overlap()
    {
        var s = await SetupAsync();
        await (await s.Client.PostJsonAsync("/v1/calendar/appointments", Booking(s.LocationId, Local("10:00")))).JsonAsync(HttpStatusCode.Created);
        await (await s.Client.PostJsonAsync("/v1/calendar/appointments", Booking(s.LocationId, Local("10:30")))).ErrorAsync(HttpStatusCode.Conflict, "SLOT_UNAVAILABLE");
        await (await s.Client.PostJsonAsync("/v1/calendar/appointments", Booking(s.LocationId, Local("11:00"), 2))).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
    }

    [Fact]
    public async Task Booking_rules_are_honoured_everywhere_with_422()
    {
        var s = await SetupAsync();
        var settingsUrl = $"/v1/calendar/settings?locationId={s.LocationId}";
        var defaults = await (await s.Client.GetAsync(settingsUrl)).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(0, defaults.GetProperty("minNoticeMinutes").GetInt32());
        Assert.Equal(365, defaults.GetProperty("maxAdvanceDays").GetInt32());
        var booked = await (await s.Client.PostJsonAsync("/v1/calendar/appointments", Booking(s.LocationId, Local("09:00")))).JsonAsync(HttpStatusCode.Created);
        var id = booked.GetProperty("appointmentId").GetString();

        // Minimum notice of 30 days: next week is too soon for bookings, holds, reschedules and the agent.
        var set = await (await s.Client.PutJsonAsync(settingsUrl, new { minNoticeMinutes = 43_200 })).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(43_200, set.GetProperty("minNoticeMinutes").GetInt32());
        Assert.Equal(365, set.GetProperty("maxAdvanceDays").GetInt32());
        await (await s.Client.PostJsonAsync("/v1/calendar/appointments", Booking(s.LocationId, Local("12:00")))).ErrorAsync(HttpStatusCode.UnprocessableEntity, "BOOKING_TOO_SOON");
        await (await s.Client.PostJsonAsync("/v1/calendar/holds", new { locationId = s.LocationId, serviceType = "Haircut", start = Local("12:00") }))
            .ErrorAsync(HttpStatusCode.UnprocessableEntity, "BOOKING_TOO_SOON");
        await (await s.Client.PostJsonAsync($"/v1/calendar/appointments/{id}/reschedule", new { start = Local("13:00") }))
            .ErrorAsync(HttpStatusCode.UnprocessableEntity, "BOOKING_TOO_SOON");
        await (await s.Client.PostJsonAsync("/v1/agents/appointments", new
        {
            customerName = "Ana", phone = "+13125550142", request = $"Haircut on {Day:yyyy-MM-dd} at 3pm", locationId = s.LocationId,
        })).ErrorAsync(HttpStatusCode.UnprocessableEntity, "BOOKING_TOO_SOON");
        var availability = $"/v1/calendar/availability?locationId={s.LocationId}&serviceType=Haircut&dateFrom={Day:yyyy-MM-dd}&dateTo={Day:yyyy-MM-dd}";
        Assert.Equal(0, (await (await s.Client.GetAsync(availability)).JsonAsync(HttpStatusCode.OK)).GetProperty("slots").GetArrayLength());

        // At most 3 days ahead: next week is too far.
        var far = await (await s.Client.PutJsonAsync(settingsUrl, new { minNoticeMinutes = 0, maxAdvanceDays = 3 })).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(3, far.GetProperty("maxAdvanceDays").GetInt32());
        await (await s.Client.PostJsonAsync("/v1/calendar/appointments", Booking(s.LocationId, Local("12:00")))).ErrorAsync(HttpStatusCode.UnprocessableEntity, "BOOKING_TOO_FAR_AHEAD");
        await (await s.Client.PostJsonAsync($"/v1/calendar/appointments/{id}/reschedule", new { start = Local("13:00") }))
            .ErrorAsync(HttpStatusCode.UnprocessableEntity, "BOOKING_TOO_FAR_AHEAD");
        await (await s.Client.GetAsync(availability)).ErrorAsync(HttpStatusCode.UnprocessableEntity, "BOOKING_TOO_FAR_AHEAD");
        await (await s.Client.PostJsonAsync("/v1/agents/appointments", new
        {
            customerName = "Ana", phone = "+13125550142", request = $"Haircut on {Day:yyyy-MM-dd}", locationId = s.LocationId,
        })).ErrorAsync(HttpStatusCode.UnprocessableEntity, "BOOKING_TOO_FAR_AHEAD");
        Assert.Equal(3, (await (await s.Client.GetAsync(settingsUrl)).JsonAsync(HttpStatusCode.OK)).GetProperty("maxAdvanceDays").GetInt32());

        // Back to defaults: bookable again.
        await (await s.Client.PutJsonAsync(settingsUrl, new { maxAdvanceDays = 365 })).JsonAsync(HttpStatusCode.OK);
        await (await s.Client.PostJsonAsync("/v1/calendar/appointments", Booking(s.LocationId, Local("12:00")))).JsonAsync(HttpStatusCode.Created);

        // Bad inputs and roles.
        await (await s.Client.PutJsonAsync(settingsUrl, new { minNoticeMinutes = -1 })).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await s.Client.PutJsonAsync(settingsUrl, new { maxAdvanceDays = 0 })).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await s.Client.PutJsonAsync(settingsUrl, new { minNoticeMinutes = 2000, maxAdvanceDays = 1 })).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await s.Client.PutJsonAsync(settingsUrl, new { minNotice = 5 })).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await s.Client.PutJsonAsync("/v1/calendar/settings", new { minNoticeMinutes = 5 })).ErrorAsync(HttpStatusCode.BadRequest, "MISSING_FIELD");
        using var agent = factory.ClientFor(await s.Tenant.CreateKeyAsync("agent"), s.Tenant.TenantId);
        await (await agent.PutJsonAsync(settingsUrl, new { minNoticeMinutes = 5 })).ErrorAsync(HttpStatusCode.Forbidden, "INSUFFICIENT_ROLE");
        var other = await factory.CreateTenantAsync();
        using var intruder = other.Live();
        await (await intruder.GetAsync(settingsUrl)).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        await (await intruder.PutJsonAsync(settingsUrl, new { minNoticeMinutes = 5 })).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
    }

    [Fact]
    public async Task Secret_feed_urls_work_without_headers_rotate_and_revoke()
    {
        var s = await SetupAsync();
        await (await s.Client.PostJsonAsync("/v1/calendar/appointments", Booking(s.LocationId, Local("10:00")))).JsonAsync(HttpStatusCode.Created);
        var issued = await (await s.Client.PostAsync($"/v1/calendar/providers/{s.ProviderId}/feed-token", null)).JsonAsync(HttpStatusCode.Created);
        var url = issued.GetProperty("url").GetString()!;
        var token = issued.GetProperty("token").GetString()!;
        Assert.Equal($"/v1/calendar/feeds/{token}.ics", url);
        Assert.Equal(32, token.Length); // 192 random bits

        using var anonymous = factory.CreateClient();
        var feed = await anonymous.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, feed.StatusCode);
        Assert.StartsWith("text/calendar", feed.Content.Headers.ContentType!.ToString());
        var ics = await feed.Content.ReadAsStringAsync();
        Assert.Contains("BEGIN:VCALENDAR", ics);
        Assert.Contains("BEGIN:VEVENT", ics);

        // Only the hash is stored.
        await using (var conn = new NpgsqlConnection(factory.ConnectionString))
        {
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand("SELECT token_hash FROM calendar_feed_tokens WHERE tenant_id = @t", conn);
            cmd.Parameters.AddWithValue("t", s.Tenant.TenantId);
            var hash = (string)(await cmd.ExecuteScalarAsync())!;
            Assert.Equal(64, hash.Length);
            Assert.NotEqual(token, hash);
        }

        // Rotation: the old URL stops working, the new one works.
        var rotated = await (await s.Client.PostAsync($"/v1/calendar/providers/{s.ProviderId}/feed-token", null)).JsonAsync(HttpStatusCode.Created);
        var newUrl = rotated.GetProperty("url").GetString()!;
        Assert.NotEqual(url, newUrl);
        await (await anonymous.GetAsync(url)).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync(newUrl)).StatusCode);

        // Revocation, and bad or foreign ids.
        Assert.Equal(HttpStatusCode.NoContent, (await s.Client.DeleteAsync($"/v1/calendar/providers/{s.ProviderId}/feed-token")).StatusCode);
        await (await anonymous.GetAsync(newUrl)).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        await (await s.Client.DeleteAsync($"/v1/calendar/providers/{s.ProviderId}/feed-token")).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        await (await anonymous.GetAsync("/v1/calendar/feeds/not-a-token.ics")).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        await (await anonymous.GetAsync($"/v1/calendar/feeds/{new string('A', 32)}.ics")).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        await (await s.Client.PostAsync("/v1/calendar/providers/prv_nope/feed-token", null)).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        await (await s.Client.PostAsync("/v1/calendar/providers/x/feed-token", null)).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        var other = await factory.CreateTenantAsync();
        using var intruder = other.Live();
        await (await intruder.PostAsync($"/v1/calendar/providers/{s.ProviderId}/feed-token", null)).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        using var viewer = factory.ClientFor(await s.Tenant.CreateKeyAsync("agent"), s.Tenant.TenantId);
        await (await viewer.PostAsync($"/v1/calendar/providers/{s.ProviderId}/feed-token", null)).ErrorAsync(HttpStatusCode.Forbidden, "INSUFFICIENT_ROLE");
        // The header-authenticated feed is still there.
        Assert.Equal(HttpStatusCode.OK, (await s.Client.GetAsync($"/v1/calendar/providers/{s.ProviderId}/feed.ics")).StatusCode);
        _ = JsonValueKind.Null;
        _ = typeof(HttpClientJsonExtensions);
    }
}
