using System.Net;
using System.Text.Json;
using CloudFran.Tests.Crm;
using CloudFran.Tests.Infrastructure;
using Xunit;

namespace CloudFran.Tests.Email;

/// <summary>Autopilot's email and both channels under the fake clock: fake Twilio for SMS, the fake SMTP relay for email.</summary>
[Collection(EmailCollection.Name)]
public sealed class AutopilotEmailTests(EmailFactory factory)
{
    private const string NewYork = "America/New_York";

    private static int _phones = Random.Shared.Next(0, 5_000);

    private static string Phone() => "+1917555" + (Interlocked.Increment(ref _phones) % 10_000).ToString("D4");

    private async Task<HttpClient> TenantAsync()
    {
        var tenant = await factory.CreateTenantAsync();
        var client = tenant.Live();
        await CrmFactory.ConfigureTwilioAsync(client);
        await factory.ConfigureEmailAsync(client);
        return client;
    }

    private static async Task<string> CampaignAsync(HttpClient client, string channel, int[] cadence) =>
        (await (await client.PostJsonAsync("/v1/autopilot/campaigns", new { name = "Spring nurture", goal = "booking", cadenceDays = cadence, channel }))
            .JsonAsync(HttpStatusCode.Created)).GetProperty("campaignId").GetString()!;

    private static async Task<JsonElement> EnrollAsync(HttpClient client, string campaignId, string? phone, string? email) =>
        await (await client.PostJsonAsync($"/v1/autopilot/campaigns/{campaignId}/leads", new { name = "Ana Diaz", phone, email, timezone = NewYork }))
            .JsonAsync(HttpStatusCode.Created);

    private static async Task<JsonElement> ProcessAsync(HttpClient client, string campaignId) =>
        await (await client.PostAsync($"/v1/autopilot/campaigns/{campaignId}/process", null)).JsonAsync(HttpStatusCode.OK);

    /// <summary>Waits until the relay holds <paramref name="expected"/> messages to the address and the email outbox holds
    /// nothing more for it (every message to it reached its final state); returns the count then, which is final.</summary>
    private async Task<int> SettledEmailCountAsync(string address, int expected)
    {
        await Eventually.True($"{expected} email(s) to {address} at the fake relay", () => factory.Smtp.To(address).Count() >= expected);
        await factory.EmailOutboxSettledAsync(address);
        return factory.Smtp.To(address).Count();
    }

    [Fact]
    public async Task Channel_both_sends_one_sms_and_one_email_per_step_and_never_twice()
    {
        var client = await TenantAsync();
        var campaignId = await CampaignAsync(client, "both", [0, 2]);
        var start = factory.AdvanceToLocal(NewYork, 12);
        var (phone, email) = (Phone(), EmailFactory.Address());
        var enrollment = await EnrollAsync(client, campaignId, phone, email);
        var enrollmentId = enrollment.GetProperty("enrollmentId").GetString()!;

        factory.SetTime(start.AddMinutes(1));
        Assert.Equal(1, (await ProcessAsync(client, campaignId)).GetProperty("sent").GetInt32());
        Assert.Equal(0, (await ProcessAsync(client, campaignId)).GetProperty("sent").GetInt32()); // a replayed pass
        Assert.Equal(1, await factory.SettledTwilioCountAsync(phone, 1));
        Assert.Equal(1, await SettledEmailCountAsync(email, 1));

        factory.SetTime(start.AddDays(1).AddMinutes(1));
        Assert.Equal(0, (await ProcessAsync(client, campaignId)).GetProperty("sent").GetInt32());
        factory.SetTime(start.AddDays(2).AddMinutes(1));
        await ProcessAsync(client, campaignId);
        await ProcessAsync(client, campaignId);
        factory.SetTime(start.AddDays(5));
        await ProcessAsync(client, campaignId);

        Assert.Equal(2, await factory.SettledTwilioCountAsync(phone, 2));
        Assert.Equal(2, await SettledEmailCountAsync(email, 2));
        var mail = factory.Smtp.To(email).First().Parse();
        Assert.Equal("Spring nurture", mail.Subject);
        Assert.StartsWith("Hi Ana,", mail.TextBody);
        Assert.NotNull(mail.Headers["List-Unsubscribe"]);
        Assert.Equal(2, await factory.CountAsync(
            "SELECT count(*) FROM autopilot_touches WHERE enrollment_id = @e AND status = 'sent' AND email_status = 'sent' AND email_message_id IS NOT NULL",
            ("e", enrollmentId)));
        Assert.Equal(2, await factory.CountAsync(
            "SELECT count(*) FROM email_messages WHERE idempotency_key IN (@k0, @k1)", ("k0", $"ap:{enrollmentId}:0:email"), ("k1", $"ap:{enrollmentId}:1:email")));

        // The conversation shows both channels of each step in one timeline, tagged with campaign and step.
        var leadId = enrollment.GetProperty("leadId").GetString()!;
        var conversation = await (await client.GetAsync($"/v1/autopilot/leads/{leadId}/conversation")).JsonAsync(HttpStatusCode.OK);
        var messages = conversation.GetProperty("messages").EnumerateArray().ToList();
        foreach (var channel in new[] { "sms", "email" })
        {
            var steps = messages.Where(m => m.GetProperty("channel").GetString() == channel)
                .Select(m => (m.GetProperty("campaignId").GetString(), m.GetProperty("step").GetInt32())).ToList();
            Assert.Equal([(campaignId, 0), (campaignId, 1)], steps);
        }
        var emailed = messages.First(m => m.GetProperty("channel").GetString() == "email");
        Assert.Equal("Spring nurture", emailed.GetProperty("subject").GetString());
        Assert.Equal("outbound", emailed.GetProperty("direction").GetString());
        Assert.StartsWith("Hi Ana,", emailed.GetProperty("body").GetString());
    }

    [Fact]
    public async Task Quiet_hours_hold_the_sms_while_the_email_goes_at_once()
    {
        var client = await TenantAsync();
        var campaignId = await CampaignAsync(client, "both", [0]);
        var late = factory.AdvanceToLocal(NewYork, 22);
        var (phone, email) = (Phone(), EmailFactory.Address());
        var enrollment = await EnrollAsync(client, campaignId, phone, email);

        var processed = await ProcessAsync(client, campaignId);
        Assert.Equal(1, processed.GetProperty("deferred").GetInt32());
        Assert.Equal(1, await SettledEmailCountAsync(email, 1));
        Assert.Equal(0, await factory.SettledTwilioCountAsync(phone, 0));

        factory.SetTime(late.AddHours(10).AddMinutes(1)); // 08:01 the next morning
        await ProcessAsync(client, campaignId);
        await ProcessAsync(client, campaignId);
        Assert.Equal(1, await factory.SettledTwilioCountAsync(phone, 1));
        Assert.Equal(1, await SettledEmailCountAsync(email, 1));
        var conversation = await (await client.GetAsync($"/v1/autopilot/leads/{enrollment.GetProperty("leadId").GetString()}/conversation"))
            .JsonAsync(HttpStatusCode.OK);
        Assert.Equal("completed", conversation.GetProperty("enrollments")[0].GetProperty("state").GetString());
    }

    [Fact]
    public async Task An_email_only_campaign_emails_leads_with_an_address_and_skips_the_rest()
    {
        var client = await TenantAsync();
        var campaignId = await CampaignAsync(client, "email", [0]);
        factory.AdvanceToLocal(NewYork, 23); // quiet hours do not apply to email
        var email = EmailFactory.Address();
        var withEmail = await EnrollAsync(client, campaignId, null, email);
        var phoneOnlyNumber = Phone();
        var phoneOnly = await EnrollAsync(client, campaignId, phoneOnlyNumber, null);
        await (await client.PostJsonAsync($"/v1/autopilot/campaigns/{campaignId}/leads", new { name = "Nobody" }))
            .ErrorAsync(HttpStatusCode.BadRequest, "MISSING_FIELD");

        await ProcessAsync(client, campaignId);
        await ProcessAsync(client, campaignId);
        Assert.Equal(1, await SettledEmailCountAsync(email, 1));
        Assert.Equal(0, await factory.SettledTwilioCountAsync(phoneOnlyNumber, 0));
        Assert.Equal(1, await factory.CountAsync(
            "SELECT count(*) FROM autopilot_touches WHERE enrollment_id = @e AND status = 'skipped' AND email_status = 'sent'",
            ("e", withEmail.GetProperty("enrollmentId").GetString()!)));
        Assert.Equal(1, await factory.CountAsync(
            "SELECT count(*) FROM autopilot_touches WHERE enrollment_id = @e AND status = 'skipped' AND email_status = 'skipped'",
            ("e", phoneOnly.GetProperty("enrollmentId").GetString()!)));
    }

    [Fact]
    public async Task A_pass_of_emails_to_one_relay_shares_one_smtp_connection()
    {
        var client = await TenantAsync();
        var campaignId = await CampaignAsync(client, "email", [0]);
        var addresses = Enumerable.Range(0, 6).Select(_ => EmailFactory.Address()).ToList();
        foreach (var address in addresses)
        {
            await EnrollAsync(client, campaignId, null, address);
        }
        // One pass queues the six in one statement, so the dispatcher claims them together.
        Assert.Equal(6, (await ProcessAsync(client, campaignId)).GetProperty("sent").GetInt32());
        foreach (var address in addresses)
        {
            await factory.Smtp.WaitForAsync(address);
        }
        var connections = addresses.Select(a => factory.Smtp.To(a).Single().Connection).Distinct().ToList();
        Assert.Single(connections);
    }
}
