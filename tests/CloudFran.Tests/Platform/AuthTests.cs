using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using CloudFran.Tests.Infrastructure;
using Xunit;

namespace CloudFran.Tests.Platform;

/// <summary>Keys, tenancy and roles: every auth error code, live/test separation, role gating.</summary>
[Collection(PlatformCollection.Name)]
public sealed class AuthTests(PlatformFactory factory)
{
    private static object NewLocation(string name = "Store") =>
        new { name, address = new { street = "1 Main St", city = "Boston", country = "US" } };

    [Fact]
    public async Task Missing_malformed_and_unknown_keys_answer_401_INVALID_KEY()
    {
        var tenant = await factory.CreateTenantAsync();
        using var none = factory.CreateClient();
        none.DefaultRequestHeaders.Add("X-Tenant-Id", tenant.TenantId);
        await (await none.GetAsync("/v1/locations")).ErrorAsync(HttpStatusCode.Unauthorized, "INVALID_KEY");

        using var malformed = factory.ClientFor("not-a-key", tenant.TenantId);
        await (await malformed.GetAsync("/v1/locations")).ErrorAsync(HttpStatusCode.Unauthorized, "INVALID_KEY");

        using var unknown = factory.ClientFor("sk_live_" + new string('A', 40), tenant.TenantId);
        await (await unknown.GetAsync("/v1/locations")).ErrorAsync(HttpStatusCode.Unauthorized, "INVALID_KEY");
    }

    [Fact]
    public async Task Tenant_header_is_required_and_must_match_the_key()
    {
        var tenant = await factory.CreateTenantAsync();
        var other = await factory.CreateTenantAsync();
        using var noHeader = factory.ClientFor(tenant.LiveKey, null);
        var error = await (await noHeader.GetAsync("/v1/locations")).ErrorAsync(HttpStatusCode.BadRequest, "MISSING_FIELD");
        Assert.Equal("X-Tenant-Id", error.GetProperty("details")[0].GetProperty("field").GetString());

        using var mismatch = factory.ClientFor(tenant.LiveKey, other.TenantId);
        await (await mismatch.GetAsync("/v1/locations")).ErrorAsync(HttpStatusCode.Forbidden, "TENANT_MISMATCH");
        await (await mismatch.PostJsonAsync("/v1/locations", NewLocation())).ErrorAsync(HttpStatusCode.Forbidden, "TENANT_MISMATCH");
    }

    [Fact]
    public async Task Revoked_key_answers_401_EXPIRED_KEY_from_the_next_request()
    {
        var tenant = await factory.CreateTenantAsync();
        using var admin = tenant.Live();
        var created = await (await admin.PostJsonAsync("/v1/tenant/keys", new { type = "live", role = "viewer", name = "temp" }))
            .JsonAsync(HttpStatusCode.Created);
        var secret = created.GetProperty("secret").GetString()!;
        var keyId = created.GetProperty("key").GetProperty("keyId").GetString();
        using var viewer = factory.ClientFor(secret, tenant.TenantId);
        await (await viewer.GetAsync("/v1/locations")).JsonAsync(HttpStatusCode.OK);

        await (await admin.DeleteAsync($"/v1/tenant/keys/{keyId}")).JsonAsync(HttpStatusCode.NoContent);
        await (await viewer.GetAsync("/v1/locations")).ErrorAsync(HttpStatusCode.Unauthorized, "EXPIRED_KEY");

        var keys = await (await admin.GetAsync("/v1/tenant/keys")).JsonAsync(HttpStatusCode.OK);
        var listed = keys.EnumerateArray().Single(k => k.GetProperty("keyId").GetString() == keyId);
        Assert.Equal("revoked", listed.GetProperty("state").GetString());
    }

    [Fact]
    public async Task Secrets_are_shown_once_and_never_listed()
    {
        var tenant = await factory.CreateTenantAsync();
        using var admin = tenant.Live();
        var created = await (await admin.PostJsonAsync("/v1/tenant/keys", new { type = "test", role = "agent", name = "ci" }))
            .JsonAsync(HttpStatusCode.Created);
        var secret = created.GetProperty("secret").GetString()!;
        Assert.StartsWith("sk_test_", secret);
        Assert.True(secret.Length >= "sk_test_".Length + 32, "key must carry at least 192 bits of entropy");
        var listing = await (await admin.GetAsync("/v1/tenant/keys")).Content.ReadAsStringAsync();
        Assert.DoesNotContain(secret, listing);
        Assert.DoesNotContain(tenant.LiveKey, listing);
        Assert.Contains(secret[^4..], listing);
    }

    [Fact]
    public async Task Roles_gate_writes()
    {
        var tenant = await factory.CreateTenantAsync();
        var viewerKey = await tenant.CreateKeyAsync("viewer");
        var agentKey = await tenant.CreateKeyAsync("agent");
        var managerKey = await tenant.CreateKeyAsync("manager");
        using var viewer = factory.ClientFor(viewerKey, tenant.TenantId);
        using var agent = factory.ClientFor(agentKey, tenant.TenantId);
        using var manager = factory.ClientFor(managerKey, tenant.TenantId);

        await (await viewer.GetAsync("/v1/locations")).JsonAsync(HttpStatusCode.OK);
        await (await viewer.PostJsonAsync("/v1/locations", NewLocation())).ErrorAsync(HttpStatusCode.Forbidden, "INSUFFICIENT_ROLE");
        await (await agent.PostJsonAsync("/v1/locations", NewLocation())).ErrorAsync(HttpStatusCode.Forbidden, "INSUFFICIENT_ROLE");
        var location = await (await manager.PostJsonAsync("/v1/locations", NewLocation())).JsonAsync(HttpStatusCode.Created);
        var id = location.GetProperty("locationId").GetString();
        await (await viewer.PatchJsonAsync($"/v1/locations/{id}", new { name = "x" })).ErrorAsync(HttpStatusCode.Forbidden, "INSUFFICIENT_ROLE");
        await (await viewer.DeleteAsync($"/v1/locations/{id}")).ErrorAsync(HttpStatusCode.Forbidden, "INSUFFICIENT_ROLE");

        await (await manager.PostJsonAsync("/v1/tenant/keys", new { type = "live", role = "admin", name = "escalate" }))
            .ErrorAsync(HttpStatusCode.Forbidden, "INSUFFICIENT_ROLE");
        await (await manager.PatchJsonAsync("/v1/tenant/settings", new { businessName = "x" })).ErrorAsync(HttpStatusCode.Forbidden, "INSUFFICIENT_ROLE");
        await (await viewer.GetAsync("/v1/tenant/team")).ErrorAsync(HttpStatusCode.Forbidden, "INSUFFICIENT_ROLE");
        await (await manager.GetAsync("/v1/tenant/team")).JsonAsync(HttpStatusCode.OK);
        await (await viewer.GetAsync("/v1/billing/usage")).ErrorAsync(HttpStatusCode.Forbidden, "INSUFFICIENT_ROLE");
    }

    [Fact]
    public async Task Live_and_test_keys_see_separate_data()
    {
        var tenant = await factory.CreateTenantAsync();
        using var live = tenant.Live();
        using var sandbox = tenant.Sandbox();
        var liveLocation = await (await live.PostJsonAsync("/v1/locations", NewLocation("Live store"))).JsonAsync(HttpStatusCode.Created);
        var testLocation = await (await sandbox.PostJsonAsync("/v1/locations", NewLocation("Test store"))).JsonAsync(HttpStatusCode.Created);
        var liveId = liveLocation.GetProperty("locationId").GetString();
        var testId = testLocation.GetProperty("locationId").GetString();

        await (await sandbox.GetAsync($"/v1/locations/{liveId}")).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        await (await live.GetAsync($"/v1/locations/{testId}")).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        var liveList = await (await live.GetAsync("/v1/locations")).JsonAsync(HttpStatusCode.OK);
        var testList = await (await sandbox.GetAsync("/v1/locations")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal([liveId], liveList.GetProperty("data").EnumerateArray().Select(l => l.GetProperty("locationId").GetString()));
        Assert.Equal([testId], testList.GetProperty("data").EnumerateArray().Select(l => l.GetProperty("locationId").GetString()));

        // Sandbox keys cannot change tenant-level configuration that live traffic depends on.
        await (await sandbox.PostJsonAsync("/v1/tenant/keys", new { type = "live", role = "admin", name = "x" }))
            .ErrorAsync(HttpStatusCode.Forbidden, "INSUFFICIENT_ROLE");
        await (await sandbox.PatchJsonAsync("/v1/tenant/settings", new { businessName = "x" })).ErrorAsync(HttpStatusCode.Forbidden, "INSUFFICIENT_ROLE");
    }

    [Fact]
    public async Task Suspended_tenant_is_refused_until_reactivated()
    {
        var tenant = await factory.CreateTenantAsync();
        using var admin = factory.AdminClient();
        using var client = tenant.Live();
        await (await client.GetAsync("/v1/tenant")).JsonAsync(HttpStatusCode.OK);

        await (await admin.PatchJsonAsync($"/v1/admin/tenants/{tenant.TenantId}", new { status = "suspended" })).JsonAsync(HttpStatusCode.OK);
        await (await client.GetAsync("/v1/tenant")).ErrorAsync(HttpStatusCode.Forbidden, "TENANT_SUSPENDED");

        await (await admin.PatchJsonAsync($"/v1/admin/tenants/{tenant.TenantId}", new { status = "active" })).JsonAsync(HttpStatusCode.OK);
        await (await client.GetAsync("/v1/tenant")).JsonAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Platform_and_tenant_keys_stay_on_their_own_routes()
    {
        var tenant = await factory.CreateTenantAsync();
        using var tenantKeyOnAdmin = tenant.Live();
        await (await tenantKeyOnAdmin.GetAsync("/v1/admin/tenants")).ErrorAsync(HttpStatusCode.Forbidden, "INSUFFICIENT_ROLE");
        await (await tenantKeyOnAdmin.PostJsonAsync("/v1/admin/tenants", new { businessName = "x" }))
            .ErrorAsync(HttpStatusCode.Forbidden, "INSUFFICIENT_ROLE");

        using var adminOnTenant = factory.ClientFor(PlatformFactory.AdminKey, tenant.TenantId);
        await (await adminOnTenant.GetAsync("/v1/locations")).ErrorAsync(HttpStatusCode.Forbidden, "INSUFFICIENT_ROLE");
    }

    [Fact]
    public async Task Tenant_settings_and_team_round_trip()
    {
        var tenant = await factory.CreateTenantAsync();
        using var client = tenant.Live();
        var updated = await (await client.PatchJsonAsync("/v1/tenant/settings",
            new { businessName = "Big Burger", timezone = "Europe/Berlin", notificationEmail = "ops@bigburger.example", brandColor = "#12ab3c" }))
            .JsonAsync(HttpStatusCode.OK);
        Assert.Equal("Big Burger", updated.GetProperty("businessName").GetString());
        Assert.Equal("Europe/Berlin", updated.GetProperty("timezone").GetString());
        Assert.Equal("#12AB3C", updated.GetProperty("brandColor").GetString());

        var invited = await (await client.PostJsonAsync("/v1/tenant/team/invitations",
            new { email = "Manager@BigBurger.example", role = "manager", permissions = new[] { "locations.write" } }))
            .JsonAsync(HttpStatusCode.Created);
        Assert.Equal("invited", invited.GetProperty("status").GetString());
        await (await client.PostJsonAsync("/v1/tenant/team/invitations", new { email = "manager@bigburger.example", role = "agent" }))
            .ErrorAsync(HttpStatusCode.Conflict, "CONFLICT");
        var managers = await (await client.GetAsync("/v1/tenant/team?role=manager")).JsonAsync(HttpStatusCode.OK);
        Assert.Single(managers.EnumerateArray());
        var agents = await (await client.GetAsync("/v1/tenant/team?role=agent")).JsonAsync(HttpStatusCode.OK);
        Assert.Empty(agents.EnumerateArray());
    }
}

/// <summary>Key expiry on a clock the test moves: valid up to its expiry instant, 401 EXPIRED_KEY from then on.</summary>
[Collection(FakeClockCollection.Name)]
public sealed class KeyExpiryTests(FakeClockPlatformFactory factory)
{
    [Fact]
    public async Task Expired_key_answers_401_EXPIRED_KEY()
    {
        var tenant = await factory.CreateTenantAsync();
        using var admin = tenant.Live();
        var expiresAt = factory.Clock.GetUtcNow().AddSeconds(2);
        var created = await (await admin.PostJsonAsync("/v1/tenant/keys",
                new { type = "live", role = "viewer", name = "short", expiresAt }))
            .JsonAsync(HttpStatusCode.Created);
        using var client = factory.ClientFor(created.GetProperty("secret").GetString()!, tenant.TenantId);
        await (await client.GetAsync("/v1/tenant")).JsonAsync(HttpStatusCode.OK);
        factory.Clock.Advance(TimeSpan.FromSeconds(1));
        await (await client.GetAsync("/v1/tenant")).JsonAsync(HttpStatusCode.OK);
        factory.Clock.Advance(TimeSpan.FromSeconds(1.5));
        await (await client.GetAsync("/v1/tenant")).ErrorAsync(HttpStatusCode.Unauthorized, "EXPIRED_KEY");
        // The tenant's other keys are unaffected.
        await (await admin.GetAsync("/v1/tenant")).JsonAsync(HttpStatusCode.OK);
    }
}
