using System.Net;
using CloudFran.Tests.Infrastructure;
using Xunit;

namespace CloudFran.Tests.Platform;

/// <summary>Everything acknowledged is in PostgreSQL: a new process on the same database serves it.</summary>
public sealed class RestartTests
{
    [Fact]
    public async Task Data_survives_a_restart()
    {
        string connectionString, tenantId, key, locationId;
        long liveCalls;
        await using (var first = new PlatformFactory())
        {
            connectionString = first.ConnectionString;
            var tenant = await first.CreateTenantAsync(plan: "starter");
            (tenantId, key) = (tenant.TenantId, tenant.LiveKey);
            using var client = tenant.Live();
            var location = await (await client.PostJsonAsync("/v1/locations", new
            {
                name = "Durable store",
                address = new { street = "9 Elm St", city = "Denver", country = "US" },
                hours = new { monday = new[] { new { open = "09:00", close = "17:00" } } },
            })).JsonAsync(HttpStatusCode.Created);
            locationId = location.GetProperty("locationId").GetString()!;
            await (await client.PatchJsonAsync($"/v1/locations/{locationId}", new { status = "coming_soon" })).JsonAsync(HttpStatusCode.OK);
            var usage = await (await client.GetAsync("/v1/billing/usage")).JsonAsync(HttpStatusCode.OK);
            liveCalls = usage.GetProperty("liveCalls").GetInt64();
        }

        await using var second = PlatformFactory.OnDatabase(connectionString);
        using var again = second.ClientFor(key, tenantId);
        var read = await (await again.GetAsync($"/v1/locations/{locationId}")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal("Durable store", read.GetProperty("name").GetString());
        Assert.Equal("coming_soon", read.GetProperty("status").GetString());
        Assert.Equal("17:00", read.GetProperty("hours").GetProperty("monday")[0].GetProperty("close").GetString());
        var list = await (await again.GetAsync("/v1/locations?status=coming_soon")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(1, list.GetProperty("total").GetInt64());
        // Monthly usage was flushed on shutdown and continues from where it was.
        var after = await (await again.GetAsync("/v1/billing/usage")).JsonAsync(HttpStatusCode.OK);
        Assert.True(after.GetProperty("liveCalls").GetInt64() > liveCalls);
    }
}
