using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using CloudFran.Tests.Infrastructure;
using Xunit;

namespace CloudFran.Tests.Crm;

/// <summary>The /api lead gateway: its shapes, error format, X-API-Key and RS256 JWT auth, per-endpoint limits.</summary>
[Collection(CrmCollection.Name)]
public sealed class LeadGatewayTests(CrmFactory factory)
{
    private static async Task<JsonElement> GatewayErrorAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"Expected {(int)status} {code}, got {(int)response.StatusCode}: {body}");
        var error = JsonDocument.Parse(body).RootElement.GetProperty("error");
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
        Assert.Equal(JsonValueKind.Array, error.GetProperty("details").ValueKind);
        Assert.True(error.TryGetProperty("timestamp", out _));
        Assert.StartsWith("req_", error.GetProperty("request_id").GetString());
        return error.Clone();
    }

    [Fact]
    public async Task Post_lead_with_an_api_key_answers_the_gateway_shape_and_emits_lead_created()
    {
        var tenant = await factory.CreateTenantAsync();
        using var client = factory.WithApiKey(tenant.LiveKey);
        var response = await client.PostJsonAsync("/api/leads", new
        {
            name = "John Doe", email = "john@example.com", phone = "+1234567890", company = "Acme Corp", source = "website",
            notes = "Interested in enterprise plan",
        });
        var created = await response.JsonAsync(HttpStatusCode.Created);
        var id = created.GetProperty("id").GetString()!;
        Assert.Matches(new Regex("^lead_[a-zA-Z0-9]+$"), id);
        Assert.Equal("new", created.GetProperty("status").GetString());
        Assert.Equal("Lead created successfully", created.GetProperty("message").GetString());
        Assert.True(created.GetProperty("created_at").TryGetDateTimeOffset(out _));
        Assert.Equal("100", response.Headers.GetValues("X-RateLimit-Limit").Single());

        var lead = await (await client.GetAsync($"/api/leads/{id}")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal("Acme Corp", lead.GetProperty("company").GetString());
        Assert.Equal("+1234567890", lead.GetProperty("phone").GetString());
        Assert.Equal(1, await factory.CountAsync(
            "SELECT count(*) FROM outbox_events WHERE tenant_id = @t AND event_type = 'lead.created' AND payload->>'lead_id' = @id",
            ("t", tenant.TenantId), ("id", id)));

        // The same lead through the CRM surface.
        using var crm = tenant.Live();
        var same = await (await crm.GetAsync($"/v1/crm/leads/{id}")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal("website", same.GetProperty("source").GetString());
    }

    [Fact]
    public async Task Validation_and_auth_errors_use_the_gateway_error_format()
    {
        var tenant = await factory.CreateTenantAsync();
        using var client = factory.WithApiKey(tenant.LiveKey);
        var error = await GatewayErrorAsync(await client.PostJsonAsync("/api/leads", new { name = "X", email = "not-an-email", source = "fax" }),
            HttpStatusCode.UnprocessableEntity, "VALIDATION_ERROR");
        var fields = error.GetProperty("details").EnumerateArray().Select(d => d.GetProperty("field").GetString()).ToList();
        Assert.Contains("email", fields);
        Assert.Contains("source", fields);
        await GatewayErrorAsync(await client.PostJsonAsync("/api/leads", new { name = "No Email" }), HttpStatusCode.UnprocessableEntity, "VALIDATION_ERROR");
        await GatewayErrorAsync(await client.SendRawAsync(HttpMethod.Post, "/api/leads", "{\"name\":"), HttpStatusCode.BadRequest, "INVALID_REQUEST");
        await GatewayErrorAsync(await client.PostJsonAsync("/api/analyze", new { text = new string('a', 10_001) }), HttpStatusCode.UnprocessableEntity, "VALIDATION_ERROR");
        await GatewayErrorAsync(await client.GetAsync("/api/analytics/leads?date_from=2024-02-01&date_to=2024-01-01"), HttpStatusCode.UnprocessableEntity, "VALIDATION_ERROR");
        await GatewayErrorAsync(await client.GetAsync("/api/analytics/leads?date_from=yesterday"), HttpStatusCode.UnprocessableEntity, "VALIDATION_ERROR");
        await GatewayErrorAsync(await client.GetAsync("/api/analytics/sentiment"), HttpStatusCode.UnprocessableEntity, "VALIDATION_ERROR");

        using var anonymous = factory.CreateClient();
        await GatewayErrorAsync(await anonymous.GetAsync("/api/analytics/leads"), HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        using var badKey = factory.WithApiKey("sk_live_" + new string('x', 40));
        await GatewayErrorAsync(await badKey.GetAsync("/api/analytics/leads"), HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        using var garbage = factory.Bearer("not.a.jwt");
        await GatewayErrorAsync(await garbage.GetAsync("/api/analytics/leads"), HttpStatusCode.Unauthorized, "UNAUTHORIZED");
    }

    [Fact]
    public async Task Jwt_rs256_tokens_are_checked_for_signature_audience_issuer_expiry_scope_and_role()
    {
        var tenant = await factory.CreateTenantAsync();
        using var ok = factory.Bearer(factory.Token(tenant.TenantId, role: "agent"));
        var created = await (await ok.PostJsonAsync("/api/leads", new { name = "Jane Roe", email = "jane@example.com", source = "social" }))
            .JsonAsync(HttpStatusCode.Created);
        Assert.StartsWith("lead_", created.GetProperty("id").GetString());

        using var analyst = factory.Bearer(factory.Token(tenant.TenantId, role: "analyst", scope: ["read:leads", "write:analytics"]));
        var analytics = await (await analyst.GetAsync("/api/analytics/leads")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(1, analytics.GetProperty("total_leads").GetInt64());
        await GatewayErrorAsync(await analyst.PostJsonAsync("/api/leads", new { name = "Nope", email = "n@example.com" }), HttpStatusCode.Forbidden, "FORBIDDEN");

        using var noScope = factory.Bearer(factory.Token(tenant.TenantId, role: "admin", scope: ["read:leads"]));
        await GatewayErrorAsync(await noScope.PostJsonAsync("/api/leads", new { name = "Nope", email = "n@example.com" }), HttpStatusCode.Forbidden, "FORBIDDEN");

        var now = factory.Clock.GetUtcNow();
        using var otherKey = RSA.Create(2048);
        foreach (var (token, why) in new[]
                 {
                     (factory.Token(tenant.TenantId, audience: "someone-else"), "wrong audience"),
                     (factory.Token(tenant.TenantId, issuer: "evil.example"), "wrong issuer"),
                     (factory.Token(tenant.TenantId, expires: now.AddMinutes(-5)), "expired"),
                     (factory.Token(tenant.TenantId, key: otherKey), "bad signature"),
                     (factory.Token(tenant.TenantId, alg: "HS256"), "wrong algorithm"),
                     (factory.Token("tn_doesnotexist0000"), "unknown tenant"),
                 })
        {
            using var client = factory.Bearer(token);
            var response = await client.GetAsync("/api/analytics/leads");
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, why);
            await GatewayErrorAsync(response, HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        }

        // A token's tenant is its tenant: another tenant's header is refused, another tenant's lead is not found.
        var other = await factory.CreateTenantAsync();
        ok.DefaultRequestHeaders.Add("X-Tenant-Id", other.TenantId);
        await GatewayErrorAsync(await ok.GetAsync("/api/analytics/leads"), HttpStatusCode.Forbidden, "FORBIDDEN");
        using var otherClient = factory.Bearer(factory.Token(other.TenantId));
        await GatewayErrorAsync(await otherClient.GetAsync($"/api/leads/{created.GetProperty("id").GetString()}"), HttpStatusCode.NotFound, "NOT_FOUND");
        await GatewayErrorAsync(await otherClient.GetAsync($"/api/analytics/sentiment?lead_id={created.GetProperty("id").GetString()}"), HttpStatusCode.NotFound, "NOT_FOUND");
    }

    [Fact]
    public async Task Lead_analytics_are_aggregated_by_source_status_and_day()
    {
        var tenant = await factory.CreateTenantAsync();
        using var crm = tenant.Live();
        var day1 = factory.AdvanceToLocal("UTC", 10);
        foreach (var (source, status) in new[] { ("website", "new"), ("website", "converted"), ("social", "contacted") })
        {
            await (await crm.PostJsonAsync("/v1/crm/leads", new { name = "L", email = "l@example.com", source, status })).JsonAsync(HttpStatusCode.Created);
        }
        factory.SetTime(day1.AddDays(1));
        foreach (var (source, status) in new[] { ("web", "qualified"), ("referral", "converted"), ("walk-in", "lost") })
        {
            await (await crm.PostJsonAsync("/v1/crm/leads", new { name = "L", phone = "+16465550101", source, status })).JsonAsync(HttpStatusCode.Created);
        }
        using var client = factory.WithApiKey(tenant.LiveKey);
        var all = await (await client.GetAsync("/api/analytics/leads")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(6, all.GetProperty("total_leads").GetInt64());
        Assert.Equal(0.3333, all.GetProperty("conversion_rate").GetDouble(), 4);
        Assert.Equal(3, all.GetProperty("leads_by_source").GetProperty("website").GetInt64());
        Assert.Equal(1, all.GetProperty("leads_by_source").GetProperty("walk_in").GetInt64());
        Assert.Equal(2, all.GetProperty("leads_by_status").GetProperty("converted").GetInt64());
        Assert.Equal(1, all.GetProperty("leads_by_status").GetProperty("lost").GetInt64());
        var daily = all.GetProperty("trends").GetProperty("daily").EnumerateArray().Select(d => (d.GetProperty("date").GetString(), d.GetProperty("count").GetInt64())).ToList();
        Assert.Equal([(day1.ToString("yyyy-MM-dd"), 3L), (day1.AddDays(1).ToString("yyyy-MM-dd"), 3L)], daily);

        var firstDay = await (await client.GetAsync($"/api/analytics/leads?date_from={day1:yyyy-MM-dd}&date_to={day1:yyyy-MM-dd}")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(3, firstDay.GetProperty("total_leads").GetInt64());
        Assert.Equal(0.3333, firstDay.GetProperty("conversion_rate").GetDouble(), 4);
        var none = await (await client.GetAsync("/api/analytics/leads?date_from=2001-01-01&date_to=2001-01-31")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(0, none.GetProperty("total_leads").GetInt64());
        Assert.Equal(0, none.GetProperty("conversion_rate").GetDouble());

        // The rollup follows status changes and deletions in the same transaction.
        var leads = await (await crm.GetAsync("/v1/crm/leads?source=social")).JsonAsync(HttpStatusCode.OK);
        var socialId = leads.GetProperty("data")[0].GetProperty("leadId").GetString();
        await (await crm.PatchJsonAsync($"/v1/crm/leads/{socialId}", new { status = "converted" })).JsonAsync(HttpStatusCode.OK);
        var lost = await (await crm.GetAsync("/v1/crm/leads?status=lost")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(HttpStatusCode.NoContent, (await crm.DeleteAsync($"/v1/crm/leads/{lost.GetProperty("data")[0].GetProperty("leadId").GetString()}")).StatusCode);
        var after = await (await client.GetAsync("/api/analytics/leads")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(5, after.GetProperty("total_leads").GetInt64());
        Assert.Equal(0.6, after.GetProperty("conversion_rate").GetDouble(), 4);
        Assert.Equal(0, after.GetProperty("leads_by_status").GetProperty("lost").GetInt64());
        Assert.False(after.GetProperty("leads_by_source").TryGetProperty("walk_in", out _));

        var mock = await (await client.GetAsync("/api/test/mock-analytics")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(1000, mock.GetProperty("total_leads").GetInt32());
        Assert.Equal(600, mock.GetProperty("leads_by_source").GetProperty("website").GetInt32());
    }

    [Fact]
    public async Task Per_endpoint_rate_limits_are_separate_and_reset_each_minute()
    {
        var tenant = await factory.CreateTenantAsync();
        factory.AdvanceToLocal("UTC", 11);
        using var client = factory.WithApiKey(tenant.LiveKey);
        for (var i = 0; i < 20; i++)
        {
            var r = await client.PostJsonAsync("/api/analyze", new { text = "Great service!", analysis_type = "sentiment" });
            await r.JsonAsync(HttpStatusCode.OK);
        }
        var limited = await client.PostJsonAsync("/api/analyze", new { text = "Great service!" });
        await GatewayErrorAsync(limited, HttpStatusCode.TooManyRequests, "RATE_LIMIT_EXCEEDED");
        Assert.True(int.Parse(limited.Headers.GetValues("Retry-After").Single()) >= 1);
        Assert.Equal("20", limited.Headers.GetValues("X-RateLimit-Limit").Single());
        // The classify endpoint shares the analysis budget; analytics has its own 50/min.
        await GatewayErrorAsync(await client.PostJsonAsync("/api/classify-lead", new { text_content = "hi" }), HttpStatusCode.TooManyRequests, "RATE_LIMIT_EXCEEDED");
        var analytics = await client.GetAsync("/api/analytics/leads");
        await analytics.JsonAsync(HttpStatusCode.OK);
        Assert.Equal("50", analytics.Headers.GetValues("X-RateLimit-Limit").Single());

        factory.SetTime(factory.Clock.GetUtcNow().AddMinutes(1));
        await (await client.PostJsonAsync("/api/analyze", new { text = "Back again" })).JsonAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Text_analysis_classification_sentiment_and_sandbox_generation()
    {
        var tenant = await factory.CreateTenantAsync();
        using var client = factory.WithApiKey(tenant.LiveKey);
        var analysis = await (await client.PostJsonAsync("/api/analyze", new
        {
            text = "I love your product! The pricing is great and support is excellent.", analysis_type = "sentiment",
        })).JsonAsync(HttpStatusCode.OK);
        Assert.Equal("positive", analysis.GetProperty("sentiment").GetString());
        Assert.InRange(analysis.GetProperty("confidence").GetDouble(), 0.7, 1.0);
        var entities = analysis.GetProperty("entities").EnumerateArray().ToDictionary(e => e.GetProperty("text").GetString()!, e => e.GetProperty("type").GetString());
        Assert.Equal("product", entities["product"]);
        Assert.Equal("feature", entities["pricing"]);
        Assert.Equal("service", entities["support"]);
        Assert.Equal("Highly positive feedback about product, pricing, and support", analysis.GetProperty("summary").GetString());

        var lead = await (await client.PostJsonAsync("/api/leads", new { name = "Big Co", email = "cto@big.example", notes = "Your support was terrible and the app keeps crashing." }))
            .JsonAsync(HttpStatusCode.Created);
        var leadId = lead.GetProperty("id").GetString()!;
        var sentiment = await (await client.GetAsync($"/api/analytics/sentiment?lead_id={leadId}")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(leadId, sentiment.GetProperty("lead_id").GetString());
        Assert.Equal("negative", sentiment.GetProperty("sentiment").GetString());
        Assert.Contains("support", sentiment.GetProperty("entities").EnumerateArray().Select(e => e.GetString()));
        Assert.True(sentiment.GetProperty("analysis_date").TryGetDateTimeOffset(out _));
        await GatewayErrorAsync(await client.GetAsync("/api/analytics/sentiment?lead_id=lead_missing0000"), HttpStatusCode.NotFound, "NOT_FOUND");

        var classified = await (await client.PostJsonAsync("/api/classify-lead", new
        {
            lead_id = leadId, text_content = "We're looking for an enterprise solution for 500+ users",
            context = new { company_size = "large", industry = "technology" },
        })).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(leadId, classified.GetProperty("lead_id").GetString());
        Assert.Equal("enterprise", classified.GetProperty("classification").GetString());
        Assert.Equal("high", classified.GetProperty("priority").GetString());
        Assert.Equal("schedule_demo", classified.GetProperty("recommended_action").GetString());
        Assert.Contains("large_company", classified.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));

        // Test data generation: sandbox keys only, into the sandbox partition.
        await GatewayErrorAsync(await client.PostJsonAsync("/api/test/generate-leads", new { count = 10, source = "website" }), HttpStatusCode.Forbidden, "FORBIDDEN");
        using var sandbox = factory.WithApiKey(tenant.TestKey);
        var generated = await (await sandbox.PostJsonAsync("/api/test/generate-leads", new { count = 10, source = "website" })).JsonAsync(HttpStatusCode.Created);
        Assert.Equal(10, generated.GetProperty("generated").GetInt32());
        await GatewayErrorAsync(await sandbox.PostJsonAsync("/api/test/generate-leads", new { count = 0 }), HttpStatusCode.UnprocessableEntity, "VALIDATION_ERROR");
        var sandboxStats = await (await sandbox.GetAsync("/api/analytics/leads")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(10, sandboxStats.GetProperty("total_leads").GetInt64());
        Assert.Equal(10, sandboxStats.GetProperty("leads_by_source").GetProperty("website").GetInt64());
        var liveStats = await (await client.GetAsync("/api/analytics/leads")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(1, liveStats.GetProperty("total_leads").GetInt64());
    }

    [Fact]
    public async Task Generating_many_leads_brings_the_planner_statistics_up_to_date()
    {
        // A plan made on statistics that still describe the table as empty scans it once per joined row; the bulk
        // write analyzes the table itself instead of leaving it to autovacuum's next visit.
        var tenant = await factory.CreateTenantAsync();
        using var sandbox = factory.WithApiKey(tenant.TestKey);
        var before = await factory.CountAsync("SELECT count(*) FROM crm_leads");
        var generated = await (await sandbox.PostJsonAsync("/api/test/generate-leads", new { count = 3000 })).JsonAsync(HttpStatusCode.Created);
        Assert.Equal(3000, generated.GetProperty("generated").GetInt32());
        var believed = await factory.CountAsync("SELECT reltuples::bigint FROM pg_class WHERE oid = 'crm_leads'::regclass");
        Assert.True(believed >= before + 3000, $"The planner believes crm_leads has {believed} rows; it has at least {before + 3000}.");
    }
}
