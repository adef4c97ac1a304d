using System.Net;
using System.Text.Json;
using CloudFran.Abstractions.Inventory;
using CloudFran.Abstractions.Keys;
using CloudFran.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace CloudFran.Tests.Inventory;

/// <summary>
/// A node that dies between the steps of a transfer: the step's first line was applied on its item's grain (the
/// same call, with the same key, that the transfer grain makes) but the transfer row never moved. The process
/// is stopped, a new one starts on the same database, and the step is retried: each line applies exactly once.
/// </summary>
public sealed class TransferCrashTests
{
    [Fact]
    public async Task A_step_interrupted_by_a_crash_is_retried_on_a_new_node_without_double_moves()
    {
        string connectionString, tenantId, key, from, to, itemA, itemB, transferId;
        await using (var first = new PlatformFactory())
        {
            connectionString = first.ConnectionString;
            var tenant = await first.CreateTenantAsync();
            (tenantId, key) = (tenant.TenantId, tenant.LiveKey);
            using var client = tenant.Live();
            from = await LocationAsync(client, "Warehouse");
            to = await LocationAsync(client, "Shop");
            itemA = await ItemAsync(client, "CR-A");
            itemB = await ItemAsync(client, "CR-B");
            await (await client.PostJsonAsync($"/v1/inventory/items/{itemA}/adjustments", new { locationId = from, delta = 10, reason = "receive", idempotencyKey = "a" }))
                .JsonAsync(HttpStatusCode.Created);
            await (await client.PostJsonAsync($"/v1/inventory/items/{itemB}/adjustments", new { locationId = from, delta = 10, reason = "receive", idempotencyKey = "b" }))
                .JsonAsync(HttpStatusCode.Created);
            var transfer = await (await client.PostJsonAsync("/v1/inventory/transfers", new
            {
                fromLocationId = from, toLocationId = to, lines = new[] { new { itemId = itemA, quantity = 3m }, new { itemId = itemB, quantity = 2m } },
            })).JsonAsync(HttpStatusCode.Created);
            transferId = transfer.GetProperty("transferId").GetString()!;
            await (await client.PostAsync($"/v1/inventory/transfers/{transferId}/approve", null)).JsonAsync(HttpStatusCode.OK);

            // The crashed shipment: line 0 left the source, then the node died before line 1 and the status change.
            var grains = first.Services.GetRequiredService<IGrainFactory>();
            var scope = new TenantScope(tenantId, DataEnv.Live);
            await grains.GetInventoryItem(scope, itemA).ShipAsync(new TransferMove(transferId, 0, from, to, 3m, $"tr:{transferId}:ship:0", null));
        }

        await using (var second = PlatformFactory.OnDatabase(connectionString))
        {
            using var client = second.ClientFor(key, tenantId);
            var before = await (await client.GetAsync($"/v1/inventory/transfers/{transferId}")).JsonAsync(HttpStatusCode.OK);
            Assert.Equal("approved", before.GetProperty("status").GetString());
            var shipped = await (await client.PostAsync($"/v1/inventory/transfers/{transferId}/ship", null)).JsonAsync(HttpStatusCode.OK);
            Assert.Equal("in_transit", shipped.GetProperty("status").GetString());
            Assert.Equal(7m, (await StockAsync(client, itemA, from)).GetProperty("onHand").GetDecimal());  // 10 − 3, once
            Assert.Equal(8m, (await StockAsync(client, itemB, from)).GetProperty("onHand").GetDecimal());
            Assert.Equal(3m, (await StockAsync(client, itemA, to)).GetProperty("inTransit").GetDecimal());

            // The crashed receipt: line 1 arrived, then the node died.
            var grains = second.Services.GetRequiredService<IGrainFactory>();
            var scope = new TenantScope(tenantId, DataEnv.Live);
            await grains.GetInventoryItem(scope, itemB).ReceiveAsync(new TransferMove(transferId, 1, from, to, 2m, $"tr:{transferId}:recv:1", null));
        }

        await using var third = PlatformFactory.OnDatabase(connectionString);
        using var again = third.ClientFor(key, tenantId);
        var completed = await (await again.PostAsync($"/v1/inventory/transfers/{transferId}/complete", null)).JsonAsync(HttpStatusCode.OK);
        Assert.Equal("completed", completed.GetProperty("status").GetString());
        var a = await StockAsync(again, itemA, to);
        var b = await StockAsync(again, itemB, to);
        Assert.Equal(3m, a.GetProperty("onHand").GetDecimal());
        Assert.Equal(0m, a.GetProperty("inTransit").GetDecimal());
        Assert.Equal(2m, b.GetProperty("onHand").GetDecimal());
        Assert.Equal(0m, b.GetProperty("inTransit").GetDecimal());
        var ledger = await (await again.GetAsync($"/v1/inventory/items/{itemB}/ledger")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(3, ledger.GetProperty("total").GetInt64()); // receive, ship, one receipt
    }

    private static async Task<string> LocationAsync(HttpClient client, string name)
    {
        var location = await (await client.PostJsonAsync("/v1/locations", new
        {
            name, address = new { street = "2 Dock Rd", city = "Reno", country = "US" }, timezone = "America/Los_Angeles",
        })).JsonAsync(HttpStatusCode.Created);
        return location.GetProperty("locationId").GetString()!;
    }

    private static async Task<string> ItemAsync(HttpClient client, string sku)
    {
        var item = await (await client.PostJsonAsync("/v1/inventory/items", new { sku, name = sku })).JsonAsync(HttpStatusCode.Created);
        return item.GetProperty("itemId").GetString()!;
    }

    private static async Task<JsonElement> StockAsync(HttpClient client, string itemId, string locationId)
    {
        var item = await (await client.GetAsync($"/v1/inventory/items/{itemId}")).JsonAsync(HttpStatusCode.OK);
        return item.GetProperty("locations").EnumerateArray().Single(l => l.GetProperty("locationId").GetString() == locationId);
    }
}
