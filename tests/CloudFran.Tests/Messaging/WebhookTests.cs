using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CloudFran.Tests.Infrastructure;
using Xunit;

namespace CloudFran.Tests.Messaging;

/// <summary>Outgoing webhooks: registration, Standard Webhooks signatures, retries with a stable id, 410, rotation.</summary>
[Collection(MessagingCollection.Name)]
public sealed class WebhookTests(MessagingFactory factory)
{
    /// <summary>Verifies a delivery the way Standard Webhooks receivers do.</summary>
    private static bool SignatureValid(RecordedRequest r, string secret)
    {
        var key = Convert.FromBase64String(secret["whsec_".Length..]);
        var expected = "v1," + Convert.ToBase64String(HMACSHA256.HashData(key,
            Encoding.UTF8.GetBytes($"{r.Headers["webhook-id"]}.{r.Headers["webhook-timestamp"]}.{r.Body}")));
        var timestamp = DateTimeOffset.FromUnixTimeSeconds(long.Parse(r.Headers["webhook-timestamp"]));
        return r.Headers["webhook-signature"].Split(' ').Contains(expected)
               && (DateTimeOffset.UtcNow - timestamp).Duration() < TimeSpan.FromMinutes(5);
    }

    private static async Task<(string Id, string Secret)> RegisterAsync(HttpClient client, string url, params string[] events)
    {
        var created = await (await client.PostJsonAsync("/v1/webhooks/endpoints", new { url, events, description = "test" }))
            .JsonAsync(HttpStatusCode.Created);
        var secret = created.GetProperty("secret").GetString()!;
        Assert.StartsWith("whsec_", secret);
        return (created.GetProperty("endpoint").GetProperty("endpointId").GetString()!, secret);
    }

    [Fact]
    public async Task Events_are_delivered_signed_and_retried_under_the_same_id()
    {
        await using var receiver = await LocalHttpServer.StartAsync();
        var failures = 2;
        receiver.Handler = (_, response) =>
        {
            response.StatusCode = Interlocked.Decrement(ref failures) >= 0 ? 503 : 204;
            return Task.CompletedTask;
        };
        var tenant = await factory.CreateTenantAsync();
        using var client = tenant.Live();
        var (endpointId, secret) = await RegisterAsync(client, receiver.BaseUrl + "/hooks", "sms.opt_out");
        var listed = await (await client.GetAsync("/v1/webhooks/endpoints")).Content.ReadAsStringAsync();
        Assert.DoesNotContain(secret, listed);

        var phone = MessagingFactory.RandomPhone();
        await (await client.PostJsonAsync("/v1/sms/opt-outs", new { phone, reason = "customer_request" })).JsonAsync(HttpStatusCode.Created);

        var delivered = await receiver.WaitForAsync(_ => Volatile.Read(ref failures) < 0 && receiver.Requests.Count >= 3);
        var attempts = receiver.Requests.ToList();
        Assert.Equal(3, attempts.Count);
        Assert.Single(attempts.Select(a => a.Headers["webhook-id"]).Distinct());
        Assert.All(attempts, a => Assert.True(SignatureValid(a, secret)));
        using var payload = JsonDocument.Parse(attempts[^1].Body);
        Assert.Equal("sms.opt_out", payload.RootElement.GetProperty("type").GetString());
        Assert.Equal(attempts[^1].Headers["webhook-id"], payload.RootElement.GetProperty("id").GetString());
        Assert.Equal(tenant.TenantId, payload.RootElement.GetProperty("tenant_id").GetString());
        Assert.Equal(phone, payload.RootElement.GetProperty("data").GetProperty("phone").GetString());
        _ = delivered;

        var delivery = await Eventually.Async("the delivery to be recorded as succeeded", async () =>
            (await (await client.GetAsync($"/v1/webhooks/endpoints/{endpointId}/deliveries")).JsonAsync(HttpStatusCode.OK)).GetProperty("data")[0],
            d => d.GetProperty("status").GetString() == "succeeded");
        Assert.Equal("succeeded", delivery.GetProperty("status").GetString());
        Assert.Equal(3, delivery.GetProperty("attempts").GetInt32());
        Assert.Equal(204, delivery.GetProperty("lastStatusCode").GetInt32());

        // Redelivery sends the same event id again.
        var deliveryId = delivery.GetProperty("deliveryId").GetString();
        await (await client.PostAsync($"/v1/webhooks/deliveries/{deliveryId}/redeliver", null)).JsonAsync(HttpStatusCode.OK);
        await receiver.WaitForAsync(_ => receiver.Requests.Count >= 4);
        Assert.Single(receiver.Requests.Select(a => a.Headers["webhook-id"]).Distinct());
    }

    [Fact]
    public async Task Gone_disables_the_endpoint_and_rotation_signs_with_both_secrets()
    {
        await using var receiver = await LocalHttpServer.StartAsync();
        receiver.Handler = (_, response) => { response.StatusCode = 410; return Task.CompletedTask; };
        var tenant = await factory.CreateTenantAsync();
        using var client = tenant.Live();
        var (goneId, _) = await RegisterAsync(client, receiver.BaseUrl + "/gone", "*");
        await (await client.PostJsonAsync("/v1/sms/opt-outs", new { phone = MessagingFactory.RandomPhone() })).JsonAsync(HttpStatusCode.Created);
        var endpoint = await Eventually.Async("the endpoint answering 410 to be disabled", async () =>
            await (await client.GetAsync($"/v1/webhooks/endpoints/{goneId}")).JsonAsync(HttpStatusCode.OK),
            e => e.GetProperty("status").GetString() == "disabled");
        Assert.Equal("disabled", endpoint.GetProperty("status").GetString());

        await using var second = await LocalHttpServer.StartAsync();
        second.Handler = (_, response) => { response.StatusCode = 200; return Task.CompletedTask; };
        var (id, oldSecret) = await RegisterAsync(client, second.BaseUrl + "/ok", "sms.opt_out");
        var rotated = await (await client.PostAsync($"/v1/webhooks/endpoints/{id}/rotate-secret", null)).JsonAsync(HttpStatusCode.OK);
        var newSecret = rotated.GetProperty("secret").GetString()!;
        Assert.NotEqual(oldSecret, newSecret);
        await (await client.PostJsonAsync("/v1/sms/opt-outs", new { phone = MessagingFactory.RandomPhone() })).JsonAsync(HttpStatusCode.Created);
        var request = await second.WaitForAsync(_ => true);
        Assert.True(SignatureValid(request, newSecret));
        Assert.True(SignatureValid(request, oldSecret));
    }

    [Fact]
    public async Task Endpoint_and_messaging_objects_of_another_tenant_are_not_found()
    {
        var owner = await factory.CreateTenantAsync(name: "Owner");
        var intruder = await factory.CreateTenantAsync(name: "Intruder");
        using var ownerClient = owner.Live();
        using var other = intruder.Live();
        var (endpointId, _) = await RegisterAsync(ownerClient, "http://127.0.0.1:9/hooks", "sms.opt_out");
        var number = await MessagingFactory.ConfigureTwilioAsync(ownerClient);
        var numbers = await (await ownerClient.GetAsync("/v1/tenant/phone-numbers")).JsonAsync(HttpStatusCode.OK);
        var numberId = numbers[0].GetProperty("numberId").GetString();
        var customer = MessagingFactory.RandomPhone();
        await (await ownerClient.PostJsonAsync("/v1/sms/send", new { to = customer, message = "private" })).JsonAsync(HttpStatusCode.Created);
        await (await ownerClient.PostJsonAsync("/v1/sms/opt-outs", new { phone = customer })).JsonAsync(HttpStatusCode.Created);

        await (await other.GetAsync($"/v1/webhooks/endpoints/{endpointId}")).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        await (await other.PatchJsonAsync($"/v1/webhooks/endpoints/{endpointId}", new { description = "x" })).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        await (await other.DeleteAsync($"/v1/webhooks/endpoints/{endpointId}")).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        await (await other.GetAsync($"/v1/webhooks/endpoints/{endpointId}/deliveries")).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        await (await other.PostAsync($"/v1/webhooks/endpoints/{endpointId}/rotate-secret", null)).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        await (await other.DeleteAsync($"/v1/tenant/phone-numbers/{numberId}")).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        await (await other.GetAsync("/v1/tenant/twilio")).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        // The same number cannot be registered by another tenant (and the answer does not say whose it is).
        await (await other.PutJsonAsync("/v1/tenant/twilio", new { accountSid = "AC" + new string('b', 32), authToken = "fedcba9876543210fedcba9876543210" })).JsonAsync(HttpStatusCode.OK);
        await (await other.PostJsonAsync("/v1/tenant/phone-numbers", new { phoneNumber = number })).ErrorAsync(HttpStatusCode.Conflict, "CONFLICT");
        // Threads, consent and audit are per tenant.
        var thread = await (await other.GetAsync($"/v1/sms/messages?phone={Uri.EscapeDataString(customer)}")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(0, thread.GetProperty("total").GetInt64());
        var consent = await (await other.GetAsync($"/v1/sms/opt-outs/{Uri.EscapeDataString(customer)}")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal("opted_in", consent.GetProperty("status").GetString());
        var audit = await (await other.GetAsync($"/v1/compliance/consent-audit?customerId={Uri.EscapeDataString(customer)}")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(0, audit.GetProperty("total").GetInt64());
        // Sandbox keys of the owner see none of it either.
        using var sandbox = owner.Sandbox();
        await (await sandbox.GetAsync($"/v1/webhooks/endpoints/{endpointId}")).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
    }

    public static TheoryData<string, string, string, int, string> BadRequests() => new()
    {
        { "POST", "/v1/sms/send", """{"message":"hi"}""", 400, "MISSING_FIELD" },
        { "POST", "/v1/sms/send", """{"to":"5551234","message":"hi"}""", 400, "INVALID_INPUT" },
        { "POST", "/v1/sms/send", "{\"to\":\"+14155550100\",\"message\":\"" + new string('x', 1601) + "\"}", 400, "INVALID_INPUT" },
        { "POST", "/v1/sms/send", """{"to":"+14155550100","message":"hi","mediaUrl":"ftp://x/y.png"}""", 400, "INVALID_INPUT" },
        { "POST", "/v1/sms/send", """{"to":"+14155550100","message":"hi","mediaUrls":["https://a/1","https://a/2","https://a/3","https://a/4","https://a/5","https://a/6","https://a/7","https://a/8","https://a/9","https://a/10","https://a/11"]}""", 400, "INVALID_INPUT" },
        { "POST", "/v1/sms/send", """{"to":"+14155550100","message":"hi","category":"spam"}""", 400, "INVALID_INPUT" },
        { "POST", "/v1/sms/opt-outs", """{"phone":"+14155550100","reason":"bored"}""", 400, "INVALID_INPUT" },
        { "POST", "/v1/sms/opt-outs", """{}""", 400, "MISSING_FIELD" },
        { "GET", "/v1/sms/opt-outs/12345", "", 400, "INVALID_INPUT" },
        { "GET", "/v1/sms/messages?phone=abc", "", 400, "INVALID_INPUT" },
        { "GET", "/v1/compliance/consent-audit?type=maybe", "", 400, "INVALID_INPUT" },
        { "GET", "/v1/compliance/consent-audit?from=yesterday", "", 400, "INVALID_INPUT" },
        { "PUT", "/v1/tenant/twilio", """{"accountSid":"XX123","authToken":"short"}""", 400, "INVALID_INPUT" },
        { "PUT", "/v1/tenant/twilio", """{"accountSid":"AC00000000000000000000000000000000"}""", 400, "MISSING_FIELD" },
        { "POST", "/v1/tenant/phone-numbers", """{"phoneNumber":"+1"}""", 400, "INVALID_INPUT" },
        { "POST", "/v1/tenant/phone-numbers", """{"phoneNumber":"+14155550177","locationId":"loc_nosuchlocation00"}""", 400, "INVALID_INPUT" },
        { "DELETE", "/v1/tenant/phone-numbers/num_nosuchnumber0000", "", 404, "RESOURCE_NOT_FOUND" },
        { "POST", "/v1/webhooks/endpoints", """{"url":"https://example.com/h"}""", 400, "MISSING_FIELD" },
        { "POST", "/v1/webhooks/endpoints", """{"url":"not a url","events":["*"]}""", 400, "INVALID_INPUT" },
        { "POST", "/v1/webhooks/endpoints", """{"url":"https://example.com/h","events":["sms.exploded"]}""", 400, "INVALID_INPUT" },
        { "POST", "/v1/webhooks/endpoints", """{"url":"https://example.com/h","events":[]}""", 400, "INVALID_INPUT" },
        { "POST", "/v1/webhooks/endpoints/we_nosuchendpoint00/replay?since=soon", "", 400, "INVALID_INPUT" },
        { "POST", "/v1/webhooks/endpoints/we_nosuchendpoint00/replay", "", 404, "RESOURCE_NOT_FOUND" },
        { "POST", "/v1/webhooks/deliveries/dlv_nosuchdelivery00/redeliver", "", 404, "RESOURCE_NOT_FOUND" },
        { "POST", "/v1/twilio/sms/inbound", """{"Body":"STOP"}""", 415, "INVALID_INPUT" },
        { "POST", "/v1/twilio/sms/status?mid=nonsense", "", 404, "RESOURCE_NOT_FOUND" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Bad_input_answers_4xx_with_the_envelope(string method, string url, string body, int status, string code)
    {
        var tenant = await factory.CreateTenantAsync();
        using var client = tenant.Live();
        HttpContent? content = method == "GET" || method == "DELETE" ? null
            : url.StartsWith("/v1/twilio/sms/status") ? new FormUrlEncodedContent(new Dictionary<string, string> { ["MessageStatus"] = "sent" })
            : new StringContent(body, Encoding.UTF8, "application/json");
        var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), url) { Content = content });
        await response.ErrorAsync((HttpStatusCode)status, code);
    }
}

/// <summary>The Scheduling Center Push API: entity changes to subscribed endpoints, JSON or key-value (form) bodies.</summary>
[Collection(MessagingCollection.Name)]
public sealed class PushApiTests(MessagingFactory factory)
{
    [Fact]
    public async Task Location_changes_reach_a_form_endpoint_subscribed_to_the_entity()
    {
        await using var receiver = await LocalHttpServer.StartAsync();
        var tenant = await factory.CreateTenantAsync();
        using var client = tenant.Live();
        var created = await (await client.PostJsonAsync("/v1/webhooks/endpoints",
            new { url = receiver.BaseUrl + "/push", events = new[] { "location.*" }, format = "form" })).JsonAsync(HttpStatusCode.Created);
        var secret = created.GetProperty("secret").GetString()!;
        Assert.Equal("form", created.GetProperty("endpoint").GetProperty("format").GetString());

        var location = await (await client.PostJsonAsync("/v1/locations",
            new { name = "Push & Co", address = new { street = "1 A St", city = "Austin", country = "US" } })).JsonAsync(HttpStatusCode.Created);
        var id = location.GetProperty("locationId").GetString();
        await (await client.DeleteAsync($"/v1/locations/{id}")).JsonAsync(HttpStatusCode.OK);

        // Matched on the location too: a port freed by an earlier test can still receive that test's retries.
        var add = await receiver.WaitForAsync(r => r.FormValue("type") == "location.created" && r.FormValue("data[locationId]") == id);
        var delete = await receiver.WaitForAsync(r => r.FormValue("type") == "location.deleted" && r.FormValue("data[locationId]") == id);
        Assert.StartsWith("application/x-www-form-urlencoded", add.Headers["content-type"]);
        Assert.Equal(id, add.FormValue("data[locationId]"));
        Assert.Equal("Push & Co", add.FormValue("data[name]"));
        Assert.Equal("inactive", delete.FormValue("data[status]"));
        var key = Convert.FromBase64String(secret["whsec_".Length..]);
        var expected = "v1," + Convert.ToBase64String(HMACSHA256.HashData(key,
            Encoding.UTF8.GetBytes($"{add.Headers["webhook-id"]}.{add.Headers["webhook-timestamp"]}.{add.Body}")));
        Assert.Equal(expected, add.Headers["webhook-signature"]);
    }
}
