using System.Net;
using CloudFran.Tests.Crm;
using CloudFran.Tests.Infrastructure;
using Xunit;

namespace CloudFran.Tests.Email;

/// <summary>
/// SSRF guard on the tenant's SMTP relay, on a host without CLOUDFRAN_EMAIL_ALLOW_PRIVATE: internal addresses are
/// refused when the settings are saved and again when a message is sent.
/// </summary>
[Collection(CrmCollection.Name)]
public sealed class EmailRelayGuardTests(CrmFactory factory)
{
    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("localhost")]
    [InlineData("169.254.169.254")]
    [InlineData("10.1.2.3")]
    [InlineData("::1")]
    public async Task Settings_pointing_at_an_internal_address_are_refused(string host)
    {
        var tenant = await factory.CreateTenantAsync();
        using var client = tenant.Live();
        var error = await (await client.PutJsonAsync("/v1/tenant/email", new
        {
            host, port = 25, fromAddress = "hello@franchise.example", security = "none",
        })).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        Assert.Contains(error.GetProperty("details").EnumerateArray(), d => d.GetProperty("field").GetString() == "host");
        await (await client.GetAsync("/v1/tenant/email")).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
    }

    [Fact]
    public async Task A_relay_that_now_resolves_internally_is_not_connected_to()
    {
        var tenant = await factory.CreateTenantAsync();
        using var client = tenant.Live();
        // As if the relay's name had resolved publicly when saved and points at loopback now.
        await factory.ExecuteAsync(
            """
            INSERT INTO tenant_email (tenant_id, env, host, port, from_address, security, updated_at)
            VALUES (@t, 'live', '127.0.0.1', 2525, 'hello@franchise.example', 'none', now())
            """, ("t", tenant.TenantId));
        var sent = await (await client.PostJsonAsync("/v1/email/send", new { to = "guest@example.org", subject = "Receipt", text = "Thanks!" }))
            .JsonAsync(HttpStatusCode.Created);
        var id = sent.GetProperty("messageId").GetString();
        var view = await Eventually.Async($"email {id} to fail", async () =>
            await (await client.GetAsync($"/v1/email/messages/{id}")).JsonAsync(HttpStatusCode.OK),
            v => v.GetProperty("status").GetString() == "failed");
        Assert.Equal("SMTP_HOST_REFUSED", view.GetProperty("errorCode").GetString());
    }
}
