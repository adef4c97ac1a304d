using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Xml.Linq;
using CloudFran.Tests.Infrastructure;
using CloudFran.Tests.Messaging;
using CloudFran.Tests.Voice;
using Xunit;

namespace CloudFran.Tests.Calendar;

/// <summary>A platform key as Scheduling Center Basic credentials: username = key id, password = secret.</summary>
public sealed record CenterLogin(string KeyId, string Secret)
{
    public static async Task<CenterLogin> CreateAsync(TestTenant tenant, string role = "agent")
    {
        using var client = tenant.Live();
        var created = await (await client.PostJsonAsync("/v1/tenant/keys", new { type = "live", role, name = "Scheduling Center" }))
            .JsonAsync(HttpStatusCode.Created);
        return new CenterLogin(created.GetProperty("key").GetProperty("keyId").GetString()!, created.GetProperty("secret").GetString()!);
    }

    public HttpClient Client(PlatformFactory factory, string? user = null, string? password = null)
    {
        var client = factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user ?? KeyId}:{password ?? Secret}")));
        return client;
    }
}

/// <summary>The Scheduling Center appointments surface over the calendar grains.</summary>
[Collection(CalendarCollection.Name)]
public sealed class SchedulingCenterTests(PlatformFactory factory)
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

    private static string Stamp(DateTimeOffset t) => t.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);

    private async Task<(TestTenant Tenant, string LocationId, string ProviderId)> SetupAsync()
    {
        var tenant = await factory.CreateTenantAsync();
        using var client = tenant.Live();
        var location = await (await client.PostJsonAsync("/v1/locations", new
        {
            name = "Clean Co", address = new { street = "9 Elm St", city = "Chicago", country = "US" }, timezone = "America/Chicago",
            hours = new { monday = new[] { new { open = "08:00", close = "18:00" } } },
        })).JsonAsync(HttpStatusCode.Created);
        var locationId = location.GetProperty("locationId").GetString()!;
        var provider = await (await client.PostJsonAsync("/v1/calendar/providers", new { locationId, name = "Tech 1", kind = "technician" }))
            .JsonAsync(HttpStatusCode.Created);
        await (await client.PostJsonAsync("/v1/calendar/services", new { locationId, name = "Carpet Cleaning", durationMinutes = 60 })).JsonAsync(HttpStatusCode.Created);
        return (tenant, locationId, provider.GetProperty("providerId").GetString()!);
    }

    private static object Create(string locationId, DateTimeOffset start, string? notes = null) => new Dictionary<string, object?>
    {
        ["franchise_id"] = locationId, ["service_type"] = "Carpet Cleaning", ["start_datetime"] = Stamp(start),
        ["contact_name"] = "John Smith", ["contact_phone"] = "+13035550123", ["notes"] = notes ?? "Gate code 456",
    };

    [Fact]
    public async Task Create_list_filter_and_change_appointments_through_the_same_grains()
    {
        var (tenant, locationId, providerId) = await SetupAsync();
        var login = await CenterLogin.CreateAsync(tenant);
        using var center = login.Client(factory);

        var created = await (await center.PostJsonAsync("/api/appointments", Create(locationId, Local("10:00")))).JsonAsync(HttpStatusCode.Created);
        var appointment = created.GetProperty("appointment");
        var id = appointment.GetProperty("id").GetString()!;
        Assert.StartsWith("apt_", id);
        Assert.Equal(locationId, appointment.GetProperty("franchise_id").GetString());
        Assert.Equal(providerId, appointment.GetProperty("employee_id").GetString());
        Assert.Equal(Stamp(Local("10:00")), appointment.GetProperty("start_datetime").GetString());
        Assert.Equal(Stamp(Local("11:00")), appointment.GetProperty("end_datetime").GetString());
        Assert.Equal(1, appointment.GetProperty("appointments_booking_method_id").GetInt32());
        Assert.Equal(1, appointment.GetProperty("type_id").GetInt32());
        Assert.False(appointment.GetProperty("cancelled").GetBoolean());
        Assert.Equal(JsonValueKind.Null, appointment.GetProperty("date_cancelled").ValueKind);
        Assert.Equal("Carpet Cleaning", appointment.GetProperty("appointments_type").GetProperty("name").GetString());
        Assert.Equal(3600, appointment.GetProperty("appointments_type").GetProperty("duration").GetInt32());
        Assert.Equal("John Smith", appointment.GetProperty("contact").GetProperty("name").GetString());

        // The same slot through the same grains: 409 in the platform envelope, with alternatives.
        var taken = await (await center.PostJsonAsync("/api/appointments", Create(locationId, Local("10:30")))).ErrorAsync(HttpStatusCode.Conflict, "SLOT_UNAVAILABLE");
        Assert.NotEmpty(taken.GetProperty("alternatives").EnumerateArray());

        // A /v1 booking is a Scheduling Center appointment too.
        using var v1 = tenant.Live();
        var booked = await (await v1.PostJsonAsync("/v1/calendar/appointments", new
        {
            locationId, serviceType = "Carpet Cleaning", start = Local("13:00"), customerName = "Ana Diaz", customerPhone = "+13125550142", bookingMethod = 2,
        })).JsonAsync(HttpStatusCode.Created);
        var v1Id = booked.GetProperty("appointmentId").GetString()!;
        var list = await (await center.GetAsync($"/api/appointments?franchise_id={locationId}")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(2, list.GetProperty("total").GetInt64());
        Assert.Equal(1, list.GetProperty("page").GetInt32());
        Assert.Equal(10, list.GetProperty("limit").GetInt32());
        var ids = list.GetProperty("appointments").EnumerateArray().Select(a => a.GetProperty("id").GetString()).ToList();
        Assert.Equal([id, v1Id], ids);
        Assert.Equal(2, list.GetProperty("appointments")[1].GetProperty("appointments_booking_method_id").GetInt32());

        // Pagination as the seed describes it: page and limit, total of all matches.
        var second = await (await center.GetAsync($"/api/appointments?franchise_id={locationId}&limit=1&page=2")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(2, second.GetProperty("total").GetInt64());
        Assert.Equal(2, second.GetProperty("page").GetInt32());
        Assert.Equal(1, second.GetProperty("limit").GetInt32());
        Assert.Equal(v1Id, second.GetProperty("appointments")[0].GetProperty("id").GetString());
        var all = await (await center.GetAsync("/api/appointments?franchise_id=0")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(2, all.GetProperty("total").GetInt64());

        // fields filtering, with the matched fields echoed per table.
        var fields = Uri.EscapeDataString("""{"appointments":["id","start_datetime","bogus"],"contacts":["*"]}""");
        var slim = await (await center.GetAsync($"/api/appointments?franchise_id={locationId}&fields={fields}")).JsonAsync(HttpStatusCode.OK);
        var first = slim.GetProperty("appointments")[0];
        Assert.Equal(["id", "start_datetime", "contact"], first.EnumerateObject().Select(p => p.Name));
        Assert.Equal(["name", "phone", "email"], first.GetProperty("contact").EnumerateObject().Select(p => p.Name));
        Assert.Equal(["id", "start_datetime"], slim.GetProperty("fields").GetProperty("Appointments").EnumerateArray().Select(f => f.GetString()));
        Assert.Equal(3, slim.GetProperty("fields").GetProperty("Contacts").GetArrayLength());

        // XML by extension, CSV by Accept, JSON by extension on one record.
        var xmlResponse = await center.GetAsync($"/api/appointments.xml?franchise_id={locationId}");
        Assert.Equal(HttpStatusCode.OK, xmlResponse.StatusCode);
        Assert.StartsWith("application/xml", xmlResponse.Content.Headers.ContentType!.ToString());
        var xml = XDocument.Parse(await xmlResponse.Content.ReadAsStringAsync());
        Assert.Equal("response", xml.Root!.Name.LocalName);
        Assert.Equal(2, xml.Root.Element("appointments")!.Elements("appointment").Count());
        Assert.Equal("2", xml.Root.Element("total")!.Value);
        Assert.Equal(id, xml.Root.Element("appointments")!.Elements("appointment").First().Element("id")!.Value);
        using var csvRequest = new HttpRequestMessage(HttpMethod.Get, $"/api/appointments?franchise_id={locationId}");
        csvRequest.Headers.Accept.ParseAdd("application/csv");
        var csvResponse = await center.SendAsync(csvRequest);
        Assert.StartsWith("text/csv", csvResponse.Content.Headers.ContentType!.ToString());
        var lines = (await csvResponse.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.StartsWith("id,type_id,franchise_id,", lines[0]);
        Assert.Contains("appointments_type.name", lines[0]);
        Assert.StartsWith(id + ",", lines[1]);
        var one = await (await center.GetAsync($"/api/appointments/{id}.json")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(id, one.GetProperty("appointment").GetProperty("id").GetString());

        // Update: notes and reschedule in one PATCH (the employee is kept), then park, unpark, cancel with reason/message.
        var moved = await (await center.PatchJsonAsync($"/api/appointments/{id}", new Dictionary<string, object?>
        {
            ["notes"] = "Dog in the yard", ["start_datetime"] = Stamp(Local("15:00")),
        })).JsonAsync(HttpStatusCode.OK);
        Assert.Equal("Dog in the yard", moved.GetProperty("appointment").GetProperty("notes").GetString());
        Assert.Equal(Stamp(Local("15:00")), moved.GetProperty("appointment").GetProperty("start_datetime").GetString());
        await (await center.PostJsonAsync("/api/appointments", Create(locationId, Local("10:00")))).JsonAsync(HttpStatusCode.Created); // old slot freed
        // A refused reschedule leaves the whole request unapplied: the notes sent with it do not stick.
        await (await center.PatchJsonAsync($"/api/appointments/{id}", new Dictionary<string, object?>
        {
            ["notes"] = "Should not stick", ["start_datetime"] = Stamp(Local("10:00")),
        })).ErrorAsync(HttpStatusCode.Conflict, "SLOT_UNAVAILABLE");
        var unchanged = (await (await center.GetAsync($"/api/appointments/{id}.json")).JsonAsync(HttpStatusCode.OK)).GetProperty("appointment");
        Assert.Equal("Dog in the yard", unchanged.GetProperty("notes").GetString());
        Assert.Equal(Stamp(Local("15:00")), unchanged.GetProperty("start_datetime").GetString());
        await (await center.PatchJsonAsync($"/api/appointments/{id}", new Dictionary<string, object?>
        {
            ["cancelled"] = true, ["start_datetime"] = Stamp(Local("17:00")),
        })).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        var parked = await (await center.PutJsonAsync($"/api/appointments/{id}", new { parked = true })).JsonAsync(HttpStatusCode.OK);
        Assert.True(parked.GetProperty("appointment").GetProperty("parked").GetBoolean());
        var unparked = await (await center.PatchJsonAsync($"/api/appointments/{id}", new { parked = false })).JsonAsync(HttpStatusCode.OK);
        Assert.False(unparked.GetProperty("appointment").GetProperty("parked").GetBoolean());
        // The seed's stamps have whole seconds; the /v1 view gives the exact instant to filter after.
        var exact = (await (await v1.GetAsync($"/v1/calendar/appointments/{id}")).JsonAsync(HttpStatusCode.OK)).GetProperty("lastModified").GetDateTimeOffset();
        var modifiedSince = Uri.EscapeDataString(exact.ToString("O", CultureInfo.InvariantCulture));
        var cancelled = await (await center.PatchJsonAsync($"/api/appointments/{id}", new Dictionary<string, object?>
        {
            ["cancelled"] = true, ["cancellation_reason"] = 13, ["cancellation_message"] = "Customer moved",
        })).JsonAsync(HttpStatusCode.OK);
        var c = cancelled.GetProperty("appointment");
        Assert.True(c.GetProperty("cancelled").GetBoolean());
        Assert.Equal(13, c.GetProperty("cancellation_reason").GetInt32());
        Assert.Equal("Customer moved", c.GetProperty("cancellation_message").GetString());
        Assert.Equal(JsonValueKind.String, c.GetProperty("date_cancelled").ValueKind);
        await (await center.PatchJsonAsync($"/api/appointments/{id}", new { parked = true })).ErrorAsync(HttpStatusCode.Conflict, "CONFLICT");
        var changed = await (await center.GetAsync($"/api/appointments?last_modified_after={modifiedSince}")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal([id], changed.GetProperty("appointments").EnumerateArray().Select(a => a.GetProperty("id").GetString()));

        // Delete = cancel; the /v1 view agrees.
        var deleted = await (await center.DeleteAsync($"/api/appointments/{v1Id}?cancellation_message=No%20show")).JsonAsync(HttpStatusCode.OK);
        Assert.True(deleted.GetProperty("appointment").GetProperty("cancelled").GetBoolean());
        var viaV1 = await (await v1.GetAsync($"/v1/calendar/appointments/{v1Id}")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal("cancelled", viaV1.GetProperty("status").GetString());
        var onlyCancelled = await (await center.GetAsync($"/api/appointments?franchise_id={locationId}&cancelled=true")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(2, onlyCancelled.GetProperty("total").GetInt64());

        // Form posts, as the seed's PHP clients send them.
        var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["franchise_id"] = locationId, ["service_type"] = "Carpet Cleaning", ["start_datetime"] = Stamp(Local("16:00")),
            ["contact_name"] = "Form Client", ["contact_phone"] = "+13035550124", ["appointments_booking_method_id"] = "2",
        });
        var posted = await (await center.PostAsync("/api/appointments.json", form)).JsonAsync(HttpStatusCode.Created);
        Assert.Equal(2, posted.GetProperty("appointment").GetProperty("appointments_booking_method_id").GetInt32());
    }

    [Fact]
    public async Task Auth_isolation_and_bad_inputs_answer_with_the_envelope()
    {
        var (tenant, locationId, _) = await SetupAsync();
        var login = await CenterLogin.CreateAsync(tenant);
        using var center = login.Client(factory);
        var id = (await (await center.PostJsonAsync("/api/appointments", Create(locationId, Local("09:00")))).JsonAsync(HttpStatusCode.Created))
            .GetProperty("appointment").GetProperty("id").GetString()!;

        // Wrong password, wrong username, no credentials, a viewer writing, a mismatched tenant header.
        using (var wrong = login.Client(factory, password: "sk_live_" + new string('x', 40)))
            await (await wrong.GetAsync("/api/appointments")).ErrorAsync(HttpStatusCode.Unauthorized, "INVALID_KEY");
        using (var wrongUser = login.Client(factory, user: "key_someoneelse"))
            await (await wrongUser.GetAsync("/api/appointments")).ErrorAsync(HttpStatusCode.Unauthorized, "INVALID_KEY");
        using (var anonymous = factory.CreateClient())
            await (await anonymous.GetAsync("/api/appointments")).ErrorAsync(HttpStatusCode.Unauthorized, "INVALID_KEY");
        var viewerLogin = await CenterLogin.CreateAsync(tenant, "viewer");
        using (var viewer = viewerLogin.Client(factory))
        {
            await (await viewer.GetAsync($"/api/appointments/{id}")).JsonAsync(HttpStatusCode.OK);
            await (await viewer.DeleteAsync($"/api/appointments/{id}")).ErrorAsync(HttpStatusCode.Forbidden, "INSUFFICIENT_ROLE");
        }
        using (var mismatched = login.Client(factory))
        {
            mismatched.DefaultRequestHeaders.Add("X-Tenant-Id", "tn_someoneelse");
            await (await mismatched.GetAsync("/api/appointments")).ErrorAsync(HttpStatusCode.Forbidden, "TENANT_MISMATCH");
        }

        // Another tenant: 404 for the record, nothing in its lists, cannot book at this location.
        var other = await factory.CreateTenantAsync();
        using var intruder = (await CenterLogin.CreateAsync(other)).Client(factory);
        await (await intruder.GetAsync($"/api/appointments/{id}")).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        await (await intruder.PatchJsonAsync($"/api/appointments/{id}", new { notes = "x" })).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        await (await intruder.DeleteAsync($"/api/appointments/{id}")).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        await (await intruder.PostJsonAsync("/api/appointments", Create(locationId, Local("12:00")))).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        Assert.Equal(0, (await (await intruder.GetAsync($"/api/appointments?franchise_id={locationId}")).JsonAsync(HttpStatusCode.OK)).GetProperty("total").GetInt64());

        // Bad inputs.
        await (await center.PostJsonAsync("/api/appointments", new { franchise_id = locationId })).ErrorAsync(HttpStatusCode.BadRequest, "MISSING_FIELD");
        await (await center.PostJsonAsync("/api/appointments", new Dictionary<string, object?>
        {
            ["franchise_id"] = locationId, ["service_type"] = "Carpet Cleaning", ["start_datetime"] = Day.ToString("yyyy-MM-dd") + "T10:00:00",
            ["contact_name"] = "A", ["contact_phone"] = "+13035550123",
        })).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await center.PostJsonAsync("/api/appointments", new Dictionary<string, object?>
        {
            ["franchise_id"] = locationId, ["service_type"] = "Carpet Cleaning", ["start_datetime"] = Stamp(Local("10:00")),
            ["end_datetime"] = Stamp(Local("09:00")), ["contact_name"] = "A", ["contact_phone"] = "+13035550123",
        })).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await center.PostJsonAsync("/api/appointments", new Dictionary<string, object?>
        {
            ["franchise_id"] = locationId, ["service_type"] = "Window Washing", ["start_datetime"] = Stamp(Local("10:00")),
            ["contact_name"] = "A", ["contact_phone"] = "+13035550123",
        })).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await center.PostJsonAsync("/api/appointments", new Dictionary<string, object?>
        {
            ["franchise_id"] = locationId, ["service_type"] = "Carpet Cleaning", ["start_datetime"] = Stamp(Local("10:00")),
            ["contact_name"] = "A", ["contact_phone"] = "+13035550123", ["appointments_booking_method_id"] = 7, ["vehicle_id"] = 3,
        })).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await center.PostJsonAsync("/api/appointments", new Dictionary<string, object?>
        {
            ["franchise_id"] = "2", ["service_type"] = "Carpet Cleaning", ["start_datetime"] = Stamp(Local("10:00")),
            ["contact_name"] = "A", ["contact_phone"] = "555",
        })).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await center.SendRawAsync(HttpMethod.Post, "/api/appointments", "[1,2]")).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await center.SendRawAsync(HttpMethod.Post, "/api/appointments", "{not json")).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await center.GetAsync("/api/appointments?limit=5000")).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await center.GetAsync("/api/appointments?page=0")).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await center.GetAsync("/api/appointments?franchise_id=abc")).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await center.GetAsync("/api/appointments?last_modified_after=yesterday")).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await center.GetAsync("/api/appointments?fields=%5B1%5D")).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await center.GetAsync("/api/appointments?fields=%7Bnope")).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await center.GetAsync("/api/appointments.yaml")).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await center.GetAsync("/api/appointments/nope")).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        await (await center.GetAsync("/api/appointments/apt_doesnotexist1")).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        await (await center.PatchJsonAsync($"/api/appointments/{id}", new { })).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await center.PatchJsonAsync($"/api/appointments/{id}", new { cancelled = "maybe" })).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await center.PatchJsonAsync($"/api/appointments/{id}", new { franchise_id = locationId })).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await center.PatchJsonAsync($"/api/appointments/{id}", new { cancellation_message = "no flag" })).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await center.PatchJsonAsync($"/api/appointments/{id}", new { start_datetime = "soon" })).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await center.DeleteAsync($"/api/appointments/{id}?cancellation_reason=abc")).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
    }
}

/// <summary>A booking made by the voice receptionist is a Scheduling Center appointment.</summary>
[Collection(VoiceCollection.Name)]
public sealed class SchedulingCenterVoiceTests(MessagingFactory factory)
{
    [Fact]
    public async Task A_phone_booking_is_listed_in_the_scheduling_center()
    {
        var location = await VoiceLocation.CreateAsync(factory);
        var call = new VoiceCall(factory, location);
        await call.StartAsync();
        await call.SayAsync("Hi, I'd like to book a table for four tomorrow at 7pm");
        await call.SayAsync("Ana Diaz");
        await call.SayAsync("Yes please");
        await call.EndAsync();
        var appointmentId = (await call.LogAsync()).GetProperty("appointmentId").GetString()!;

        var login = await CenterLogin.CreateAsync(location.Tenant);
        using var center = login.Client(factory);
        var list = await (await center.GetAsync($"/api/appointments?franchise_id={location.LocationId}")).JsonAsync(HttpStatusCode.OK);
        var record = Assert.Single(list.GetProperty("appointments").EnumerateArray());
        Assert.Equal(appointmentId, record.GetProperty("id").GetString());
        Assert.Equal(location.LocationId, record.GetProperty("franchise_id").GetString());
        Assert.Equal("Ana Diaz", record.GetProperty("contact").GetProperty("name").GetString());
        Assert.Equal(call.Caller, record.GetProperty("contact").GetProperty("phone").GetString());
        Assert.EndsWith("T19:00:00" + record.GetProperty("start_datetime").GetString()![19..], record.GetProperty("start_datetime").GetString());
    }
}
