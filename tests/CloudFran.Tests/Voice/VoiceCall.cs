using System.Net;
using System.Text.Json;
using System.Xml.Linq;
using CloudFran.Tests.Infrastructure;
using CloudFran.Tests.Messaging;
using Npgsql;
using Xunit;

namespace CloudFran.Tests.Voice;

/// <summary>A restaurant location wired for the receptionist: calendar, Twilio number, settings.</summary>
public sealed record VoiceLocation(TestTenant Tenant, string LocationId, string Number, string TransferNumber, string NotificationPhone)
{
    public const string Zone = "America/Chicago";

    /// <param name="seats">Seats per table (null: one-seat tables, each booked whole).</param>
    public static async Task<VoiceLocation> CreateAsync(MessagingFactory factory, bool recordCalls = false, string engine = "offline", int? seats = null)
    {
        var tenant = await factory.CreateTenantAsync();
        using var client = tenant.Live();
        var allWeek = new Dictionary<string, object>();
        foreach (var day in new[] { "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday" })
        {
            allWeek[day] = new[] { new { open = "09:00", close = "23:00" } };
        }
        var location = await (await client.PostJsonAsync("/v1/locations", new
        {
            name = "BigBurger Downtown",
            address = new { street = "12 State St", city = "Chicago", state = "IL", country = "US" },
            timezone = Zone,
            hours = allWeek,
        })).JsonAsync(HttpStatusCode.Created);
        var locationId = location.GetProperty("locationId").GetString()!;
        for (var i = 0; i < 2; i++)
        {
            await (await client.PostJsonAsync("/v1/calendar/providers", new { locationId, name = $"Table {i + 1}", kind = "table", seats })).JsonAsync(HttpStatusCode.Created);
        }
        await (await client.PostJsonAsync("/v1/calendar/services", new { locationId, name = "Table", durationMinutes = 60 })).JsonAsync(HttpStatusCode.Created);

        await (await client.PutJsonAsync("/v1/tenant/twilio", new { accountSid = "AC" + new string('a', 32), authToken = MessagingFactory.AuthToken }))
            .JsonAsync(HttpStatusCode.OK);
        string number;
        while (true)
        {
            number = MessagingFactory.RandomPhone();
            var response = await client.PostJsonAsync("/v1/tenant/phone-numbers", new { phoneNumber = number, locationId });
            if (response.StatusCode == HttpStatusCode.Created) break;
        }
        var transfer = MessagingFactory.RandomPhone();
        var notify = MessagingFactory.RandomPhone();
        await (await client.PutJsonAsync($"/v1/voice/locations/{locationId}/settings", new
        {
            businessName = "BigBurger",
            industry = "restaurant",
            transferNumber = transfer,
            notificationPhone = notify,
            recordCalls,
            engine,
            reservationService = "Table",
            faq = new[] { new { question = "Do you have parking?", answer = "Yes, free parking behind the building." } },
            menu = new object[]
            {
                new { name = "Cheeseburger", price = 8.99m, aliases = new[] { "burger", "hamburguesa" } },
                new { name = "Fries", price = 3.49m, aliases = new[] { "papas", "french fries" } },
                new { name = "Milkshake", price = 4.99m, aliases = new[] { "shake", "malteada" } },
            },
        })).JsonAsync(HttpStatusCode.OK);
        return new VoiceLocation(tenant, locationId, number, transfer, notify);
    }
}

/// <summary>One simulated phone call through the signed webhooks, as Twilio would make it.</summary>
public sealed class VoiceCall(MessagingFactory factory, VoiceLocation location, string? callSid = null, string? caller = null)
{
    public string CallSid { get; } = callSid ?? "CA" + Guid.NewGuid().ToString("N");
    public string Caller { get; } = caller ?? MessagingFactory.RandomPhone();

    private Dictionary<string, string> Form(params (string Key, string Value)[] extra)
    {
        var form = new Dictionary<string, string>
        {
            ["CallSid"] = CallSid, ["AccountSid"] = "AC" + new string('a', 32), ["From"] = Caller, ["To"] = location.Number,
            ["CallStatus"] = "in-progress", ["Direction"] = "inbound",
        };
        foreach (var (k, v) in extra) form[k] = v;
        return form;
    }

    public async Task<XDocument> PostAsync(string pathAndQuery, Dictionary<string, string> form)
    {
        var response = await factory.PostTwilioAsync(pathAndQuery, form);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{pathAndQuery}: {(int)response.StatusCode} {body}");
        Assert.StartsWith("application/xml", response.Content.Headers.ContentType?.ToString());
        return XDocument.Parse(body);
    }

    public Task<XDocument> StartAsync() => PostAsync("/api/voice-receptionist/inbound", Form());

    public Task<XDocument> SayAsync(string speech, double confidence = 0.92) =>
        PostAsync($"/api/voice-receptionist/respond?callSid={CallSid}",
            Form(("SpeechResult", speech), ("Confidence", confidence.ToString(System.Globalization.CultureInfo.InvariantCulture))));

    public Task<XDocument> PressAsync(string digits) =>
        PostAsync($"/api/voice-receptionist/respond?callSid={CallSid}", Form(("Digits", digits)));

    public Task<XDocument> NoInputAsync() => PostAsync($"/api/voice-receptionist/no-input?callSid={CallSid}", Form());

    public Task<XDocument> DialStatusAsync(string status) =>
        PostAsync($"/api/voice-receptionist/dial-status?callSid={CallSid}", Form(("DialCallStatus", status)));

    public async Task EndAsync(string status = "completed", int duration = 42)
    {
        var response = await factory.PostTwilioAsync("/api/voice-receptionist/status",
            Form(("CallStatus", status), ("CallDuration", duration.ToString(System.Globalization.CultureInfo.InvariantCulture))));
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    public static string Said(XDocument twiml) => string.Join(" ", twiml.Descendants("Say").Select(s => s.Value));

    public static bool HangsUp(XDocument twiml) => twiml.Root!.Elements("Hangup").Any();

    public static XElement? Gather(XDocument twiml) => twiml.Root!.Element("Gather");

    public async Task<JsonElement> LogAsync()
    {
        using var client = location.Tenant.Live();
        return await (await client.GetAsync($"/v1/voice/calls/{CallSid}")).JsonAsync(HttpStatusCode.OK);
    }

    public static async Task<long> CountEventsAsync(MessagingFactory factory, string tenantId, string type, string? callSid = null)
    {
        await using var conn = new NpgsqlConnection(factory.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(
            "SELECT count(*) FROM outbox_events WHERE tenant_id = @t AND event_type = @type AND (@c::text IS NULL OR payload->>'callSid' = @c)", conn);
        cmd.Parameters.AddWithValue("t", tenantId);
        cmd.Parameters.AddWithValue("type", type);
        cmd.Parameters.AddWithValue("c", (object?)callSid ?? DBNull.Value);
        return (long)(await cmd.ExecuteScalarAsync())!;
    }
}
