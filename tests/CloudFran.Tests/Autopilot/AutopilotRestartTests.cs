using System.Net;
using CloudFran.Tests.Crm;
using CloudFran.Tests.Infrastructure;
using Xunit;

namespace CloudFran.Tests.Autopilot;

/// <summary>A new process on the same database resumes a campaign mid-cadence without sending any touch twice.</summary>
public sealed class AutopilotRestartTests
{
    [Fact]
    public async Task Restart_mid_campaign_resumes_without_duplicates()
    {
        string connectionString, tenantId, key, campaignId, leadId, enrollmentId;
        DateTimeOffset start;
        var phone = "+1415555" + Random.Shared.Next(0, 10_000).ToString("D4");
        await using (var first = new CrmFactory())
        {
            connectionString = first.ConnectionString;
            var tenant = await first.CreateTenantAsync();
            (tenantId, key) = (tenant.TenantId, tenant.LiveKey);
            using var client = tenant.Live();
            await CrmFactory.ConfigureTwilioAsync(client);
            var campaign = await (await client.PostJsonAsync("/v1/autopilot/campaigns", new { name = "Durable", goal = "sale", cadenceDays = new[] { 0, 1, 3, 7 } }))
                .JsonAsync(HttpStatusCode.Created);
            campaignId = campaign.GetProperty("campaignId").GetString()!;
            start = first.AdvanceToLocal("America/New_York", 12);
            var enrollment = await (await client.PostJsonAsync($"/v1/autopilot/campaigns/{campaignId}/leads", new { name = "Sam Lee", phone, timezone = "America/New_York" }))
                .JsonAsync(HttpStatusCode.Created);
            leadId = enrollment.GetProperty("leadId").GetString()!;
            enrollmentId = enrollment.GetProperty("enrollmentId").GetString()!;
            await (await client.PostAsync($"/v1/autopilot/campaigns/{campaignId}/process", null)).JsonAsync(HttpStatusCode.OK);
            first.SetTime(start.AddDays(1).AddMinutes(1));
            await (await client.PostAsync($"/v1/autopilot/campaigns/{campaignId}/process", null)).JsonAsync(HttpStatusCode.OK);
            Assert.Equal(2, await first.SettledTwilioCountAsync(phone, 2));
        }

        // A crash after the touch row of step 2 was committed but before its SMS was requested.
        await using var second = CrmFactory.Restarted(connectionString, start.AddDays(3).AddMinutes(1));
        await second.ExecuteAsync(
            """
            INSERT INTO autopilot_touches (tenant_id, env, enrollment_id, step, campaign_id, lead_id, body, status, created_at)
            VALUES (@t, 'live', @enr, 2, @c, @lead, 'Hi Sam, recorded before the crash.', 'pending', now())
            """, ("t", tenantId), ("enr", enrollmentId), ("c", campaignId), ("lead", leadId));
        using var again = second.ClientFor(key, tenantId);
        for (var day = 3; day <= 9; day++)
        {
            second.SetTime(start.AddDays(day).AddMinutes(1));
            await (await again.PostAsync($"/v1/autopilot/campaigns/{campaignId}/process", null)).JsonAsync(HttpStatusCode.OK);
            await (await again.PostAsync($"/v1/autopilot/campaigns/{campaignId}/process", null)).JsonAsync(HttpStatusCode.OK);
        }
        Assert.Equal(2, await second.SettledTwilioCountAsync(phone, 2)); // steps 2 and 3 from this process
        Assert.Equal(4, await second.CountAsync(
            "SELECT count(*) FROM sms_messages WHERE tenant_id = @t AND contact_phone = @p AND direction = 'outbound'", ("t", tenantId), ("p", phone)));
        Assert.Equal(4, await second.CountAsync(
            "SELECT count(*) FROM autopilot_touches WHERE tenant_id = @t AND enrollment_id = @enr AND status = 'sent'", ("t", tenantId), ("enr", enrollmentId)));
        var conversation = await (await again.GetAsync($"/v1/autopilot/leads/{leadId}/conversation")).JsonAsync(HttpStatusCode.OK);
        Assert.Contains(conversation.GetProperty("messages").EnumerateArray(), m => m.GetProperty("body").GetString() == "Hi Sam, recorded before the crash.");
        Assert.Equal("completed", conversation.GetProperty("enrollments")[0].GetProperty("state").GetString());
    }
}
