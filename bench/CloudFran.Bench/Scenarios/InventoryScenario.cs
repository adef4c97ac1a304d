using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;

namespace CloudFran.Bench.Scenarios;

/// <summary>
/// Issue #8: adjustments per second on one hot item from 50 concurrent clients (each its own idempotency key; the
/// final on-hand must equal the number of acknowledged sales), reservation holds on one hot item (reserved must equal
/// the acknowledged holds), CSV import rows per second (100,000 rows; quick:
/// 10,000) and item search p50/p99 over the imported catalogue.
/// </summary>
public sealed class InventoryScenario : IScenario
{
    public string Name => "inventory";

    public async Task RunAsync(BenchContext context)
    {
        var (tenantId, key) = await context.CreateTenantAsync("Bench inventory");
        using var client = context.Client(key, tenantId);
        var location = await BenchContext.ReadJsonAsync(await client.PostAsync("/v1/locations", BenchContext.Json(new
        {
            name = "Hot store", address = new { street = "1 Stock St", city = "Omaha", country = "US" }, timezone = "America/Chicago",
        })));
        var locationId = location.GetProperty("locationId").GetString();
        await BenchContext.ReadJsonAsync(await client.PutAsync("/v1/inventory/settings", BenchContext.Json(new { allowNegativeStock = true })));

        // 1. One hot item, 50 concurrent clients.
        var item = await BenchContext.ReadJsonAsync(await client.PostAsync("/v1/inventory/items", BenchContext.Json(new { sku = "HOT-ITEM", name = "Hot item" })));
        var itemId = item.GetProperty("itemId").GetString();
        long acknowledged = 0;
        var adjustments = await context.MeasureAsync(async (worker, i) =>
        {
            using var r = await client.PostAsync($"/v1/inventory/items/{itemId}/adjustments", BenchContext.Json(new
            {
                locationId, delta = -1, reason = "sale", idempotencyKey = $"w{worker}-{i}-{Guid.NewGuid():N}",
            }));
            if (r.StatusCode == System.Net.HttpStatusCode.Created) Interlocked.Increment(ref acknowledged);
            return r.IsSuccessStatusCode;
        }, concurrency: 50);
        var after = await BenchContext.ReadJsonAsync(await client.GetAsync($"/v1/inventory/items/{itemId}"));
        var onHand = after.GetProperty("locations")[0].GetProperty("onHand").GetDecimal();
        Console.WriteLine($"   hot item: {acknowledged} sales acknowledged (warm-up included), on hand {onHand}");
        context.Report("inventory adjustments, 1 hot item × 50 clients", adjustments, "—", null, "on hand = −acknowledged",
            _ => onHand == -acknowledged);

        // 1b. Reservations on one hot item, 50 clients: each a hold with its own key; reserved must equal the acknowledged holds.
        var held = await BenchContext.ReadJsonAsync(await client.PostAsync("/v1/inventory/items", BenchContext.Json(new { sku = "HOT-HOLD", name = "Hot hold" })));
        var heldId = held.GetProperty("itemId").GetString();
        await BenchContext.ReadJsonAsync(await client.PostAsync($"/v1/inventory/items/{heldId}/adjustments", BenchContext.Json(new
        {
            locationId, delta = 1_000_000, reason = "receive", idempotencyKey = "bench-stock",
        })));
        long holds = 0;
        var reservations = await context.MeasureAsync(async (worker, i) =>
        {
            using var r = await client.PostAsync($"/v1/inventory/items/{heldId}/reservations", BenchContext.Json(new
            {
                locationId, quantity = 1, idempotencyKey = $"h{worker}-{i}-{Guid.NewGuid():N}",
            }));
            if (r.StatusCode == System.Net.HttpStatusCode.Created) Interlocked.Increment(ref holds);
            return r.IsSuccessStatusCode;
        }, concurrency: 50);
        var heldAfter = await BenchContext.ReadJsonAsync(await client.GetAsync($"/v1/inventory/items/{heldId}"));
        var reserved = heldAfter.GetProperty("locations")[0].GetProperty("reserved").GetDecimal();
        Console.WriteLine($"   hot hold: {holds} holds acknowledged (warm-up included), reserved {reserved}");
        context.Report("inventory holds, 1 hot item × 50 clients", reservations, "—", null, "reserved = acknowledged holds",
            _ => reserved == holds);

        // 2. CSV import.
        var rows = context.Quick ? 10_000 : 100_000;
        var csv = new StringBuilder("sku,name,barcodes,category,unit,cost,price,on_hand,min,reorder_point,max\n");
        string[] words = ["bolt", "washer", "filter", "nozzle", "gasket", "bracket", "hinge", "valve", "spring", "cable"];
        for (var i = 0; i < rows; i++)
        {
            csv.Append($"SKU-{i:D6},{words[i % 10]} {words[i / 10 % 10]} model {i},{7_000_000_000_000L + i},cat{i % 25},each,{1 + i % 50}.25,{3 + i % 70}.99,{i % 40},2,5,60\n");
        }
        var bytes = Encoding.UTF8.GetBytes(csv.ToString());
        using var form = new MultipartFormDataContent();
        form.Add(new StringContent("upsert"), "mode");
        form.Add(new StringContent(locationId!), "locationId");
        var file = new ByteArrayContent(bytes);
        file.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        form.Add(file, "file", "items.csv");
        var watch = Stopwatch.StartNew();
        using var importClient = context.Client(key, tenantId);
        importClient.Timeout = TimeSpan.FromMinutes(10);
        var report = await BenchContext.ReadJsonAsync(await importClient.PostAsync("/v1/inventory/import", form));
        var seconds = watch.Elapsed.TotalSeconds;
        var created = report.GetProperty("created").GetInt32();
        var failed = report.GetProperty("failed").GetInt32();
        Console.WriteLine($"   CSV import: {rows} rows ({bytes.Length / 1024} KB) in {seconds:0.0} s → {created} created, {failed} failed");
        context.Report($"CSV import rows/s ({rows} rows, one request)", new Measurement(rows / seconds, seconds * 1000, seconds * 1000, created, failed),
            "—", null, $"{rows} created", _ => created == rows);

        // 3. Search over the imported catalogue.
        string[] terms = ["valve", "SKU-0042", "model 123", "gasket hinge", "70000000099", "spring"];
        var search = await context.MeasureAsync(async (_, i) =>
        {
            using var r = await client.GetAsync($"/v1/inventory/items?search={Uri.EscapeDataString(terms[i % terms.Length])}&pageSize=20");
            await r.Content.LoadIntoBufferAsync();
            return r.IsSuccessStatusCode;
        }, concurrency: 8);
        context.Report($"inventory search over {rows} items (p50/p99)", search);
    }
}
