using System.Net;
using CloudFran.Tests.Infrastructure;
using Xunit;

namespace CloudFran.Tests.Messaging;

[Collection(PlatformCollection.Name)]
public sealed class SsrfTests(PlatformFactory factory)
{
    [Theory]
    [InlineData("http://127.0.0.1:8080/hook")]
    [InlineData("http://localhost/hook")]
    [InlineData("http://169.254.169.254/latest/meta-data")]
    [InlineData("http://10.0.0.5/hook")]
    [InlineData("http://[::1]/hook")]
    [InlineData("https://user:pass@example.com/hook")]
    [InlineData("ftp://example.com/hook")]
    public async Task Internal_targets_are_refused_at_registration(string url)
    {
        var tenant = await factory.CreateTenantAsync();
        using var client = tenant.Live();
        var error = await (await client.PostJsonAsync("/v1/webhooks/endpoints", new { url, events = new[] { "*" } }))
            .ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        Assert.Equal("url", error.GetProperty("details")[0].GetProperty("field").GetString());
    }
}

/// <summary>Acknowledged sends and pending events survive the process: a new platform on the same database delivers them.</summary>
public sealed class MessagingDurabilityTests
{
    [Fact]
    public async Task Queued_sms_and_pending_webhooks_are_delivered_after_a_restart()
    {
        await using var receiver = await LocalHttpServer.StartAsync();
        var receiverUp = false;
        receiver.Handler = (_, response) => { response.StatusCode = Volatile.Read(ref receiverUp) ? 200 : 503; return Task.CompletedTask; };
        string tenantId, key, phone, connectionString;
        var first = new MessagingFactory();
        first.Settings["CLOUDFRAN_WEBHOOK_RETRY_SECONDS"] = "1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1";
        var twilioDown = true;
        first.Twilio.Behaviour = _ => Volatile.Read(ref twilioDown) ? (503, 0) : null;
        try
        {
            var tenant = await first.CreateTenantAsync();
            (tenantId, key, connectionString) = (tenant.TenantId, tenant.LiveKey, first.ConnectionString);
            using var client = tenant.Live();
            await MessagingFactory.ConfigureTwilioAsync(client);
            await (await client.PostJsonAsync("/v1/webhooks/endpoints", new { url = receiver.BaseUrl + "/h", events = new[] { "sms.opt_out" } }))
                .JsonAsync(HttpStatusCode.Created);
            phone = MessagingFactory.RandomPhone();
            await (await client.PostJsonAsync("/v1/sms/send", new { to = phone, message = "Survives" })).JsonAsync(HttpStatusCode.Created);
            await (await client.PostJsonAsync("/v1/sms/opt-outs", new { phone = MessagingFactory.RandomPhone() })).JsonAsync(HttpStatusCode.Created);
            await receiver.WaitForAsync(_ => true); // the first (failed) delivery attempt happened
        }
        finally
        {
            await first.DisposeAsync();
        }

        Volatile.Write(ref receiverUp, true);
        Volatile.Write(ref twilioDown, false);
        await using var second = new RestartedMessagingFactory(connectionString);
        using var again = second.ClientFor(key, tenantId);
        await again.GetAsync("/health");
        await second.Twilio.WaitForMessageAsync(phone, TimeSpan.FromSeconds(90));
        await receiver.WaitForAsync(r => r.ReceivedAt > DateTimeOffset.UtcNow.AddMinutes(-5) && Volatile.Read(ref receiverUp)
            && receiver.Requests.Count(x => x.Headers["webhook-id"] == r.Headers["webhook-id"]) >= 2, TimeSpan.FromSeconds(60));
        Assert.Single(receiver.Requests.Select(r => r.Headers["webhook-id"]).Distinct());
    }

    private sealed class RestartedMessagingFactory : PlatformFactory
    {
        public RestartedMessagingFactory(string connectionString) : base("restart", connectionString)
        {
            Twilio = FakeTwilio.StartAsync().GetAwaiter().GetResult();
            Settings["CLOUDFRAN_TWILIO_BASE_URL"] = Twilio.BaseUrl;
            Settings["CLOUDFRAN_PUBLIC_BASE_URL"] = MessagingFactory.PublicBaseUrl;
            Settings["CLOUDFRAN_WEBHOOKS_ALLOW_PRIVATE"] = "true";
        }

        public FakeTwilio Twilio { get; }

        public override async ValueTask DisposeAsync()
        {
            await base.DisposeAsync();
            await Twilio.DisposeAsync();
        }
    }
}
