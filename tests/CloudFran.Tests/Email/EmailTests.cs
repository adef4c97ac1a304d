using System.Net;
using System.Text.Json;
using CloudFran.Tests.Infrastructure;
using Npgsql;
using Xunit;

namespace CloudFran.Tests.Email;

/// <summary>The email backbone end to end: HTTP → outbox → dispatcher → a real SMTP conversation with the fake relay.</summary>
[Collection(EmailCollection.Name)]
public sealed class EmailTests(EmailFactory factory)
{
    private async Task<(TestTenant Tenant, HttpClient Client)> TenantAsync()
    {
        var tenant = await factory.CreateTenantAsync();
        var client = tenant.Live();
        await factory.ConfigureEmailAsync(client);
        return (tenant, client);
    }

    private static async Task<JsonElement> SendAsync(HttpClient client, string to, string category = "transactional", string? key = null,
        string subject = "Your booking", string text = "See you on Friday.\n.\n.dot line")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/email/send") { Content = JsonContent(new { to, subject, text, category }) };
        if (key is not null)
        {
            request.Headers.Add("Idempotency-Key", key);
        }
        return await (await client.SendAsync(request)).JsonAsync(HttpStatusCode.Created);
    }

    private static StringContent JsonContent(object body) =>
        new(JsonSerializer.Serialize(body), System.Text.Encoding.UTF8, "application/json");

    private static Task<JsonElement> WaitForStatusAsync(HttpClient client, string messageId, string status) =>
        Eventually.Async($"email {messageId} to reach {status}",
            async () => await (await client.GetAsync($"/v1/email/messages/{messageId}")).JsonAsync(HttpStatusCode.OK),
            m => m.GetProperty("status").GetString() == status);

    private Task<long> EventsAsync(string tenantId, string type) =>
        factory.CountAsync("SELECT count(*) FROM outbox_events WHERE tenant_id = @t AND event_type = @type", ("t", tenantId), ("type", type));

    [Fact]
    public async Task Settings_are_stored_for_managers_and_the_password_never_comes_back()
    {
        var tenant = await factory.CreateTenantAsync();
        using var client = tenant.Live();
        await (await client.GetAsync("/v1/tenant/email")).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        var view = await (await client.PutJsonAsync("/v1/tenant/email", new
        {
            host = "smtp.example.org", port = 587, username = "apikey", password = "s3cret-value", fromAddress = "hi@example.org",
            fromName = "Studio", security = "starttls",
        })).JsonAsync(HttpStatusCode.OK);
        Assert.True(view.GetProperty("passwordSet").GetBoolean());
        var read = await (await client.GetAsync("/v1/tenant/email")).Content.ReadAsStringAsync();
        Assert.DoesNotContain("s3cret-value", read);
        Assert.Contains("smtp.example.org", read);

        await (await client.PutJsonAsync("/v1/tenant/email", new { host = "smtp.example.org", port = 70000, fromAddress = "hi@example.org", security = "ssl" }))
            .ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await client.PutJsonAsync("/v1/tenant/email", new { port = 25, security = "none" }))
            .ErrorAsync(HttpStatusCode.BadRequest, "MISSING_FIELD");

        using var agent = factory.ClientFor(await tenant.CreateKeyAsync("agent"), tenant.TenantId);
        Assert.Equal(HttpStatusCode.Forbidden, (await agent.GetAsync("/v1/tenant/email")).StatusCode);
    }

    [Fact]
    public async Task A_marketing_email_is_delivered_over_smtp_with_unsubscribe_headers_and_footer()
    {
        var (tenant, client) = await TenantAsync();
        var to = EmailFactory.Address();
        var queued = await SendAsync(client, to, "marketing", subject: "Spring offer");
        Assert.Equal("queued", queued.GetProperty("status").GetString());
        var sent = await WaitForStatusAsync(client, queued.GetProperty("messageId").GetString()!, "sent");
        Assert.Equal(1, sent.GetProperty("attempts").GetInt32());

        var envelope = await factory.Smtp.WaitForAsync(to);
        Assert.Equal("hello@franchise.example", envelope.MailFrom);
        var mail = envelope.Parse();
        Assert.Equal("Spring offer", mail.Subject);
        Assert.Equal("Downtown Studio", mail.From.Mailboxes.Single().Name);
        Assert.Equal(to, mail.To.Mailboxes.Single().Address);
        var unsubscribe = mail.Headers["List-Unsubscribe"];
        Assert.StartsWith($"<{CrmFactoryBase}/v1/email/unsubscribe?token=", unsubscribe);
        Assert.Equal("List-Unsubscribe=One-Click", mail.Headers["List-Unsubscribe-Post"]);
        var text = mail.TextBody!.Replace("\r\n", "\n");
        Assert.Contains("See you on Friday.\n.\n.dot line", text); // lines starting with a dot survive dot-stuffing
        Assert.Contains(unsubscribe!.Trim('<', '>'), text);
        Assert.Equal(1, await EventsAsync(tenant.TenantId, "email.sent"));

        // Transactional mail has no unsubscribe link.
        var receipt = await SendAsync(client, to, "transactional", subject: "Receipt");
        await WaitForStatusAsync(client, receipt.GetProperty("messageId").GetString()!, "sent");
        var plain = (await factory.Smtp.WaitForAsync(to, 2)).Parse();
        Assert.Null(plain.Headers["List-Unsubscribe"]);
    }

    private const string CrmFactoryBase = Crm.CrmFactory.PublicBaseUrl;

    [Fact]
    public async Task An_html_body_goes_as_an_alternative_to_the_text_with_the_unsubscribe_link_in_both()
    {
        var (_, client) = await TenantAsync();
        var to = EmailFactory.Address();
        var queued = await (await client.PostJsonAsync("/v1/email/send", new
        {
            to, subject = "Spring menu", category = "marketing", text = "Our spring menu is here.",
            html = "<html><body><h1>Spring menu</h1><p>Fresh &amp; local.</p></body></html>",
        })).JsonAsync(HttpStatusCode.Created);
        await WaitForStatusAsync(client, queued.GetProperty("messageId").GetString()!, "sent");
        var mail = (await factory.Smtp.WaitForAsync(to)).Parse();
        var alternative = Assert.IsType<MimeKit.MultipartAlternative>(mail.Body);
        Assert.Equal(["text/plain", "text/html"], alternative.Select(p => p.ContentType.MimeType).ToArray());
        var link = mail.Headers["List-Unsubscribe"]!.Trim('<', '>');
        Assert.StartsWith("Our spring menu is here.", mail.TextBody);
        Assert.Contains(link, mail.TextBody);
        // The footer goes inside the body element, the link HTML-encoded.
        Assert.Contains("<p>Fresh &amp; local.</p><p style=", mail.HtmlBody);
        Assert.Contains($"<a href=\"{System.Net.WebUtility.HtmlEncode(link)}\">Unsubscribe</a></p></body></html>", mail.HtmlBody);

        await (await client.PostJsonAsync("/v1/email/send", new { to, subject = "Big", text = "x", html = new string('x', 100_001) }))
            .ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
    }

    [Fact]
    public async Task Configured_credentials_authenticate_with_the_relay()
    {
        var tenant = await factory.CreateTenantAsync();
        using var client = tenant.Live();
        await (await client.PutJsonAsync("/v1/tenant/email", new
        {
            host = "127.0.0.1", port = factory.Smtp.Port, username = "relay-user", password = "relay-pass-123", fromAddress = "desk@franchise.example",
            security = "none",
        })).JsonAsync(HttpStatusCode.OK);
        var to = EmailFactory.Address();
        var queued = await SendAsync(client, to);
        await WaitForStatusAsync(client, queued.GetProperty("messageId").GetString()!, "sent");
        Assert.Contains(("relay-user", "relay-pass-123"), factory.Smtp.Logins);
        Assert.Equal("desk@franchise.example", (await factory.Smtp.WaitForAsync(to)).MailFrom);
    }

    [Fact]
    public async Task The_same_idempotency_key_queues_and_sends_one_email()
    {
        var (_, client) = await TenantAsync();
        var to = EmailFactory.Address();
        var first = await SendAsync(client, to, key: "order-42");
        var second = await SendAsync(client, to, key: "order-42");
        Assert.Equal(first.GetProperty("messageId").GetString(), second.GetProperty("messageId").GetString());
        await WaitForStatusAsync(client, first.GetProperty("messageId").GetString()!, "sent");
        var third = await SendAsync(client, to, key: "order-42");
        Assert.Equal("sent", third.GetProperty("status").GetString());
        // Nothing to the address is left queued: a second email would have been a second row.
        await factory.EmailOutboxSettledAsync(to);
        Assert.Equal(1, await factory.CountAsync("SELECT count(*) FROM email_messages WHERE to_address = lower(@a)", ("a", to)));
        Assert.Single(factory.Smtp.To(to));
    }

    [Fact]
    public async Task The_unsubscribe_link_stops_later_marketing_mail()
    {
        var (tenant, client) = await TenantAsync();
        var to = EmailFactory.Address();
        var queued = await SendAsync(client, to, "marketing");
        await WaitForStatusAsync(client, queued.GetProperty("messageId").GetString()!, "sent");
        var link = (await factory.Smtp.WaitForAsync(to)).Parse().Headers["List-Unsubscribe"]!.Trim('<', '>');
        var path = link[CrmFactoryBase.Length..];

        using var anonymous = factory.CreateClient();
        var page = await anonymous.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains(to, await page.Content.ReadAsStringAsync());
        Assert.Equal(0, await EventsAsync(tenant.TenantId, "email.opt_out")); // the page alone changes nothing

        var oneClick = await anonymous.PostAsync(path, new FormUrlEncodedContent([new("List-Unsubscribe", "One-Click")]));
        Assert.Equal(HttpStatusCode.OK, oneClick.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.PostAsync(path, null)).StatusCode); // idempotent
        Assert.Equal(1, await EventsAsync(tenant.TenantId, "email.opt_out"));

        await (await client.PostJsonAsync("/v1/email/send", new { to, subject = "More offers", text = "Hi", category = "marketing" }))
            .ErrorAsync(HttpStatusCode.Conflict, "RECIPIENT_OPTED_OUT");
        await (await client.PostJsonAsync("/v1/email/send", new { to = to.ToUpperInvariant(), subject = "More", text = "Hi", category = "marketing" }))
            .ErrorAsync(HttpStatusCode.Conflict, "RECIPIENT_OPTED_OUT");
        await SendAsync(client, to, "transactional"); // receipts still go out

        // A forged or mangled token is a 404 envelope, on both verbs.
        var forged = path[..^3] + (path[^3] == 'A' ? "B" : "A") + path[^2..];
        await (await anonymous.GetAsync(forged)).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        await (await anonymous.PostAsync(forged, null)).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        await (await anonymous.PostAsync("/v1/email/unsubscribe?token=nonsense", null)).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        await (await anonymous.GetAsync("/v1/email/unsubscribe")).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
    }

    [Fact]
    public async Task Bad_inputs_answer_4xx_envelopes()
    {
        var (_, client) = await TenantAsync();
        var to = EmailFactory.Address();
        await (await client.PostJsonAsync("/v1/email/send", new { subject = "x", text = "y" })).ErrorAsync(HttpStatusCode.BadRequest, "MISSING_FIELD");
        await (await client.PostJsonAsync("/v1/email/send", new { to = "not-an-address", subject = "x", text = "y" }))
            .ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await client.PostJsonAsync("/v1/email/send", new { to, subject = new string('s', 201), text = "y" }))
            .ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await client.PostJsonAsync("/v1/email/send", new { to, subject = "a\r\nBcc: victim@example.org", text = "y" }))
            .ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await client.PostJsonAsync("/v1/email/send", new { to, subject = "x", text = new string('b', 100_001) }))
            .ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await client.PostJsonAsync("/v1/email/send", new { to, subject = "x", text = "y", category = "newsletter" }))
            .ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await client.PostJsonAsync("/v1/email/send", new { to, subject = "x", text = "y", locationId = "nope" }))
            .ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await client.GetAsync("/v1/email/messages/eml_doesnotexist00000000")).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        await (await client.GetAsync("/v1/email/messages/garbage")).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
    }

    [Fact]
    public async Task Another_tenants_message_is_not_found_and_a_mismatched_tenant_header_is_forbidden()
    {
        var (a, clientA) = await TenantAsync();
        var (b, clientB) = await TenantAsync();
        var queued = await SendAsync(clientA, EmailFactory.Address());
        var id = queued.GetProperty("messageId").GetString()!;
        await (await clientB.GetAsync($"/v1/email/messages/{id}")).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        using var sandboxA = a.Sandbox();
        await (await sandboxA.GetAsync($"/v1/email/messages/{id}")).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        using var mismatched = factory.ClientFor(a.LiveKey, b.TenantId);
        Assert.Equal(HttpStatusCode.Forbidden, (await mismatched.GetAsync($"/v1/email/messages/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await mismatched.PostJsonAsync("/v1/email/send", new { to = "x@example.org", subject = "x", text = "y" })).StatusCode);
    }

    [Fact]
    public async Task Smtp_4xx_is_retried_and_5xx_fails_for_good()
    {
        var (tenant, client) = await TenantAsync();
        var busy = EmailFactory.Address("busy");
        var gone = EmailFactory.Address("gone");
        var stuck = EmailFactory.Address("stuck");
        var busyRefusals = 0;
        factory.Smtp.RcptReply = address =>
            address == busy && Interlocked.Increment(ref busyRefusals) <= 2 ? "451 4.3.0 Mailbox busy, try later"
            : address == gone ? "550 5.1.1 No such user"
            : address == stuck ? "421 4.7.0 Try again later"
            : null;

        var retried = await SendAsync(client, busy);
        var sent = await WaitForStatusAsync(client, retried.GetProperty("messageId").GetString()!, "sent");
        Assert.Equal(3, sent.GetProperty("attempts").GetInt32());
        Assert.Single(factory.Smtp.To(busy));

        var permanent = await SendAsync(client, gone);
        var failed = await WaitForStatusAsync(client, permanent.GetProperty("messageId").GetString()!, "failed");
        Assert.Equal(1, failed.GetProperty("attempts").GetInt32());
        Assert.Equal("550", failed.GetProperty("errorCode").GetString());

        var exhausted = await SendAsync(client, stuck);
        var gaveUp = await WaitForStatusAsync(client, exhausted.GetProperty("messageId").GetString()!, "failed");
        Assert.Equal(3, gaveUp.GetProperty("attempts").GetInt32()); // CLOUDFRAN_EMAIL_MAX_ATTEMPTS in the factory
        Assert.Equal(3, factory.Smtp.RcptAttempts.Count(a => a == stuck));
        Assert.Empty(factory.Smtp.To(gone));
        Assert.Equal(2, await EventsAsync(tenant.TenantId, "email.failed"));
    }

    [Fact]
    public async Task Opt_outs_are_recorded_read_and_lifted_through_the_api_within_the_tenant()
    {
        var (tenant, client) = await TenantAsync();
        var address = EmailFactory.Address();
        using var agent = factory.ClientFor(await tenant.CreateKeyAsync("agent"), tenant.TenantId);
        var created = await (await agent.PostJsonAsync("/v1/email/opt-outs", new { address = address.ToUpperInvariant() })).JsonAsync(HttpStatusCode.Created);
        Assert.Equal(address, created.GetProperty("address").GetString());
        Assert.Equal("opted_out", created.GetProperty("status").GetString());
        await (await client.PostJsonAsync("/v1/email/send", new { to = address, subject = "Offer", text = "Hi", category = "marketing" }))
            .ErrorAsync(HttpStatusCode.Conflict, "RECIPIENT_OPTED_OUT");

        // Another tenant's view of the same address is its own: never unsubscribed there.
        var (_, other) = await TenantAsync();
        var elsewhere = await (await other.GetAsync($"/v1/email/opt-outs/{address}")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal("opted_in", elsewhere.GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.OK, (await other.DeleteAsync($"/v1/email/opt-outs/{address}")).StatusCode);
        Assert.Equal("opted_out", (await (await client.GetAsync($"/v1/email/opt-outs/{address}")).JsonAsync(HttpStatusCode.OK))
            .GetProperty("status").GetString());

        // Lifting needs a manager; twice is once.
        Assert.Equal(HttpStatusCode.Forbidden, (await agent.DeleteAsync($"/v1/email/opt-outs/{address}")).StatusCode);
        var lifted = await (await client.DeleteAsync($"/v1/email/opt-outs/{address}")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal("opted_in", lifted.GetProperty("status").GetString());
        Assert.Equal("api", lifted.GetProperty("source").GetString());
        await (await client.DeleteAsync($"/v1/email/opt-outs/{address}")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(1, await EventsAsync(tenant.TenantId, "email.opt_in"));
        var queued = await (await client.PostJsonAsync("/v1/email/send", new { to = address, subject = "Offer", text = "Hi", category = "marketing" }))
            .JsonAsync(HttpStatusCode.Created);
        await WaitForStatusAsync(client, queued.GetProperty("messageId").GetString()!, "sent");

        await (await client.GetAsync("/v1/email/opt-outs/not-an-address")).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await agent.PostJsonAsync("/v1/email/opt-outs", new { })).ErrorAsync(HttpStatusCode.BadRequest, "MISSING_FIELD");
    }
}
