using System.Net;
using CloudFran.Tests.Crm;
using CloudFran.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace CloudFran.Tests.Autopilot;

/// <summary>The durable reminder drives the campaign on its own: no API call processes anything here.</summary>
public sealed class AutopilotReminderTests
{
    [Fact]
    public async Task The_reminder_tick_sends_due_touches_by_itself()
    {
        // The reminder service runs on a clock of the test's, so the one-minute tick comes when the test moves it.
        await using var factory = new CrmFactory { ReminderClock = new FakeTimeProvider(DateTimeOffset.UtcNow) };
        var tenant = await factory.CreateTenantAsync();
        using var client = tenant.Live();
        await CrmFactory.ConfigureTwilioAsync(client);
        factory.AdvanceToLocal("America/New_York", 12);
        var campaign = await (await client.PostJsonAsync("/v1/autopilot/campaigns", new { name = "Ticking", goal = "reactivation", cadenceDays = new[] { 0, 5 } }))
            .JsonAsync(HttpStatusCode.Created);
        var campaignId = campaign.GetProperty("campaignId").GetString();
        var phone = "+1646555" + Random.Shared.Next(0, 10_000).ToString("D4");
        await (await client.PostJsonAsync($"/v1/autopilot/campaigns/{campaignId}/leads", new { name = "Tia Ray", phone, timezone = "America/New_York" }))
            .JsonAsync(HttpStatusCode.Created);

        // Reminders have a one-minute period: move the reminder clock a minute at a time until the tick's touch reaches
        // Twilio. The campaign's own clock stands still, so however many ticks that takes, only the first touch is due.
        await Eventually.True("the reminder tick's touch at the fake Twilio", () =>
        {
            if (factory.TwilioCount(phone) > 0) return true;
            factory.ReminderClock!.Advance(TimeSpan.FromMinutes(1));
            return false;
        });
        Assert.Equal(1, await factory.SettledTwilioCountAsync(phone, 1));
        var message = factory.Twilio.Messages.Single(m => m.FormValue("To") == phone);
        Assert.StartsWith("Hi Tia, we miss you", message.FormValue("Body"));
    }
}
