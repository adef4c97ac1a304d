using System.Net;
using CloudFran.Tests.Infrastructure;
using Xunit;

namespace CloudFran.Tests.Platform;

/// <summary>Another tenant's objects answer 404 on every foundation route; a foreign X-Tenant-Id answers 403.</summary>
[Collection(PlatformCollection.Name)]
public sealed class CrossTenantTests(PlatformFactory factory)
{
    [Fact]
    public async Task Another_tenants_location_is_not_found_on_every_route()
    {
        var owner = await factory.CreateTenantAsync(name: "Owner");
        var intruder = await factory.CreateTenantAsync(name: "Intruder");
        using var ownerClient = owner.Live();
        var location = await (await ownerClient.PostJsonAsync("/v1/locations",
            new { name = "Secret store", address = new { street = "1 Main St", city = "Boston", country = "US" } }))
            .JsonAsync(HttpStatusCode.Created);
        var id = location.GetProperty("locationId").GetString();

        using var other = intruder.Live();
        await (await other.GetAsync($"/v1/locations/{id}")).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        await (await other.PatchJsonAsync($"/v1/locations/{id}", new { name = "Mine now" })).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        await (await other.DeleteAsync($"/v1/locations/{id}")).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        var list = await (await other.GetAsync("/v1/locations?search=secret")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(0, list.GetProperty("total").GetInt64());

        // The owner's data is untouched.
        var still = await (await ownerClient.GetAsync($"/v1/locations/{id}")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal("Secret store", still.GetProperty("name").GetString());
        Assert.Equal("active", still.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Another_tenants_key_id_cannot_be_revoked_and_header_spoofing_is_refused()
    {
        var owner = await factory.CreateTenantAsync(name: "Owner");
        var intruder = await factory.CreateTenantAsync(name: "Intruder");
        using var ownerClient = owner.Live();
        var keys = await (await ownerClient.GetAsync("/v1/tenant/keys")).JsonAsync(HttpStatusCode.OK);
        var ownerKeyId = keys[0].GetProperty("keyId").GetString();

        using var other = intruder.Live();
        await (await other.DeleteAsync($"/v1/tenant/keys/{ownerKeyId}")).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        await (await ownerClient.GetAsync("/v1/tenant")).JsonAsync(HttpStatusCode.OK);

        // The tenant comes from the key: naming the owner in the header with the intruder's key is refused everywhere.
        using var spoof = factory.ClientFor(intruder.LiveKey, owner.TenantId);
        foreach (var url in new[] { "/v1/tenant", "/v1/tenant/keys", "/v1/tenant/team", "/v1/locations", "/v1/billing/usage" })
        {
            await (await spoof.GetAsync(url)).ErrorAsync(HttpStatusCode.Forbidden, "TENANT_MISMATCH");
        }
        await (await spoof.PatchJsonAsync("/v1/tenant/settings", new { businessName = "pwned" })).ErrorAsync(HttpStatusCode.Forbidden, "TENANT_MISMATCH");
        await (await spoof.PostJsonAsync("/v1/tenant/keys", new { type = "live", role = "admin", name = "x" })).ErrorAsync(HttpStatusCode.Forbidden, "TENANT_MISMATCH");
        await (await spoof.PostJsonAsync("/v1/tenant/team/invitations", new { email = "a@b.example", role = "admin" })).ErrorAsync(HttpStatusCode.Forbidden, "TENANT_MISMATCH");
        var tenant = await (await ownerClient.GetAsync("/v1/tenant")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal("Owner", tenant.GetProperty("businessName").GetString());
    }
}
