using System.Net;
using CloudFran.Tests.Infrastructure;
using Xunit;

namespace CloudFran.Tests.Platform;

[Collection(PlatformCollection.Name)]
public sealed class SmokeTests(PlatformFactory factory)
{
    [Fact]
    public async Task Health_reports_database_and_cluster()
    {
        using var client = factory.CreateClient();
        var health = await (await client.GetAsync("/health")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal("healthy", health.GetProperty("status").GetString());
        Assert.Equal("connected", health.GetProperty("services").GetProperty("database").GetString());
    }

    [Fact]
    public async Task Tenant_can_create_and_read_a_location()
    {
        var tenant = await factory.CreateTenantAsync();
        using var client = tenant.Live();
        var created = await (await client.PostJsonAsync("/v1/locations", new
        {
            name = "Uptown",
            address = new { street = "1 Main St", city = "Boston", country = "US" },
        })).JsonAsync(HttpStatusCode.Created);
        var id = created.GetProperty("locationId").GetString();
        var read = await (await client.GetAsync($"/v1/locations/{id}")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal("Uptown", read.GetProperty("name").GetString());
        Assert.Equal("America/New_York", read.GetProperty("timezone").GetString());
    }
}
