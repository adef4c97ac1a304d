using System.Net;
using System.Text.Json;
using CloudFran.Tests.Crm;
using CloudFran.Tests.Infrastructure;
using Xunit;

namespace CloudFran.Tests.Autopilot;

/// <summary>Nurture cadences under a fake clock, through the messaging backbone to a fake Twilio.</summary>
[Collection(CrmCollection.Name)]
public sealed class AutopilotTests(CrmFactory factory)
{
    private const string NewYork = "America/New_York";
    private const string LosAngeles = "America/Los_Angeles";

    // From 1000 on: the CRM classes sharing this platform use fixed numbers below +16465551000.
    private static int _phones = 1_000 + Random.Shared.Next(0, 4_000);

    /// <summary>A fresh recipient for each use (not in the range generated test leads use).</summary>
    private static string Phone() => "+1646555" + (Interlocked.Increment(ref _phones) % 10_000).ToString("D4");

    private async Task<(TestTenant Tenant, HttpClient Client, string Ours)> TenantAsync()
    {
        var tenant = await factory.CreateTenantAsync();
        var client = tenant.Live();
        var ours = await CrmFactory.ConfigureTwilioAsync(client);
        return (tenant, client, ours);
    }

    private static async Task<string> CampaignAsync(HttpClient client, int[] cadence, string status = "active", string? segmentId = null)
    {
        var campaign = await (await client.PostJsonAsync("/v1/autopilot/campaigns", new
        {
            name = "Spring nurture", goal = "booking", cadenceDays = cadence, channel = "sms", status, audienceSegmentId = segmentId,
        })).JsonAsync(HttpStatusCode.Created);
        return campaign.GetProperty("campaignId").GetString()!;
    }

    private static async Task<JsonElement> EnrollAsync(HttpClient client, string campaignId, string phone, string zone = NewYork, string name = "Ana Diaz") =>
        await (await client.PostJsonAsync($"/v1/autopilot/campaigns/{campaignId}/leads", new { name, phone, timezone = zone, tags = new[] { "spring" } }))
            .JsonAsync(HttpStatusCode.Created);

    private static async Task<JsonElement> ProcessAsync(HttpClient client, string campaignId) =>
        await (await client.PostAsync($"/v1/autopilot/campaigns/{campaignId}/process", null)).JsonAsync(HttpStatusCode.OK);

    private static async Task<JsonElement> ConversationAsync(HttpClient client, string leadId) =>
        await (await client.GetAsync($"/v1/autopilot/leads/{leadId}/conversation")).JsonAsync(HttpStatusCode.OK);

    /// <summary>Waits for the inbound listener to apply a reply or STOP to the lead's enrollments.</summary>
    private static Task WaitForStatesAsync(HttpClient client, string leadId, string state) =>
        Eventually.Async($"lead {leadId}'s enrollments to become {state}",
            async () => (await ConversationAsync(client, leadId)).GetProperty("enrollments").EnumerateArray().ToList(),
            enrollments => enrollments.All(e => e.GetProperty("state").GetString() == state));

    private static int Touches(JsonElement conversation, string? campaignId = null) =>
        conversation.GetProperty("messages").EnumerateArray().Count(m =>
            m.GetProperty("campaignId").ValueKind == JsonValueKind.String
            && (campaignId is null || m.GetProperty("campaignId").GetString() == campaignId));

    [Fact]
    public async Task Cadence_0_1_3_7_sends_exactly_four_touches_on_the_right_days()
    {
        var (_, client, _) = await TenantAsync();
        var campaignId = await CampaignAsync(client, [0, 1, 3, 7]);
        var start = factory.AdvanceToLocal(NewYork, 12);
        var phone = Phone();
        var enrollment = await EnrollAsync(client, campaignId, phone, name: "Ana Diaz");
        var leadId = enrollment.GetProperty("leadId").GetString()!;
        Assert.Equal(1, await factory.CountAsync(
            "SELECT count(*) FROM orleans_reminders WHERE grain_id LIKE '%' || @c AND reminder_name = 'autopilot-tick'", ("c", campaignId)));

        Assert.Equal("new", (await (await client.GetAsync($"/v1/crm/leads/{leadId}")).JsonAsync(HttpStatusCode.OK)).GetProperty("status").GetString());

        var touchDays = new List<int>();
        for (var day = 0; day <= 9; day++)
        {
            factory.SetTime(start.AddDays(day).AddMinutes(1));
            var before = Touches(await ConversationAsync(client, leadId));
            await ProcessAsync(client, campaignId);
            await ProcessAsync(client, campaignId); // a second firing at the same moment sends nothing more
            if (Touches(await ConversationAsync(client, leadId)) > before)
            {
                touchDays.Add(day);
            }
        }
        Assert.Equal([0, 1, 3, 7], touchDays);
        // The first touch moved the lead from new to contacted, once, with its event.
        Assert.Equal("contacted", (await (await client.GetAsync($"/v1/crm/leads/{leadId}")).JsonAsync(HttpStatusCode.OK)).GetProperty("status").GetString());
        Assert.Equal(1, await factory.CountAsync(
            "SELECT count(*) FROM outbox_events WHERE event_type = 'lead.status_updated' AND payload->>'lead_id' = @l AND payload->>'new_status' = 'contacted'",
            ("l", leadId)));
        var conversation = await ConversationAsync(client, leadId);
        var steps = conversation.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("step").GetInt32()).ToList();
        Assert.Equal([0, 1, 2, 3], steps);
        Assert.StartsWith("Hi Ana,", conversation.GetProperty("messages")[0].GetProperty("body").GetString());
        Assert.Equal("completed", conversation.GetProperty("enrollments")[0].GetProperty("state").GetString());
        Assert.Equal(4, await factory.SettledTwilioCountAsync(phone, 4));

        // Enrolling the same lead again is idempotent: no new enrollment, no new touches.
        var again = await (await client.PostJsonAsync($"/v1/autopilot/campaigns/{campaignId}/leads", new { leadId })).JsonAsync(HttpStatusCode.Created);
        Assert.Equal(enrollment.GetProperty("enrollmentId").GetString(), again.GetProperty("enrollmentId").GetString());
        var campaign = await (await client.GetAsync($"/v1/autopilot/campaigns/{campaignId}")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(1, campaign.GetProperty("enrollments").GetProperty("completed").GetInt64());
        Assert.Equal(1, await factory.CountAsync(
            "SELECT count(*) FROM outbox_events WHERE event_type = 'campaign.completed' AND payload->>'campaignId' = @c", ("c", campaignId)));
    }

    [Fact]
    public async Task Pausing_the_campaign_holds_touches_and_resuming_sends_them()
    {
        var (_, client, _) = await TenantAsync();
        var campaignId = await CampaignAsync(client, [0, 1]);
        var start = factory.AdvanceToLocal(NewYork, 12);
        var phone = Phone();
        var leadId = (await EnrollAsync(client, campaignId, phone)).GetProperty("leadId").GetString()!;
        await ProcessAsync(client, campaignId);
        Assert.Equal(1, Touches(await ConversationAsync(client, leadId)));

        var paused = await (await client.PatchJsonAsync($"/v1/autopilot/campaigns/{campaignId}", new { status = "paused" })).JsonAsync(HttpStatusCode.OK);
        Assert.Equal("paused", paused.GetProperty("status").GetString());
        factory.SetTime(start.AddDays(1).AddMinutes(5));
        var result = await ProcessAsync(client, campaignId);
        Assert.Equal(0, result.GetProperty("sent").GetInt32());
        Assert.Equal(1, Touches(await ConversationAsync(client, leadId)));

        await (await client.PatchJsonAsync($"/v1/autopilot/campaigns/{campaignId}", new { status = "active" })).JsonAsync(HttpStatusCode.OK);
        await ProcessAsync(client, campaignId);
        Assert.Equal(2, Touches(await ConversationAsync(client, leadId)));
        Assert.Equal(2, await factory.SettledTwilioCountAsync(phone, 2));
    }

    [Fact]
    public async Task A_reply_pauses_the_lead_and_is_threaded_and_resume_continues()
    {
        var (_, client, ours) = await TenantAsync();
        var campaignId = await CampaignAsync(client, [0, 1, 3]);
        var start = factory.AdvanceToLocal(NewYork, 12);
        var phone = Phone();
        var leadId = (await EnrollAsync(client, campaignId, phone)).GetProperty("leadId").GetString()!;
        await ProcessAsync(client, campaignId);

        factory.SetTime(start.AddHours(2));
        await factory.InboundSmsAsync(phone, ours, "Sounds good, what times do you have on Friday?");
        await WaitForStatesAsync(client, leadId, "paused"); // applied on arrival, before any touch falls due
        factory.SetTime(start.AddDays(1).AddMinutes(1));
        var result = await ProcessAsync(client, campaignId);
        Assert.Equal(0, result.GetProperty("sent").GetInt32());
        var conversation = await ConversationAsync(client, leadId);
        Assert.Equal(1, Touches(conversation));
        Assert.Equal(["outbound", "inbound"], conversation.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("direction").GetString()!).ToArray());
        var enrollment = conversation.GetProperty("enrollments")[0];
        Assert.Equal("paused", enrollment.GetProperty("state").GetString());
        Assert.Equal("replied", enrollment.GetProperty("reason").GetString());

        await (await client.PostAsync($"/v1/autopilot/campaigns/{campaignId}/leads/{leadId}/resume", null)).JsonAsync(HttpStatusCode.OK);
        await ProcessAsync(client, campaignId);
        Assert.Equal(2, Touches(await ConversationAsync(client, leadId)));
        await (await client.PostAsync($"/v1/autopilot/campaigns/{campaignId}/leads/{leadId}/resume", null)).ErrorAsync(HttpStatusCode.Conflict, "CONFLICT");
    }

    [Fact]
    public async Task Stop_mid_cadence_removes_the_lead_from_every_campaign()
    {
        var (_, client, ours) = await TenantAsync();
        var first = await CampaignAsync(client, [0, 1, 3]);
        var second = await CampaignAsync(client, [0, 2]);
        var start = factory.AdvanceToLocal(NewYork, 12);
        var phone = Phone();
        var leadId = (await EnrollAsync(client, first, phone)).GetProperty("leadId").GetString()!;
        await (await client.PostJsonAsync($"/v1/autopilot/campaigns/{second}/leads", new { leadId })).JsonAsync(HttpStatusCode.Created);
        await ProcessAsync(client, first);
        await ProcessAsync(client, second);
        Assert.Equal(2, Touches(await ConversationAsync(client, leadId)));
        // Both touches reach Twilio before the STOP (one still queued when it arrives would rightly be suppressed).
        Assert.Equal(2, await factory.SettledTwilioCountAsync(phone, 2));

        factory.SetTime(start.AddHours(1));
        await factory.InboundSmsAsync(phone, ours, "STOP");
        await WaitForStatesAsync(client, leadId, "exited"); // every campaign, on arrival
        factory.SetTime(start.AddDays(3).AddMinutes(1));
        await ProcessAsync(client, first);
        await ProcessAsync(client, second);
        var conversation = await ConversationAsync(client, leadId);
        Assert.Equal(2, Touches(conversation));
        Assert.All(conversation.GetProperty("enrollments").EnumerateArray(), e =>
        {
            Assert.Equal("exited", e.GetProperty("state").GetString());
            Assert.Equal("opted_out", e.GetProperty("reason").GetString());
        });
        Assert.Equal(2, await factory.SettledTwilioCountAsync(phone, 2));
    }

    [Fact]
    public async Task Quiet_hours_hold_touches_until_8am_in_the_recipients_zone()
    {
        var (_, client, _) = await TenantAsync();
        var campaignId = await CampaignAsync(client, [0]);
        var nine = factory.AdvanceToLocal(NewYork, 9); // 06:00 in Los Angeles
        var east = Phone();
        var west = Phone();
        var eastLead = (await EnrollAsync(client, campaignId, east, NewYork)).GetProperty("leadId").GetString()!;
        var westLead = (await EnrollAsync(client, campaignId, west, LosAngeles)).GetProperty("leadId").GetString()!;

        var first = await ProcessAsync(client, campaignId);
        Assert.Equal(1, first.GetProperty("deferred").GetInt32());
        Assert.Equal(1, Touches(await ConversationAsync(client, eastLead)));
        Assert.Equal(0, Touches(await ConversationAsync(client, westLead)));

        factory.SetTime(nine.AddHours(2).AddMinutes(-1)); // 07:59 in Los Angeles
        await ProcessAsync(client, campaignId);
        Assert.Equal(0, Touches(await ConversationAsync(client, westLead)));
        var waiting = (await ConversationAsync(client, westLead)).GetProperty("enrollments")[0];
        var due = waiting.GetProperty("nextDueAt").GetDateTimeOffset();
        Assert.Equal(8, TimeZoneInfo.ConvertTime(due, TimeZoneInfo.FindSystemTimeZoneById(LosAngeles)).Hour);

        factory.SetTime(nine.AddHours(2)); // 08:00 in Los Angeles
        await ProcessAsync(client, campaignId);
        Assert.Equal(1, Touches(await ConversationAsync(client, westLead)));

        // Enrolled at 22:00 local: nothing until the next morning.
        var late = factory.AdvanceToLocal(NewYork, 22);
        var night = Phone();
        var nightLead = (await EnrollAsync(client, campaignId, night, NewYork)).GetProperty("leadId").GetString()!;
        await ProcessAsync(client, campaignId);
        Assert.Equal(0, Touches(await ConversationAsync(client, nightLead)));
        factory.SetTime(late.AddHours(10)); // 08:00 next day
        await ProcessAsync(client, campaignId);
        Assert.Equal(1, Touches(await ConversationAsync(client, nightLead)));
    }

    [Fact]
    public async Task Variants_split_traffic_and_outcomes_are_attributed_to_the_last_touch()
    {
        var tenant = await factory.CreateTenantAsync();
        using var sandbox = tenant.Sandbox();
        await CrmFactory.ConfigureTwilioAsync(sandbox);
        var start = factory.AdvanceToLocal(NewYork, 12);
        using (var gateway = factory.WithApiKey(tenant.TestKey))
        {
            await (await gateway.PostJsonAsync("/api/test/generate-leads", new { count = 400 })).JsonAsync(HttpStatusCode.Created);
        }
        var segment = await (await sandbox.PostJsonAsync("/v1/crm/segments", new
        {
            name = "Generated", rules = new[] { new { field = "tags", @operator = "contains", value = "generated" } },
        })).JsonAsync(HttpStatusCode.Created);
        Assert.Equal(400, segment.GetProperty("count").GetInt64());
        var campaignId = await CampaignAsync(sandbox, [0, 2], status: "draft", segmentId: segment.GetProperty("segmentId").GetString());
        var a = await (await sandbox.PostJsonAsync($"/v1/autopilot/campaigns/{campaignId}/variants",
            new { name = "A", tone = "friendly", content = "Hi {{first_name}}! {{location_name}} would love to see you." })).JsonAsync(HttpStatusCode.Created);
        var b = await (await sandbox.PostJsonAsync($"/v1/autopilot/campaigns/{campaignId}/variants",
            new { name = "B", tone = "urgent", content = "{{first_name}}, only 3 spots left this week at {{location_name}}!" })).JsonAsync(HttpStatusCode.Created);
        Assert.Equal(100, a.GetProperty("trafficPercent").GetInt32()); // alone, until B shares the traffic
        var variants = (await (await sandbox.GetAsync($"/v1/autopilot/campaigns/{campaignId}")).JsonAsync(HttpStatusCode.OK)).GetProperty("variants");
        Assert.Equal([50, 50], variants.EnumerateArray().Select(v => v.GetProperty("trafficPercent").GetInt32()).ToArray());
        await (await sandbox.PatchJsonAsync($"/v1/autopilot/campaigns/{campaignId}", new { status = "active" })).JsonAsync(HttpStatusCode.OK);

        var processed = await ProcessAsync(sandbox, campaignId);
        Assert.Equal(400, processed.GetProperty("sent").GetInt32());
        var stats = await (await sandbox.GetAsync($"/v1/autopilot/campaigns/{campaignId}/stats")).JsonAsync(HttpStatusCode.OK);
        var perVariant = stats.GetProperty("variants").EnumerateArray().ToDictionary(v => v.GetProperty("variantId").GetString()!, v => v);
        var sentA = perVariant[a.GetProperty("variantId").GetString()!].GetProperty("sent").GetInt64();
        var sentB = perVariant[b.GetProperty("variantId").GetString()!].GetProperty("sent").GetInt64();
        Assert.Equal(400, sentA + sentB);
        Assert.InRange(sentA, 160, 240); // 50 % ± 10 points

        // A sale by one lead: attributed to its campaign and variant, ends its sequence, converts the lead.
        var leads = await (await sandbox.GetAsync("/v1/crm/leads?tag=generated&pageSize=1")).JsonAsync(HttpStatusCode.OK);
        var leadId = leads.GetProperty("data")[0].GetProperty("leadId").GetString()!;
        var outcome = await (await sandbox.PostJsonAsync("/v1/billing/outcomes", new { type = "sale", value = 120.50m, agentId = "agt_1", customerId = leadId, idempotencyKey = "sale-1" }))
            .JsonAsync(HttpStatusCode.Created);
        Assert.Equal(campaignId, outcome.GetProperty("campaignId").GetString());
        Assert.False(string.IsNullOrEmpty(outcome.GetProperty("variantId").GetString()));
        var replay = await (await sandbox.PostJsonAsync("/v1/billing/outcomes", new { type = "sale", value = 120.50m, agentId = "agt_1", customerId = leadId, idempotencyKey = "sale-1" }))
            .JsonAsync(HttpStatusCode.Created);
        Assert.Equal(outcome.GetProperty("outcomeId").GetString(), replay.GetProperty("outcomeId").GetString());
        var lead = await (await sandbox.GetAsync($"/v1/crm/leads/{leadId}")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal("converted", lead.GetProperty("status").GetString());
        stats = await (await sandbox.GetAsync($"/v1/autopilot/campaigns/{campaignId}/stats")).JsonAsync(HttpStatusCode.OK);
        var winner = stats.GetProperty("variants").EnumerateArray().Single(v => v.GetProperty("variantId").GetString() == outcome.GetProperty("variantId").GetString());
        Assert.Equal(1, winner.GetProperty("converted").GetInt64());
        Assert.Equal(120.50m, winner.GetProperty("revenue").GetDecimal());

        factory.SetTime(start.AddDays(2).AddMinutes(1));
        var second = await ProcessAsync(sandbox, campaignId);
        Assert.Equal(399, second.GetProperty("sent").GetInt32()); // the converted lead left the sequence
        await (await sandbox.PostJsonAsync("/v1/billing/outcomes", new { type = "refund", customerId = leadId })).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
    }

    [Fact]
    public async Task Campaign_input_is_validated_and_other_tenants_get_404()
    {
        var (_, client, _) = await TenantAsync();
        var error = await (await client.PostJsonAsync("/v1/autopilot/campaigns", new { name = "X", goal = "fame", cadenceDays = new[] { 3, 1 }, touchpoints = 11 }))
            .ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        var fields = error.GetProperty("details").EnumerateArray().Select(d => d.GetProperty("field").GetString()).ToList();
        Assert.Contains("goal", fields);
        Assert.Contains("cadenceDays", fields);
        Assert.Contains("touchpoints", fields);
        await (await client.PostJsonAsync("/v1/autopilot/campaigns", new { goal = "sale" })).ErrorAsync(HttpStatusCode.BadRequest, "MISSING_FIELD");

        var campaignId = await CampaignAsync(client, [0, 1, 3, 7]);
        await (await client.PostJsonAsync($"/v1/autopilot/campaigns/{campaignId}/variants", new { name = "V", tone = "angry", content = "x" }))
            .ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await client.PostJsonAsync($"/v1/autopilot/campaigns/{campaignId}/leads", new { name = "No phone" }))
            .ErrorAsync(HttpStatusCode.BadRequest, "MISSING_FIELD");
        await (await client.PostJsonAsync($"/v1/autopilot/campaigns/{campaignId}/process", new { asOf = DateTimeOffset.UtcNow }))
            .ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");

        var other = await factory.CreateTenantAsync();
        using var otherClient = other.Live();
        await (await otherClient.GetAsync($"/v1/autopilot/campaigns/{campaignId}")).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        await (await otherClient.PostJsonAsync($"/v1/autopilot/campaigns/{campaignId}/leads", new { name = "Eve", phone = Phone() }))
            .ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        await (await client.GetAsync("/v1/autopilot/campaigns/cmp_nope")).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        using var mismatched = factory.ClientFor(other.LiveKey, (await factory.CreateTenantAsync()).TenantId);
        await (await mismatched.GetAsync($"/v1/autopilot/campaigns/{campaignId}")).ErrorAsync(HttpStatusCode.Forbidden, "TENANT_MISMATCH");
    }
}
