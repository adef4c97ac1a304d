using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using CloudFran.Tests.Infrastructure;
using Npgsql;
using Xunit;

namespace CloudFran.Tests.Inventory;

/// <summary>Inventory over HTTP: items, adjustments (exactly once, counts, thresholds), transfers, CSV, planning, isolation.</summary>
[Collection(CalendarCollection.Name)]
public sealed class InventoryTests(PlatformFactory factory)
{
    private sealed record Setup(TestTenant Tenant, string StoreA, string StoreB);

    private async Task<Setup> SetupAsync()
    {
        var tenant = await factory.CreateTenantAsync();
        using var client = tenant.Live();
        return new Setup(tenant, await LocationAsync(client, "Store A"), await LocationAsync(client, "Store B"));
    }

    private static async Task<string> LocationAsync(HttpClient client, string name)
    {
        var location = await (await client.PostJsonAsync("/v1/locations", new
        {
            name, address = new { street = "1 Main St", city = "Austin", country = "US" }, timezone = "America/Chicago",
        })).JsonAsync(HttpStatusCode.Created);
        return location.GetProperty("locationId").GetString()!;
    }

    private static async Task<string> ItemAsync(HttpClient client, string sku, string name = "Widget", string[]? barcodes = null, decimal? cost = 2.5m,
        decimal? price = 4m, string? supplierId = null)
    {
        var item = await (await client.PostJsonAsync("/v1/inventory/items", new
        {
            sku, name, barcodes = barcodes ?? [], category = "parts", unit = "each", cost, price, supplierId,
        })).JsonAsync(HttpStatusCode.Created);
        return item.GetProperty("itemId").GetString()!;
    }

    private static Task<HttpResponseMessage> AdjustAsync(HttpClient client, string itemId, string locationId, decimal? delta, string reason, string key,
        decimal? count = null, DateTimeOffset? at = null) =>
        client.PostJsonAsync($"/v1/inventory/items/{itemId}/adjustments", new
        {
            locationId, delta, physicalCount = count, reason, idempotencyKey = key, clientTimestamp = at,
        });

    private static async Task<JsonElement> StockAsync(HttpClient client, string itemId, string locationId)
    {
        var item = await (await client.GetAsync($"/v1/inventory/items/{itemId}")).JsonAsync(HttpStatusCode.OK);
        return item.GetProperty("locations").EnumerateArray().Single(l => l.GetProperty("locationId").GetString() == locationId);
    }

    private async Task<List<(string Type, JsonElement Data)>> EventsAsync(string tenantId, string prefix)
    {
        await using var conn = new NpgsqlConnection(factory.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(
            "SELECT event_type, payload::text FROM outbox_events WHERE tenant_id = @t AND event_type LIKE @p ORDER BY created_at, event_id", conn);
        cmd.Parameters.AddWithValue("t", tenantId);
        cmd.Parameters.AddWithValue("p", prefix + "%");
        var list = new List<(string, JsonElement)>();
        await using var r = await cmd.ExecuteReaderAsync();
        while (await r.ReadAsync())
        {
            list.Add((r.GetString(0), JsonDocument.Parse(r.GetString(1)).RootElement.Clone()));
        }
        return list;
    }

    [Fact]
    public async Task Items_crud_search_and_barcode_lookup()
    {
        var s = await SetupAsync();
        using var client = s.Tenant.Live();
        var id = await ItemAsync(client, "WID-100", "Blue Widget", ["0123456789012"]);
        await ItemAsync(client, "GAD-200", "Red Gadget", ["9990001112223"]);
        await (await client.PostJsonAsync("/v1/inventory/items", new { sku = "wid-100", name = "Dup" })).ErrorAsync(HttpStatusCode.Conflict, "CONFLICT");
        await (await client.PostJsonAsync("/v1/inventory/items", new { sku = "X-1", name = "Dup code", barcodes = new[] { "0123456789012" } }))
            .ErrorAsync(HttpStatusCode.Conflict, "CONFLICT");

        var byCode = await (await client.GetAsync("/v1/inventory/items/by-barcode/0123456789012")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(id, byCode.GetProperty("itemId").GetString());
        await (await client.GetAsync("/v1/inventory/items/by-barcode/000")).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");

        foreach (var q in new[] { "widget", "WID-1", "6789012" })
        {
            var found = await (await client.GetAsync($"/v1/inventory/items?search={Uri.EscapeDataString(q)}")).JsonAsync(HttpStatusCode.OK);
            Assert.Equal(1, found.GetProperty("total").GetInt64());
            Assert.Equal(id, found.GetProperty("data")[0].GetProperty("itemId").GetString());
        }

        var patched = await (await client.PatchJsonAsync($"/v1/inventory/items/{id}", new { price = 5.25m, discontinued = true })).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(5.25m, patched.GetProperty("price").GetDecimal());
        Assert.Equal("discontinued", patched.GetProperty("status").GetString());
        var discontinued = await (await client.GetAsync("/v1/inventory/items?status=discontinued")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(1, discontinued.GetProperty("total").GetInt64());

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/v1/inventory/items/{id}")).StatusCode);
        await (await client.GetAsync($"/v1/inventory/items/{id}")).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        // The SKU and barcode are free again.
        await ItemAsync(client, "WID-100", "Blue Widget v2", ["0123456789012"]);
    }

    [Fact]
    public async Task Replayed_adjustment_applies_once_and_a_reused_key_with_other_content_is_refused()
    {
        var s = await SetupAsync();
        using var client = s.Tenant.Live();
        var id = await ItemAsync(client, "SKU-R");
        await (await AdjustAsync(client, id, s.StoreA, 10, "receive", "k-1")).JsonAsync(HttpStatusCode.Created);
        var first = await (await AdjustAsync(client, id, s.StoreA, -3, "sale", "k-2")).JsonAsync(HttpStatusCode.Created);
        var again = await (await AdjustAsync(client, id, s.StoreA, -3, "sale", "k-2")).JsonAsync(HttpStatusCode.OK);
        Assert.True(again.GetProperty("replayed").GetBoolean());
        Assert.Equal(first.GetProperty("entry").GetProperty("entryId").GetInt64(), again.GetProperty("entry").GetProperty("entryId").GetInt64());
        Assert.Equal(7m, (await StockAsync(client, id, s.StoreA)).GetProperty("onHand").GetDecimal());
        await (await AdjustAsync(client, id, s.StoreA, -4, "sale", "k-2")).ErrorAsync(HttpStatusCode.Conflict, "IDEMPOTENCY_KEY_REUSED");

        // Negative stock is refused unless the tenant allows it.
        await (await AdjustAsync(client, id, s.StoreA, -8, "sale", "k-3")).ErrorAsync(HttpStatusCode.Conflict, "INSUFFICIENT_STOCK");
        await (await client.PutJsonAsync("/v1/inventory/settings", new { allowNegativeStock = true })).JsonAsync(HttpStatusCode.OK);
        await (await AdjustAsync(client, id, s.StoreA, -8, "sale", "k-3")).JsonAsync(HttpStatusCode.Created);
        Assert.Equal(-1m, (await StockAsync(client, id, s.StoreA)).GetProperty("onHand").GetDecimal());

        var ledger = await (await client.GetAsync($"/v1/inventory/items/{id}/ledger")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(3, ledger.GetProperty("total").GetInt64());
    }

    [Fact]
    public async Task Concurrent_adjustments_on_one_item_never_lose_an_update()
    {
        var s = await SetupAsync();
        using var client = factory.ClientFor(await s.Tenant.CreateKeyAsync("agent"), s.Tenant.TenantId);
        var id = await ItemAsync(s.Tenant.Live(), "HOT-1");
        await (await AdjustAsync(client, id, s.StoreA, 1000, "receive", "seed")).JsonAsync(HttpStatusCode.Created);
        // 150 distinct sales and 30 replays of some of them, all at once.
        var calls = Enumerable.Range(0, 150).Select(i => AdjustAsync(client, id, s.StoreA, -1, "sale", $"sale-{i}"))
            .Concat(Enumerable.Range(0, 30).Select(i => AdjustAsync(client, id, s.StoreA, -1, "sale", $"sale-{i}")));
        var responses = await Task.WhenAll(calls);
        Assert.All(responses, r => Assert.True(r.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, r.StatusCode.ToString()));
        Assert.Equal(150, responses.Count(r => r.StatusCode == HttpStatusCode.Created));
        Assert.Equal(850m, (await StockAsync(client, id, s.StoreA)).GetProperty("onHand").GetDecimal());

        await using var conn = new NpgsqlConnection(factory.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(
            "SELECT count(*), sum(applied_delta) FROM inventory_ledger WHERE tenant_id = @t AND item_id = @i AND reason = 'sale'", conn);
        cmd.Parameters.AddWithValue("t", s.Tenant.TenantId);
        cmd.Parameters.AddWithValue("i", id);
        await using var r = await cmd.ExecuteReaderAsync();
        await r.ReadAsync();
        Assert.Equal(150L, r.GetInt64(0));
        Assert.Equal(-150m, r.GetDecimal(1));
    }

    [Fact]
    public async Task Physical_count_resets_stock_and_older_adjustments_do_not_double_apply()
    {
        var s = await SetupAsync();
        using var client = s.Tenant.Live();
        var id = await ItemAsync(client, "CNT-1");
        var t0 = DateTimeOffset.UtcNow.AddHours(-5);
        await (await AdjustAsync(client, id, s.StoreA, 20, "receive", "a", at: t0)).JsonAsync(HttpStatusCode.Created);
        // Count at t0+2h says 15.
        var counted = await (await AdjustAsync(client, id, s.StoreA, null, "count", "c1", count: 15, at: t0.AddHours(2))).JsonAsync(HttpStatusCode.Created);
        Assert.Equal(-5m, counted.GetProperty("entry").GetProperty("appliedDelta").GetDecimal());
        // An offline till syncs a sale made at t0+1h (before the count): the count already includes it.
        var late = await (await AdjustAsync(client, id, s.StoreA, -2, "sale", "late", at: t0.AddHours(1))).JsonAsync(HttpStatusCode.Created);
        Assert.False(late.GetProperty("entry").GetProperty("applied").GetBoolean());
        Assert.Equal(15m, (await StockAsync(client, id, s.StoreA)).GetProperty("onHand").GetDecimal());
        // A sale after the count applies.
        await (await AdjustAsync(client, id, s.StoreA, -3, "sale", "after", at: t0.AddHours(3))).JsonAsync(HttpStatusCode.Created);
        Assert.Equal(12m, (await StockAsync(client, id, s.StoreA)).GetProperty("onHand").GetDecimal());
        // A count dated before that sale (arriving late) starts from the count and adds the later-dated sale.
        var recount = await (await AdjustAsync(client, id, s.StoreA, null, "count", "c2", count: 10, at: t0.AddHours(2.5))).JsonAsync(HttpStatusCode.Created);
        Assert.Equal(7m, recount.GetProperty("stock").GetProperty("onHand").GetDecimal());
        // A count older than the latest count is recorded but changes nothing.
        var stale = await (await AdjustAsync(client, id, s.StoreA, null, "count", "c3", count: 99, at: t0.AddHours(1.5))).JsonAsync(HttpStatusCode.Created);
        Assert.False(stale.GetProperty("entry").GetProperty("applied").GetBoolean());
        Assert.Equal(7m, (await StockAsync(client, id, s.StoreA)).GetProperty("onHand").GetDecimal());

        // History is ordered by client timestamp, newest first.
        var ledger = await (await client.GetAsync($"/v1/inventory/items/{id}/ledger?locationId={s.StoreA}")).JsonAsync(HttpStatusCode.OK);
        var keys = ledger.GetProperty("data").EnumerateArray().Select(e => e.GetProperty("idempotencyKey").GetString()).ToList();
        Assert.Equal(["after", "c2", "c1", "c3", "late", "a"], keys);
    }

    [Fact]
    public async Task Threshold_events_fire_once_per_crossing_and_rearm()
    {
        var s = await SetupAsync();
        using var client = s.Tenant.Live();
        var id = await ItemAsync(client, "THR-1");
        await (await AdjustAsync(client, id, s.StoreA, 20, "receive", "r1")).JsonAsync(HttpStatusCode.Created);
        await (await client.PutJsonAsync($"/v1/inventory/items/{id}/locations/{s.StoreA}/levels", new { min = 2, reorderPoint = 5, max = 30 }))
            .JsonAsync(HttpStatusCode.OK);
        for (var i = 0; i < 17; i++) // 20 → 3: crosses 5 once
        {
            await (await AdjustAsync(client, id, s.StoreA, -1, "sale", $"s{i}")).JsonAsync(HttpStatusCode.Created);
        }
        Assert.Single(await EventsAsync(s.Tenant.TenantId, "inventory.low_stock"));
        Assert.Equal("low_stock", (await StockAsync(client, id, s.StoreA)).GetProperty("status").GetString());
        var low = await (await client.GetAsync($"/v1/inventory/items?storeId={s.StoreA}&status=low_stock")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(1, low.GetProperty("total").GetInt64());
        // Another location is unaffected.
        var other = await (await client.GetAsync($"/v1/inventory/items?storeId={s.StoreB}")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(0, other.GetProperty("total").GetInt64());

        await (await AdjustAsync(client, id, s.StoreA, -3, "sale", "s-out")).JsonAsync(HttpStatusCode.Created); // 0
        await (await AdjustAsync(client, id, s.StoreA, null, "count", "c-out", count: 0)).JsonAsync(HttpStatusCode.Created);
        Assert.Single(await EventsAsync(s.Tenant.TenantId, "inventory.out_of_stock"));
        await (await AdjustAsync(client, id, s.StoreA, 10, "receive", "r2")).JsonAsync(HttpStatusCode.Created); // 10: re-armed
        await (await AdjustAsync(client, id, s.StoreA, -6, "sale", "s-low2")).JsonAsync(HttpStatusCode.Created); // 4: low again
        var lows = await EventsAsync(s.Tenant.TenantId, "inventory.low_stock");
        Assert.Equal(2, lows.Count);
        Assert.Equal(4m, lows[1].Data.GetProperty("onHand").GetDecimal());
        Assert.Equal(s.StoreA, lows[1].Data.GetProperty("locationId").GetString());
    }

    [Fact]
    public async Task Transfer_moves_stock_exactly_once_through_its_states()
    {
        var s = await SetupAsync();
        using var client = s.Tenant.Live();
        var a = await ItemAsync(client, "TR-A");
        var b = await ItemAsync(client, "TR-B");
        await (await AdjustAsync(client, a, s.StoreA, 10, "receive", "ra")).JsonAsync(HttpStatusCode.Created);
        await (await AdjustAsync(client, b, s.StoreA, 5, "receive", "rb")).JsonAsync(HttpStatusCode.Created);
        var transfer = await (await client.PostJsonAsync("/v1/inventory/transfers", new
        {
            fromLocationId = s.StoreA, toLocationId = s.StoreB, lines = new[] { new { itemId = a, quantity = 4m }, new { itemId = b, quantity = 5m } },
        })).JsonAsync(HttpStatusCode.Created);
        var tid = transfer.GetProperty("transferId").GetString();
        Assert.Equal("requested", transfer.GetProperty("status").GetString());
        await (await client.PostAsync($"/v1/inventory/transfers/{tid}/ship", null)).ErrorAsync(HttpStatusCode.Conflict, "INVALID_TRANSITION");
        await (await client.PostAsync($"/v1/inventory/transfers/{tid}/approve", null)).JsonAsync(HttpStatusCode.OK);
        var shipped = await (await client.PostAsync($"/v1/inventory/transfers/{tid}/ship", null)).JsonAsync(HttpStatusCode.OK);
        Assert.Equal("in_transit", shipped.GetProperty("status").GetString());
        await (await client.PostAsync($"/v1/inventory/transfers/{tid}/ship", null)).JsonAsync(HttpStatusCode.OK); // retry: no second debit
        Assert.Equal(6m, (await StockAsync(client, a, s.StoreA)).GetProperty("onHand").GetDecimal());
        Assert.Equal(4m, (await StockAsync(client, a, s.StoreB)).GetProperty("inTransit").GetDecimal());
        Assert.Equal(0m, (await StockAsync(client, a, s.StoreB)).GetProperty("onHand").GetDecimal());
        await (await client.PostAsync($"/v1/inventory/transfers/{tid}/complete", null)).JsonAsync(HttpStatusCode.OK);
        await (await client.PostAsync($"/v1/inventory/transfers/{tid}/complete", null)).JsonAsync(HttpStatusCode.OK);
        var destA = await StockAsync(client, a, s.StoreB);
        Assert.Equal(4m, destA.GetProperty("onHand").GetDecimal());
        Assert.Equal(0m, destA.GetProperty("inTransit").GetDecimal());
        Assert.Equal(5m, (await StockAsync(client, b, s.StoreB)).GetProperty("onHand").GetDecimal());
        var events = (await EventsAsync(s.Tenant.TenantId, "transfer.")).Select(e => e.Type).ToList();
        Assert.Equal(["transfer.requested", "transfer.completed"], events);

        // Rejection path.
        var second = await (await client.PostJsonAsync("/v1/inventory/transfers", new
        {
            fromLocationId = s.StoreA, toLocationId = s.StoreB, lines = new[] { new { itemId = a, quantity = 1m } },
        })).JsonAsync(HttpStatusCode.Created);
        var sid = second.GetProperty("transferId").GetString();
        var rejected = await (await client.PostJsonAsync($"/v1/inventory/transfers/{sid}/reject", new { reason = "not needed" })).JsonAsync(HttpStatusCode.OK);
        Assert.Equal("rejected", rejected.GetProperty("status").GetString());
        await (await client.PostAsync($"/v1/inventory/transfers/{sid}/approve", null)).ErrorAsync(HttpStatusCode.Conflict, "INVALID_TRANSITION");
        Assert.Contains("transfer.rejected", (await EventsAsync(s.Tenant.TenantId, "transfer.")).Select(e => e.Type));
    }

    [Fact]
    public async Task Refused_shipment_ships_nothing_and_a_later_attempt_succeeds()
    {
        var s = await SetupAsync();
        using var client = s.Tenant.Live();
        var a = await ItemAsync(client, "RF-A");
        var b = await ItemAsync(client, "RF-B");
        await (await AdjustAsync(client, a, s.StoreA, 10, "receive", "ra")).JsonAsync(HttpStatusCode.Created);
        await (await AdjustAsync(client, b, s.StoreA, 1, "receive", "rb")).JsonAsync(HttpStatusCode.Created);
        var transfer = await (await client.PostJsonAsync("/v1/inventory/transfers", new
        {
            fromLocationId = s.StoreA, toLocationId = s.StoreB, lines = new[] { new { itemId = a, quantity = 4m }, new { itemId = b, quantity = 3m } },
        })).JsonAsync(HttpStatusCode.Created);
        var tid = transfer.GetProperty("transferId").GetString();
        await (await client.PostAsync($"/v1/inventory/transfers/{tid}/approve", null)).JsonAsync(HttpStatusCode.OK);
        await (await client.PostAsync($"/v1/inventory/transfers/{tid}/ship", null)).ErrorAsync(HttpStatusCode.Conflict, "INSUFFICIENT_STOCK");
        Assert.Equal(10m, (await StockAsync(client, a, s.StoreA)).GetProperty("onHand").GetDecimal()); // line 0 was returned
        Assert.Equal(0m, (await StockAsync(client, a, s.StoreB)).GetProperty("inTransit").GetDecimal());
        await (await AdjustAsync(client, b, s.StoreA, 5, "receive", "rb2")).JsonAsync(HttpStatusCode.Created);
        var shipped = await (await client.PostAsync($"/v1/inventory/transfers/{tid}/ship", null)).JsonAsync(HttpStatusCode.OK);
        Assert.Equal("in_transit", shipped.GetProperty("status").GetString());
        Assert.Equal(6m, (await StockAsync(client, a, s.StoreA)).GetProperty("onHand").GetDecimal());
        Assert.Equal(3m, (await StockAsync(client, b, s.StoreA)).GetProperty("onHand").GetDecimal());
    }

    [Fact]
    public async Task Csv_import_changes_only_the_named_location_and_reports_bad_rows()
    {
        var s = await SetupAsync();
        using var client = s.Tenant.Live();
        // Store B has its own levels for an existing item.
        var existing = await ItemAsync(client, "IMP-1", "Existing");
        await (await client.PutJsonAsync($"/v1/inventory/items/{existing}/locations/{s.StoreB}/levels", new { min = 7, reorderPoint = 9, max = 40 }))
            .JsonAsync(HttpStatusCode.OK);
        var csv = "sku,name,barcodes,category,cost,price,on_hand,min,reorder_point,max\n" +
                  "IMP-1,Existing renamed,,parts,1.5,3,12,1,3,20\n" +
                  "IMP-2,New one,111|222,parts,2,5,8,2,4,16\n" +
                  "IMP-3,,,parts,1,2,1,,,\n" +            // new item without a name → row error
                  "IMP-4,Bad number,,parts,abc,2,1,,,\n" +   // bad cost
                  "IMP-2,Dup,,parts,1,1,1,,,\n" +            // duplicate SKU in the file
                  "IMP-5,Short row\n";
        var report = await (await ImportAsync(client, csv, "upsert", s.StoreA)).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(6, report.GetProperty("rows").GetInt32());
        Assert.Equal(1, report.GetProperty("created").GetInt32());
        Assert.Equal(1, report.GetProperty("updated").GetInt32());
        var errors = report.GetProperty("errors").EnumerateArray().Select(e => (e.GetProperty("line").GetInt32(), e.GetProperty("field").GetString())).ToList();
        Assert.Equal([(4, "name"), (5, "cost"), (6, "sku"), (7, "row")], errors);

        var item = await (await client.GetAsync($"/v1/inventory/items/{existing}")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal("Existing renamed", item.GetProperty("name").GetString());
        var a = await StockAsync(client, existing, s.StoreA);
        Assert.Equal(12m, a.GetProperty("onHand").GetDecimal());
        Assert.Equal(3m, a.GetProperty("reorderPoint").GetDecimal());
        var b = await StockAsync(client, existing, s.StoreB);
        Assert.Equal(7m, b.GetProperty("min").GetDecimal());
        Assert.Equal(9m, b.GetProperty("reorderPoint").GetDecimal());
        Assert.Equal(40m, b.GetProperty("max").GetDecimal());
        var created = await (await client.GetAsync("/v1/inventory/items/by-barcode/222")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal("IMP-2", created.GetProperty("sku").GetString());
        Assert.Single(created.GetProperty("locations").EnumerateArray());

        // create_only refuses existing SKUs; update_only refuses unknown ones.
        var createOnly = await (await ImportAsync(client, "sku,name\nIMP-1,X\nIMP-9,Nine\n", "create_only", s.StoreA)).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(1, createOnly.GetProperty("created").GetInt32());
        Assert.Equal(2, createOnly.GetProperty("errors")[0].GetProperty("line").GetInt32());
        var updateOnly = await (await ImportAsync(client, "sku,price\nIMP-77,1\nIMP-9,9.5\n", "update_only", s.StoreA)).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(1, updateOnly.GetProperty("updated").GetInt32());
        Assert.Equal("sku", updateOnly.GetProperty("errors")[0].GetProperty("field").GetString());

        // Export round-trips through import.
        var export = await client.GetAsync($"/v1/inventory/export?locationId={s.StoreA}");
        Assert.Equal(HttpStatusCode.OK, export.StatusCode);
        var text = await export.Content.ReadAsStringAsync();
        Assert.StartsWith("sku,name,barcodes", text);
        Assert.Contains("IMP-2,New one,111|222,parts", text);
        var again = await (await ImportAsync(client, text, "update_only", s.StoreA)).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(0, again.GetProperty("failed").GetInt32());
    }

    [Fact]
    public async Task Csv_import_rejects_bad_files_with_clear_errors()
    {
        var s = await SetupAsync();
        using var client = s.Tenant.Live();
        await (await ImportAsync(client, "name,price\nA,1\n", "upsert", s.StoreA)).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_FILE");
        await (await ImportAsync(client, "sku,colour\nA,red\n", "upsert", s.StoreA)).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_FILE");
        await (await ImportAsync(client, "", "upsert", s.StoreA)).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_FILE");
        var latin1 = Encoding.Latin1.GetBytes("sku,name\nA-1,Caf\u00e9\n");
        var bad = await (await ImportBytesAsync(client, latin1, "upsert", s.StoreA)).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_FILE");
        Assert.Contains("UTF-8", bad.GetProperty("message").GetString());
        var utf16 = Encoding.Unicode.GetPreamble().Concat(Encoding.Unicode.GetBytes("sku,name\nA,B\n")).ToArray();
        await (await ImportBytesAsync(client, utf16, "upsert", s.StoreA)).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_FILE");
        await (await ImportAsync(client, "sku,name\nA,B\n", "merge", s.StoreA)).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await ImportAsync(client, "sku,name\nA,B\n", "upsert", null)).ErrorAsync(HttpStatusCode.BadRequest, "MISSING_FIELD");
        await (await ImportAsync(client, "sku,name\nA,B\n", "upsert", "loc_doesnotexist00")).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        await (await client.PostJsonAsync("/v1/inventory/import", new { mode = "upsert" })).ErrorAsync(HttpStatusCode.UnsupportedMediaType, "INVALID_INPUT");
        var huge = new byte[21 * 1024 * 1024];
        Array.Fill(huge, (byte)'a');
        await (await ImportBytesAsync(client, huge, "upsert", s.StoreA)).ErrorAsync(HttpStatusCode.RequestEntityTooLarge, "FILE_TOO_LARGE");
        // Nothing was created by any of these.
        var list = await (await client.GetAsync("/v1/inventory/items")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(0, list.GetProperty("total").GetInt64());
    }

    private static Task<HttpResponseMessage> ImportAsync(HttpClient client, string csv, string mode, string? locationId) =>
        ImportBytesAsync(client, Encoding.UTF8.GetBytes(csv), mode, locationId);

    private static Task<HttpResponseMessage> ImportBytesAsync(HttpClient client, byte[] bytes, string mode, string? locationId)
    {
        var form = new MultipartFormDataContent();
        form.Add(new StringContent(mode), "mode");
        if (locationId is not null) form.Add(new StringContent(locationId), "locationId");
        var file = new ByteArrayContent(bytes);
        file.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        form.Add(file, "file", "items.csv");
        return client.PostAsync("/v1/inventory/import", form);
    }

    [Fact]
    public async Task Reorder_pricing_and_assistant_explain_their_answers()
    {
        var s = await SetupAsync();
        using var client = s.Tenant.Live();
        var supplier = await (await client.PostJsonAsync("/v1/inventory/suppliers", new { name = "Acme Supply", contactEmail = "orders@acme.test", leadTimeDays = 5 }))
            .JsonAsync(HttpStatusCode.Created);
        var supplierId = supplier.GetProperty("supplierId").GetString();
        await (await client.PostJsonAsync("/v1/inventory/suppliers", new { name = "acme supply" })).ErrorAsync(HttpStatusCode.Conflict, "CONFLICT");
        var fast = await ItemAsync(client, "FAST-1", "Fast Mover", cost: 2m, price: 2.5m, supplierId: supplierId);
        var slow = await ItemAsync(client, "SLOW-1", "Slow Mover", cost: 10m, price: 20m, supplierId: supplierId);
        var start = DateTimeOffset.UtcNow.AddDays(-10);
        await (await AdjustAsync(client, fast, s.StoreA, 100, "receive", "f0", at: start)).JsonAsync(HttpStatusCode.Created);
        await (await AdjustAsync(client, slow, s.StoreA, 50, "receive", "s0", at: start)).JsonAsync(HttpStatusCode.Created);
        for (var d = 1; d <= 8; d++)
        {
            await (await AdjustAsync(client, fast, s.StoreA, -10, "sale", $"f{d}", at: start.AddDays(d))).JsonAsync(HttpStatusCode.Created);
        }
        await (await AdjustAsync(client, slow, s.StoreA, -1, "sale", "s1", at: start.AddDays(1))).JsonAsync(HttpStatusCode.Created);
        await (await client.PutJsonAsync($"/v1/inventory/items/{fast}/locations/{s.StoreA}/levels", new { reorderPoint = 30, max = 150, reorderMultiple = 12 }))
            .JsonAsync(HttpStatusCode.OK);

        var plan = await (await client.PostJsonAsync("/v1/inventory/reorder-suggestions", new { locationId = s.StoreA, urgencyDays = 3 }))
            .JsonAsync(HttpStatusCode.OK);
        var line = plan.GetProperty("lines").EnumerateArray().Single();
        Assert.Equal(fast, line.GetProperty("itemId").GetString());
        Assert.Equal(132m, line.GetProperty("suggestedQuantity").GetDecimal()); // 150 − 20 = 130 → multiple of 12 = 132
        Assert.Equal("critical", line.GetProperty("urgency").GetString());      // 20 / 8 per day = 2.5 days < 5 days lead time
        Assert.Contains("multiple of 12", line.GetProperty("explanation").GetString());
        var tight = await (await client.PostJsonAsync("/v1/inventory/reorder-suggestions", new { locationId = s.StoreA, budget = 100m }))
            .JsonAsync(HttpStatusCode.OK);
        Assert.Equal(48m, tight.GetProperty("lines")[0].GetProperty("suggestedQuantity").GetDecimal()); // 100 / 2 = 50 → 48 in twelves
        Assert.True(tight.GetProperty("totalCost").GetDecimal() <= 100m);
        Assert.Single(tight.GetProperty("deferred").EnumerateArray());

        var pricing = await (await client.PostJsonAsync("/v1/inventory/pricing-optimization", new { itemIds = new[] { fast, slow }, targetMargin = 40m }))
            .JsonAsync(HttpStatusCode.OK);
        var byId = pricing.GetProperty("items").EnumerateArray().ToDictionary(i => i.GetProperty("itemId").GetString()!);
        Assert.Equal(3.34m, byId[fast].GetProperty("suggestedPrice").GetDecimal()); // 2 / 0.6 = 3.333… → 3.34
        Assert.Equal(20m, byId[slow].GetProperty("suggestedPrice").GetDecimal());   // already 50 %
        await (await client.PostJsonAsync("/v1/inventory/pricing-optimization", new { targetMargin = 120m })).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");

        var low = await (await client.PostJsonAsync("/v1/inventory/assistant", new { question = "What is running low at this store?", locationId = s.StoreA }))
            .JsonAsync(HttpStatusCode.OK);
        Assert.Equal("low_stock", low.GetProperty("intent").GetString());
        Assert.Contains("FAST-1", low.GetProperty("lines")[0].GetString());
        var best = await (await client.PostJsonAsync("/v1/inventory/assistant", new { question = "best sellers?", locationId = s.StoreA })).JsonAsync(HttpStatusCode.OK);
        Assert.StartsWith("FAST-1", best.GetProperty("lines")[0].GetString());
        var stock = await (await client.PostJsonAsync("/v1/inventory/assistant", new { question = "how many slow-1 do we have?" })).JsonAsync(HttpStatusCode.OK);
        Assert.Equal("item_stock", stock.GetProperty("intent").GetString());
        Assert.Contains("49 on hand", stock.GetProperty("lines")[0].GetString());
        Assert.Equal("offline", stock.GetProperty("engine").GetString());
    }

    [Fact]
    public async Task Bad_inputs_answer_4xx()
    {
        var s = await SetupAsync();
        using var client = s.Tenant.Live();
        var id = await ItemAsync(client, "BAD-1");
        await (await client.PostJsonAsync("/v1/inventory/items", new { name = "No sku" })).ErrorAsync(HttpStatusCode.BadRequest, "MISSING_FIELD");
        await (await client.PostJsonAsync("/v1/inventory/items", new { sku = "A", name = "B", cost = -1 })).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await client.PostJsonAsync("/v1/inventory/items", new { sku = "A", name = "B", supplierId = "sup_unknown000000" }))
            .ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await AdjustAsync(client, id, s.StoreA, 5, "gift", "x")).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await AdjustAsync(client, id, s.StoreA, 5, "sale", "x")).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await AdjustAsync(client, id, s.StoreA, 5, "receive", "tr:trf_abcd:ship:0")).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await AdjustAsync(client, id, s.StoreA, 5, "receive", "k", count: 3)).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await AdjustAsync(client, id, s.StoreA, 5, "receive", "k", at: DateTimeOffset.UtcNow.AddDays(1))).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await client.PostJsonAsync($"/v1/inventory/items/{id}/adjustments", new { locationId = s.StoreA, delta = 1, reason = "receive" }))
            .ErrorAsync(HttpStatusCode.BadRequest, "MISSING_FIELD");
        await (await AdjustAsync(client, id, "loc_unknown0000000", 5, "receive", "k")).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        await (await client.SendRawAsync(HttpMethod.Post, $"/v1/inventory/items/{id}/adjustments", "{\"delta\": \"ten\"}")).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await client.GetAsync("/v1/inventory/items?status=lost")).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await client.GetAsync("/v1/inventory/items/not-an-id")).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        await (await client.PostJsonAsync("/v1/inventory/transfers", new { fromLocationId = s.StoreA, toLocationId = s.StoreA, lines = new[] { new { itemId = id, quantity = 1 } } }))
            .ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await client.PostJsonAsync("/v1/inventory/transfers", new { fromLocationId = s.StoreA, toLocationId = s.StoreB, lines = new[] { new { itemId = id, quantity = 0 } } }))
            .ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await client.PostJsonAsync("/v1/inventory/reorder-suggestions", new { budget = 5 })).ErrorAsync(HttpStatusCode.BadRequest, "MISSING_FIELD");
        await (await client.PostJsonAsync("/v1/inventory/assistant", new { question = "" })).ErrorAsync(HttpStatusCode.BadRequest, "MISSING_FIELD");
        await (await client.PostJsonAsync("/v1/inventory/suppliers", new { name = "X", leadTimeDays = 999 })).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
    }

    [Fact]
    public async Task Another_tenant_gets_404_and_a_mismatched_tenant_header_403()
    {
        var s = await SetupAsync();
        using var client = s.Tenant.Live();
        var id = await ItemAsync(client, "ISO-1", barcodes: ["5550001"]);
        await (await AdjustAsync(client, id, s.StoreA, 5, "receive", "r")).JsonAsync(HttpStatusCode.Created);
        var transfer = await (await client.PostJsonAsync("/v1/inventory/transfers", new
        {
            fromLocationId = s.StoreA, toLocationId = s.StoreB, lines = new[] { new { itemId = id, quantity = 1m } },
        })).JsonAsync(HttpStatusCode.Created);
        var tid = transfer.GetProperty("transferId").GetString();

        var other = await factory.CreateTenantAsync();
        using var intruder = other.Live();
        await (await intruder.GetAsync($"/v1/inventory/items/{id}")).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        await (await intruder.GetAsync("/v1/inventory/items/by-barcode/5550001")).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        await (await intruder.GetAsync($"/v1/inventory/items/{id}/ledger")).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        await (await AdjustAsync(intruder, id, s.StoreA, -1, "sale", "steal")).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        await (await intruder.GetAsync($"/v1/inventory/transfers/{tid}")).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        await (await intruder.PostAsync($"/v1/inventory/transfers/{tid}/approve", null)).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        var list = await (await intruder.GetAsync("/v1/inventory/items?search=ISO")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(0, list.GetProperty("total").GetInt64());
        // The sandbox partition of the same tenant does not see live items either.
        using var sandbox = s.Tenant.Sandbox();
        await (await sandbox.GetAsync($"/v1/inventory/items/{id}")).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");

        using var mismatched = factory.ClientFor(s.Tenant.LiveKey, other.TenantId);
        await (await mismatched.GetAsync("/v1/inventory/items")).ErrorAsync(HttpStatusCode.Forbidden, "TENANT_MISMATCH");
        Assert.Equal(5m, (await StockAsync(client, id, s.StoreA)).GetProperty("onHand").GetDecimal());
    }
}
