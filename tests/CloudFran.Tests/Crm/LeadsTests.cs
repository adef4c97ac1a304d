using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using CloudFran.Tests.Infrastructure;
using Xunit;

namespace CloudFran.Tests.Crm;

/// <summary>/v1/crm: leads CRUD, filters, search, paging, status events, segments, CSV import, isolation.</summary>
[Collection(CrmCollection.Name)]
public sealed class LeadsTests(CrmFactory factory)
{
    private static async Task<JsonElement> CreateAsync(HttpClient client, object body) =>
        await (await client.PostJsonAsync("/v1/crm/leads", body)).JsonAsync(HttpStatusCode.Created);

    [Fact]
    public async Task Leads_crud_filters_search_paging_and_status_events()
    {
        var tenant = await factory.CreateTenantAsync();
        using var client = tenant.Live();
        var maria = await CreateAsync(client, new
        {
            name = "Maria Lopez", phone = "+16465550111", email = "maria@lopez.example", company = "Lopez Bakery", source = "walk-in",
            tags = new[] { "vip", "spring" }, notes = "Asked about catering", owner = "sam",
        });
        var leadId = maria.GetProperty("leadId").GetString()!;
        Assert.StartsWith("lead_", leadId);
        Assert.Equal("walk_in", maria.GetProperty("source").GetString());
        Assert.Equal("new", maria.GetProperty("status").GetString());
        for (var i = 0; i < 5; i++)
        {
            await CreateAsync(client, new { name = $"Lead {i}", email = $"lead{i}@example.com", source = i % 2 == 0 ? "social" : "referral", tags = new[] { "spring" } });
        }

        var page = await (await client.GetAsync("/v1/crm/leads?tag=spring&pageSize=2&page=2")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(6, page.GetProperty("total").GetInt64());
        Assert.Equal(2, page.GetProperty("data").GetArrayLength());
        var social = await (await client.GetAsync("/v1/crm/leads?source=social")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(3, social.GetProperty("total").GetInt64());
        var search = await (await client.GetAsync("/v1/crm/leads?q=bakery")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(leadId, search.GetProperty("data")[0].GetProperty("leadId").GetString());
        var byPhone = await (await client.GetAsync("/v1/crm/leads?q=%2B1646555")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(1, byPhone.GetProperty("total").GetInt64());

        var qualified = await (await client.PatchJsonAsync($"/v1/crm/leads/{leadId}", new { status = "qualified", tags = new[] { "vip" } })).JsonAsync(HttpStatusCode.OK);
        Assert.Equal("qualified", qualified.GetProperty("status").GetString());
        Assert.Equal(["vip"], qualified.GetProperty("tags").EnumerateArray().Select(t => t.GetString()!).ToArray());
        Assert.Equal("Lopez Bakery", qualified.GetProperty("company").GetString());
        await (await client.PatchJsonAsync($"/v1/crm/leads/{leadId}", new { status = "converted" })).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(2, await factory.CountAsync(
            "SELECT count(*) FROM outbox_events WHERE tenant_id = @t AND event_type = 'lead.status_updated' AND payload->>'lead_id' = @id", ("t", tenant.TenantId), ("id", leadId)));
        Assert.Equal(1, await factory.CountAsync(
            "SELECT count(*) FROM outbox_events WHERE tenant_id = @t AND event_type = 'lead.qualified' AND payload->>'lead_id' = @id", ("t", tenant.TenantId), ("id", leadId)));
        Assert.Equal(1, await factory.CountAsync(
            "SELECT count(*) FROM outbox_events WHERE tenant_id = @t AND event_type = 'lead.converted' AND payload->>'lead_id' = @id", ("t", tenant.TenantId), ("id", leadId)));
        var converted = await (await client.GetAsync("/v1/crm/leads?status=converted")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(1, converted.GetProperty("total").GetInt64());

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/v1/crm/leads/{leadId}")).StatusCode);
        await (await client.GetAsync($"/v1/crm/leads/{leadId}")).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        await (await client.DeleteAsync($"/v1/crm/leads/{leadId}")).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
    }

    [Fact]
    public async Task Bad_input_is_refused_with_field_errors()
    {
        var tenant = await factory.CreateTenantAsync();
        using var client = tenant.Live();
        await (await client.PostJsonAsync("/v1/crm/leads", new { email = "x@example.com" })).ErrorAsync(HttpStatusCode.BadRequest, "MISSING_FIELD");
        var error = await (await client.PostJsonAsync("/v1/crm/leads", new { name = "X", phone = "12ab", email = "nope", status = "hot", source = "tv" }))
            .ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        var fields = error.GetProperty("details").EnumerateArray().Select(d => d.GetProperty("field").GetString()).ToHashSet();
        Assert.Superset(new HashSet<string?> { "phone", "email", "status", "source" }, fields);
        await (await client.PostJsonAsync("/v1/crm/leads", new { name = "Only name" })).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await client.PostJsonAsync("/v1/crm/leads", new { name = "X", email = "x@example.com", color = "red" })).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await client.GetAsync("/v1/crm/leads?status=hot")).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await client.GetAsync("/v1/crm/leads?pageSize=1000")).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await client.GetAsync("/v1/crm/leads/not-a-lead")).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        await (await client.PatchJsonAsync("/v1/crm/leads/lead_abcdefgh1234", new { status = "won" })).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await client.PatchJsonAsync("/v1/crm/leads/lead_abcdefgh1234", new { status = "lost" })).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        await (await client.PostJsonAsync("/v1/crm/segments", new { name = "S", rules = new[] { new { field = "salary", @operator = "gt", value = "1" } } }))
            .ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await client.PostJsonAsync("/v1/crm/segments", new { name = "S", rules = new[] { new { field = "createdAt", @operator = "older_than_days", value = "x" } } }))
            .ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await client.PostJsonAsync("/v1/crm/segments", new { name = "S", rules = Array.Empty<object>() })).ErrorAsync(HttpStatusCode.BadRequest, "MISSING_FIELD");
    }

    [Fact]
    public async Task Other_tenants_get_404_and_a_mismatched_tenant_header_403()
    {
        var a = await factory.CreateTenantAsync();
        var b = await factory.CreateTenantAsync();
        using var clientA = a.Live();
        using var clientB = b.Live();
        var leadId = (await CreateAsync(clientA, new { name = "Private", email = "p@example.com" })).GetProperty("leadId").GetString()!;
        await (await clientB.GetAsync($"/v1/crm/leads/{leadId}")).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        await (await clientB.PatchJsonAsync($"/v1/crm/leads/{leadId}", new { status = "lost" })).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        await (await clientB.DeleteAsync($"/v1/crm/leads/{leadId}")).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        await (await clientB.GetAsync($"/v1/autopilot/leads/{leadId}/conversation")).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        Assert.Equal(0, (await (await clientB.GetAsync("/v1/crm/leads")).JsonAsync(HttpStatusCode.OK)).GetProperty("total").GetInt64());
        using var mismatched = factory.ClientFor(a.LiveKey, b.TenantId);
        await (await mismatched.GetAsync($"/v1/crm/leads/{leadId}")).ErrorAsync(HttpStatusCode.Forbidden, "TENANT_MISMATCH");
        // Sandbox keys see the sandbox partition only.
        using var sandbox = a.Sandbox();
        await (await sandbox.GetAsync($"/v1/crm/leads/{leadId}")).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        var viewer = await a.CreateKeyAsync("viewer");
        using var viewerClient = factory.ClientFor(viewer, a.TenantId);
        await (await viewerClient.PostJsonAsync("/v1/crm/leads", new { name = "V", email = "v@example.com" })).ErrorAsync(HttpStatusCode.Forbidden, "INSUFFICIENT_ROLE");
    }

    [Fact]
    public async Task New_leads_are_auto_nurtured_in_the_default_campaign_unless_turned_off()
    {
        var tenant = await factory.CreateTenantAsync();
        using var client = tenant.Live();
        var noCampaign = await CreateAsync(client, new { name = "Early", phone = "+16465550120" });
        Assert.Equal(JsonValueKind.Null, noCampaign.GetProperty("enrolledCampaignId").ValueKind);
        var campaign = await (await client.PostJsonAsync("/v1/autopilot/campaigns", new { name = "Welcome", goal = "booking", cadenceDays = new[] { 0, 2 }, isDefault = true }))
            .JsonAsync(HttpStatusCode.Created);
        var campaignId = campaign.GetProperty("campaignId").GetString();
        await (await client.PostJsonAsync("/v1/autopilot/campaigns", new { name = "Second default", goal = "sale", isDefault = true }))
            .ErrorAsync(HttpStatusCode.Conflict, "CONFLICT");
        var nurtured = await CreateAsync(client, new { name = "Nurtured", phone = "+16465550121" });
        Assert.Equal(campaignId, nurtured.GetProperty("enrolledCampaignId").GetString());
        var optedOut = await CreateAsync(client, new { name = "Manual", phone = "+16465550122", autoNurture = false });
        Assert.Equal(JsonValueKind.Null, optedOut.GetProperty("enrolledCampaignId").ValueKind);
        var view = await (await client.GetAsync($"/v1/autopilot/campaigns/{campaignId}")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(1, view.GetProperty("enrollments").GetProperty("active").GetInt64());
    }

    [Fact]
    public async Task Sentiment_agent_and_reply_suggestions()
    {
        var tenant = await factory.CreateTenantAsync();
        using var client = tenant.Live();
        var review = await (await client.PostJsonAsync("/v1/crm/sentiment", new { text = "The staff were rude and the wait was terrible.", source = "review" }))
            .JsonAsync(HttpStatusCode.OK);
        Assert.Equal("negative", review.GetProperty("sentiment").GetString());
        Assert.True(review.GetProperty("score").GetDouble() < 0);
        await (await client.PostJsonAsync("/v1/crm/sentiment", new { text = "x", source = "fax" })).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await client.PostJsonAsync("/v1/crm/sentiment", new { text = new string('a', 10_001) })).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        var reply = await (await client.PostJsonAsync("/v1/crm/reply-suggestions", new { message = "Do you have any openings on Saturday?" })).JsonAsync(HttpStatusCode.OK);
        Assert.Equal("booking", reply.GetProperty("intent").GetString());
        Assert.NotEmpty(reply.GetProperty("suggestions").EnumerateArray());
        await (await client.PostJsonAsync("/v1/crm/reply-suggestions", new { })).ErrorAsync(HttpStatusCode.BadRequest, "MISSING_FIELD");
    }

    [Fact]
    public async Task Smart_segments_are_evaluated_in_sql_with_and_or()
    {
        var tenant = await factory.CreateTenantAsync();
        using var client = tenant.Live();
        await CreateAsync(client, new { name = "A", email = "a@example.com", source = "website", status = "new", tags = new[] { "vip" } });
        await CreateAsync(client, new { name = "B", email = "b@example.com", source = "website", status = "contacted" });
        await CreateAsync(client, new { name = "C", email = "c@example.com", source = "social", status = "new", tags = new[] { "vip" } });
        await CreateAsync(client, new { name = "D", email = "d@other.example", source = "referral", status = "lost" });

        var and = await (await client.PostJsonAsync("/v1/crm/segments", new
        {
            name = "New VIPs", combineWith = "AND",
            rules = new[] { new { field = "tags", @operator = "contains", value = "vip" }, new { field = "status", @operator = "equals", value = "new" } },
        })).JsonAsync(HttpStatusCode.Created);
        Assert.Equal(2, and.GetProperty("count").GetInt64());
        var or = await (await client.PostJsonAsync("/v1/crm/segments", new
        {
            name = "Referral or lost", combineWith = "OR",
            rules = new[] { new { field = "source", @operator = "in", value = "referral,social" }, new { field = "email", @operator = "contains", value = "other" } },
        })).JsonAsync(HttpStatusCode.Created);
        Assert.Equal(2, or.GetProperty("count").GetInt64());
        var recent = await (await client.PostJsonAsync("/v1/crm/segments", new
        {
            name = "Recent", rules = new[] { new { field = "createdAt", @operator = "newer_than_days", value = "7" }, new { field = "status", @operator = "not_in", value = "lost,converted" } },
        })).JsonAsync(HttpStatusCode.Created);
        Assert.Equal(3, recent.GetProperty("count").GetInt64());

        var preview = await (await client.GetAsync($"/v1/crm/segments/{and.GetProperty("segmentId").GetString()}/preview?limit=1")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(2, preview.GetProperty("count").GetInt64());
        Assert.Equal(1, preview.GetProperty("sample").GetArrayLength());
        var list = await (await client.GetAsync("/v1/crm/segments")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(3, list.GetArrayLength());
        var other = await factory.CreateTenantAsync();
        using var otherClient = other.Live();
        await (await otherClient.GetAsync($"/v1/crm/segments/{and.GetProperty("segmentId").GetString()}")).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
    }

    [Fact]
    public async Task Csv_import_maps_columns_handles_duplicates_and_reports_per_row()
    {
        var tenant = await factory.CreateTenantAsync();
        using var client = tenant.Live();
        await CreateAsync(client, new { name = "Existing", email = "dup@example.com", tags = new[] { "old" } });
        const string csv = "Full Name,Mobile,E-mail,Org,Labels\n" +
                           "Ann Smith,+16465550131,ann@example.com,\"Smith, Inc.\",gold;east\n" +
                           "Dupe Person,,dup@example.com,,\n" +
                           ",+16465550133,nobody@example.com,,\n" +
                           "Bad Email,,not-an-email,,\n";

        async Task<JsonElement> ImportAsync(string strategy)
        {
            using var form = new MultipartFormDataContent();
            var file = new ByteArrayContent(Encoding.UTF8.GetBytes(csv));
            file.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
            form.Add(file, "file", "contacts.csv");
            form.Add(new StringContent("""{"name":"Full Name","phone":"Mobile","email":"E-mail","company":"Org","tags":"Labels"}"""), "mapping");
            form.Add(new StringContent(strategy), "duplicateStrategy");
            form.Add(new StringContent("imported, spring"), "defaultTags");
            return await (await client.PostAsync("/v1/crm/import", form)).JsonAsync(HttpStatusCode.OK);
        }

        var report = await ImportAsync("skip");
        Assert.Equal(4, report.GetProperty("totalRows").GetInt32());
        Assert.Equal(1, report.GetProperty("created").GetInt32());
        Assert.Equal(1, report.GetProperty("skipped").GetInt32());
        Assert.Equal(2, report.GetProperty("failed").GetInt32());
        var rows = report.GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal(["created", "skipped", "error", "error"], rows.Select(r => r.GetProperty("status").GetString()!).ToArray());
        Assert.Contains(rows[2].GetProperty("errors").EnumerateArray(), e => e.GetString()!.StartsWith("name"));
        var ann = await (await client.GetAsync($"/v1/crm/leads/{rows[0].GetProperty("leadId").GetString()}")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal("Smith, Inc.", ann.GetProperty("company").GetString());
        Assert.Equal(["gold", "east", "imported", "spring"], ann.GetProperty("tags").EnumerateArray().Select(t => t.GetString()!).ToArray());

        var update = await ImportAsync("update");
        Assert.Equal(2, update.GetProperty("updated").GetInt32()); // Ann (by phone/email) and the existing duplicate
        var dup = await (await client.GetAsync("/v1/crm/leads?q=dup%40example.com")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(1, dup.GetProperty("total").GetInt64());
        Assert.Equal("Dupe Person", dup.GetProperty("data")[0].GetProperty("name").GetString());
        Assert.Contains("old", dup.GetProperty("data")[0].GetProperty("tags").EnumerateArray().Select(t => t.GetString()));

        var createNew = await ImportAsync("create_new");
        Assert.Equal(2, createNew.GetProperty("created").GetInt32());
        var all = await (await client.GetAsync("/v1/crm/leads?tag=imported")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(4, all.GetProperty("total").GetInt64());

        using var bad = new MultipartFormDataContent { { new StringContent("x"), "duplicateStrategy" } };
        await (await client.PostAsync("/v1/crm/import", bad)).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await client.PostJsonAsync("/v1/crm/import", new { })).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
    }
}
