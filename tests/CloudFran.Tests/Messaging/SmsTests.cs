using System.Net;
using System.Text.Json;
using CloudFran.Tests.Infrastructure;
using Npgsql;
using Xunit;

namespace CloudFran.Tests.Messaging;

/// <summary>SMS through the outbox to (fake) Twilio, status callbacks, inbound keywords and consent.</summary>
[Collection(MessagingCollection.Name)]
public sealed class SmsTests(MessagingFactory factory)
{
    private Task<long> CountEventsAsync(string tenantId, string type) =>
        factory.CountAsync("SELECT count(*) FROM outbox_events WHERE tenant_id = @t AND event_type = @type", ("t", tenantId), ("type", type));

    [Fact]
    public async Task Send_is_queued_then_delivered_and_status_only_moves_forward()
    {
        var tenant = await factory.CreateTenantAsync();
        using var client = tenant.Live();
        var from = await MessagingFactory.ConfigureTwilioAsync(client);
        var to = MessagingFactory.RandomPhone();

        var sent = await (await client.PostJsonAsync("/v1/sms/send", new { to, message = "Your table is ready & waiting <3" }))
            .JsonAsync(HttpStatusCode.Created);
        Assert.Equal("queued", sent.GetProperty("status").GetString());
        var messageId = sent.GetProperty("messageId").GetString()!;

        var request = await factory.Twilio.WaitForMessageAsync(to);
        Assert.Equal(from, request.FormValue("From"));
        Assert.Equal("Your table is ready & waiting <3", request.FormValue("Body"));
        Assert.Equal($"{MessagingFactory.PublicBaseUrl}/v1/twilio/sms/status?mid={messageId}", request.FormValue("StatusCallback"));
        Assert.Equal("Basic " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"AC{new string('a', 32)}:{MessagingFactory.AuthToken}")),
            request.Headers["authorization"]);
        await MessagingFactory.WaitForMessageStatusAsync(client, to, messageId, "sending");

        var callback = $"/v1/twilio/sms/status?mid={messageId}";
        var delivered = new Dictionary<string, string> { ["MessageSid"] = "SM1", ["MessageStatus"] = "delivered", ["To"] = to, ["From"] = from };
        Assert.Equal(HttpStatusCode.NoContent, (await factory.PostTwilioAsync(callback, delivered)).StatusCode);
        // A late "sent" and a replayed "delivered" change nothing.
        var lateSent = new Dictionary<string, string>(delivered) { ["MessageStatus"] = "sent" };
        Assert.Equal(HttpStatusCode.NoContent, (await factory.PostTwilioAsync(callback, lateSent)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await factory.PostTwilioAsync(callback, delivered)).StatusCode);
        await MessagingFactory.WaitForMessageStatusAsync(client, to, messageId, "delivered");
        Assert.Equal(1, await CountEventsAsync(tenant.TenantId, "sms.delivered"));
    }

    [Fact]
    public async Task Callbacks_without_a_valid_signature_are_403()
    {
        var tenant = await factory.CreateTenantAsync();
        using var client = tenant.Live();
        var from = await MessagingFactory.ConfigureTwilioAsync(client);
        var form = new Dictionary<string, string> { ["MessageSid"] = "SM9", ["From"] = "+14155550100", ["To"] = from, ["Body"] = "STOP" };
        await (await factory.PostTwilioAsync("/v1/twilio/sms/inbound", form, token: null)).ErrorAsync(HttpStatusCode.Forbidden, "INVALID_SIGNATURE");
        await (await factory.PostTwilioAsync("/v1/twilio/sms/inbound", form, token: "ffffffffffffffffffffffffffffffff"))
            .ErrorAsync(HttpStatusCode.Forbidden, "INVALID_SIGNATURE");
        // Nothing was recorded: the number is not opted out.
        var consent = await (await client.GetAsync("/v1/sms/opt-outs/%2B14155550100")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal("opted_in", consent.GetProperty("status").GetString());
        var unknownNumber = new Dictionary<string, string>(form) { ["To"] = "+14155559999" };
        await (await factory.PostTwilioAsync("/v1/twilio/sms/inbound", unknownNumber)).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
    }

    [Fact]
    public async Task Stop_start_help_and_ordinary_replies()
    {
        var tenant = await factory.CreateTenantAsync(name: "Big Burger");
        using var client = tenant.Live();
        var ours = await MessagingFactory.ConfigureTwilioAsync(client);
        var customer = MessagingFactory.RandomPhone();
        Dictionary<string, string> Inbound(string sid, string body) => new() { ["MessageSid"] = sid, ["From"] = customer, ["To"] = ours, ["Body"] = body };

        var help = await (await factory.PostTwilioAsync("/v1/twilio/sms/inbound", Inbound("SMh1", "help"))).Content.ReadAsStringAsync();
        Assert.Contains("<Message>Big Burger:", help);
        Assert.Contains("STOP", help);

        var stop = await factory.PostTwilioAsync("/v1/twilio/sms/inbound", Inbound("SMs1", " Stop "));
        Assert.Equal("text/xml", stop.Content.Headers.ContentType!.MediaType);
        Assert.Contains("unsubscribed", await stop.Content.ReadAsStringAsync());
        // Twilio retrying the same webhook: handled once, no second reply.
        var replay = await (await factory.PostTwilioAsync("/v1/twilio/sms/inbound", Inbound("SMs1", " Stop "))).Content.ReadAsStringAsync();
        Assert.DoesNotContain("<Message>", replay);

        var consent = await (await client.GetAsync($"/v1/sms/opt-outs/{Uri.EscapeDataString(customer)}")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal("opted_out", consent.GetProperty("status").GetString());
        await (await client.PostJsonAsync("/v1/sms/send", new { to = customer, message = "Promo!" })).ErrorAsync(HttpStatusCode.Conflict, "RECIPIENT_OPTED_OUT");
        Assert.Equal(1, await CountEventsAsync(tenant.TenantId, "sms.opt_out"));

        var start = await (await factory.PostTwilioAsync("/v1/twilio/sms/inbound", Inbound("SMst1", "START"))).Content.ReadAsStringAsync();
        Assert.Contains("subscribed again", start);
        await (await client.PostJsonAsync("/v1/sms/send", new { to = customer, message = "Welcome back" })).JsonAsync(HttpStatusCode.Created);

        var plain = await (await factory.PostTwilioAsync("/v1/twilio/sms/inbound", Inbound("SMm1", "Can I book for 4 at 7pm?"))).Content.ReadAsStringAsync();
        Assert.DoesNotContain("<Message>", plain);
        Assert.Equal(1, await CountEventsAsync(tenant.TenantId, "sms.received"));
        var thread = await (await client.GetAsync($"/v1/sms/messages?phone={Uri.EscapeDataString(customer)}")).JsonAsync(HttpStatusCode.OK);
        Assert.Contains(thread.GetProperty("data").EnumerateArray(), m => m.GetProperty("direction").GetString() == "inbound"
            && m.GetProperty("body").GetString() == "Can I book for 4 at 7pm?");

        var audit = await (await client.GetAsync($"/v1/compliance/consent-audit?customerId={Uri.EscapeDataString(customer)}&type=all"))
            .JsonAsync(HttpStatusCode.OK);
        Assert.Equal(["opt_out", "opt_in"], audit.GetProperty("data").EnumerateArray().Select(a => a.GetProperty("type").GetString()));
    }

    [Fact]
    public async Task Nothing_is_sent_after_an_opt_out_is_acknowledged()
    {
        var tenant = await factory.CreateTenantAsync();
        using var client = tenant.Live();
        await MessagingFactory.ConfigureTwilioAsync(client);
        var to = MessagingFactory.RandomPhone();
        factory.Twilio.Delay = TimeSpan.FromMilliseconds(40);
        try
        {
            var ids = new List<string>();
            for (var i = 0; i < 15; i++)
            {
                var sent = await (await client.PostJsonAsync("/v1/sms/send", new { to, message = $"Bulk {i}" })).JsonAsync(HttpStatusCode.Created);
                ids.Add(sent.GetProperty("messageId").GetString()!);
            }
            await factory.Twilio.WaitForMessageAsync(to);
            await (await client.PostJsonAsync("/v1/sms/opt-outs", new { phone = to, reason = "complaint" })).JsonAsync(HttpStatusCode.Created);
            var acknowledged = DateTimeOffset.UtcNow;
            // The signal that nothing more can go out: every one of the 15 messages reached its final state.
            await factory.SmsOutboxSettledAsync(to);
            var after = factory.Twilio.Messages.Where(r => r.FormValue("To") == to && r.ReceivedAt > acknowledged).ToList();
            Assert.Empty(after);
            var thread = await (await client.GetAsync($"/v1/sms/messages?phone={Uri.EscapeDataString(to)}&pageSize=50")).JsonAsync(HttpStatusCode.OK);
            var statuses = thread.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("status").GetString()).ToList();
            Assert.Equal(15, statuses.Count);
            Assert.Contains("suppressed", statuses);
            Assert.DoesNotContain("queued", statuses);
            Assert.Equal(factory.Twilio.Messages.Count(r => r.FormValue("To") == to), statuses.Count(s => s != "suppressed"));
        }
        finally
        {
            factory.Twilio.Delay = TimeSpan.Zero;
        }
    }

    [Fact]
    public async Task Twilio_errors_are_typed_retried_or_final()
    {
        var tenant = await factory.CreateTenantAsync();
        using var client = tenant.Live();
        await MessagingFactory.ConfigureTwilioAsync(client);
        var optedOut = MessagingFactory.RandomPhone();
        var flaky = MessagingFactory.RandomPhone();
        var flakyCalls = 0;
        factory.Twilio.Behaviour = to =>
            to == optedOut ? (400, 21610)
            : to == flaky && Interlocked.Increment(ref flakyCalls) <= 2 ? (429, 20429)
            : null;
        try
        {
            var a = await (await client.PostJsonAsync("/v1/sms/send", new { to = optedOut, message = "Hi" })).JsonAsync(HttpStatusCode.Created);
            var b = await (await client.PostJsonAsync("/v1/sms/send", new { to = flaky, message = "Hi" })).JsonAsync(HttpStatusCode.Created);
            var failed = await MessagingFactory.WaitForMessageStatusAsync(client, optedOut, a.GetProperty("messageId").GetString()!, "failed");
            Assert.Equal("21610", failed.GetProperty("errorCode").GetString());
            Assert.Single(factory.Twilio.Messages, r => r.FormValue("To") == optedOut); // never retried
            var consent = await (await client.GetAsync($"/v1/sms/opt-outs/{Uri.EscapeDataString(optedOut)}")).JsonAsync(HttpStatusCode.OK);
            Assert.Equal("opted_out", consent.GetProperty("status").GetString());

            await MessagingFactory.WaitForMessageStatusAsync(client, flaky, b.GetProperty("messageId").GetString()!, "sending");
            Assert.Equal(3, factory.Twilio.Messages.Count(r => r.FormValue("To") == flaky));
        }
        finally
        {
            factory.Twilio.Behaviour = _ => null;
        }
    }

    [Fact]
    public async Task Idempotency_key_returns_the_first_message()
    {
        var tenant = await factory.CreateTenantAsync();
        using var client = tenant.Live();
        await MessagingFactory.ConfigureTwilioAsync(client);
        var to = MessagingFactory.RandomPhone();
        async Task<JsonElement> Send()
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/v1/sms/send") { Content = System.Net.Http.Json.JsonContent.Create(new { to, message = "Once" }) };
            request.Headers.Add("Idempotency-Key", "order-42-confirmation");
            return await (await client.SendAsync(request)).JsonAsync(HttpStatusCode.Created);
        }
        var results = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => Send()));
        Assert.Single(results.Select(r => r.GetProperty("messageId").GetString()).Distinct());
        await factory.Twilio.WaitForMessageAsync(to);
        // Every message to the number reached its final state: a second send would have been a second (queued) row.
        await factory.SmsOutboxSettledAsync(to);
        Assert.Equal(1, await factory.CountAsync("SELECT count(*) FROM sms_messages WHERE direction = 'outbound' AND contact_phone = @p", ("p", to)));
        Assert.Single(factory.Twilio.Messages, r => r.FormValue("To") == to);
    }

    [Fact]
    public async Task Accepted_messages_are_recorded_together_and_one_bad_row_fails_alone()
    {
        var tenant = await factory.CreateTenantAsync();
        using var client = tenant.Live();
        await MessagingFactory.ConfigureTwilioAsync(client);
        var phones = Enumerable.Range(0, 12).Select(_ => MessagingFactory.RandomPhone()).ToList();
        // Two recipients get the same SID: the second write of it breaks the unique constraint.
        var duplicateSid = "SM" + Guid.NewGuid().ToString("N");
        var clashing = phones.Take(2).ToHashSet();
        factory.Twilio.SidFor = to => clashing.Contains(to) ? duplicateSid : null;
        try
        {
            var sent = await Task.WhenAll(phones.Select(async to => (await (await client.PostJsonAsync("/v1/sms/send", new { to, message = "Batch" }))
                .JsonAsync(HttpStatusCode.Created)).GetProperty("messageId").GetString()!));
            await Task.WhenAll(phones.Select(to => factory.Twilio.WaitForMessageAsync(to)));
            await using var conn = new NpgsqlConnection(factory.ConnectionString);
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand("SELECT count(*) FROM sms_messages WHERE message_id = ANY(@ids) AND twilio_sid IS NOT NULL", conn);
            cmd.Parameters.AddWithValue("ids", sent);
            var stored = await Eventually.Async("11 of the 12 messages to store their Twilio SID",
                async () => (long)(await cmd.ExecuteScalarAsync())!, n => n >= 11);
            // Ten unique SIDs and one of the clashing pair are stored; the other of the pair is not.
            Assert.Equal(11L, stored);
            for (var i = 2; i < phones.Count; i++)
            {
                await MessagingFactory.WaitForMessageStatusAsync(client, phones[i], sent[i], "sending");
            }
        }
        finally
        {
            factory.Twilio.SidFor = _ => null;
        }
    }
}
