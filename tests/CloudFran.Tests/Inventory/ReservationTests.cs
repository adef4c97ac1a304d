using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CloudFran.Grains.Inventory;
using CloudFran.Tests.Calendar;
using CloudFran.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Xunit;

namespace CloudFran.Tests.Inventory;

/// <summary>Stock reservations over HTTP: holds on available stock, release, fulfilment, replays, no oversell, expiry, isolation.</summary>
[Collection(FakeClockCollection.Name)]
public sealed class ReservationTests(FakeClockPlatformFactory factory)
{
    private sealed record Setup(TestTenant Tenant, string StoreA, string StoreB, string ItemId);

    /// <summary>A tenant with two stores and one item with <paramref name="stock"/> on hand at store A.</summary>
    private async Task<Setup> SetupAsync(decimal stock)
    {
        var tenant = await factory.CreateTenantAsync();
        using var client = tenant.Live();
        var a = await LocationAsync(client, "Store A");
        var b = await LocationAsync(client, "Store B");
        var item = await (await client.PostJsonAsync("/v1/inventory/items", new { sku = "RES-" + Guid.NewGuid().ToString("N")[..8], name = "Lamp" }))
            .JsonAsync(HttpStatusCode.Created);
        var itemId = item.GetProperty("itemId").GetString()!;
        if (stock > 0)
        {
            await (await client.PostJsonAsync($"/v1/inventory/items/{itemId}/adjustments",
                new { locationId = a, delta = stock, reason = "receive", idempotencyKey = "seed" })).JsonAsync(HttpStatusCode.Created);
        }
        return new Setup(tenant, a, b, itemId);
    }

    private static async Task<string> LocationAsync(HttpClient client, string name)
    {
        var location = await (await client.PostJsonAsync("/v1/locations", new
        {
            name, address = new { street = "1 Main St", city = "Austin", country = "US" }, timezone = "America/Chicago",
        })).JsonAsync(HttpStatusCode.Created);
        return location.GetProperty("locationId").GetString()!;
    }

    private static Task<HttpResponseMessage> ReserveAsync(HttpClient client, string itemId, string locationId, decimal quantity, string key,
        string? reference = null, int? expiresInMinutes = null) =>
        client.PostJsonAsync($"/v1/inventory/items/{itemId}/reservations", new { locationId, quantity, reference, expiresInMinutes, idempotencyKey = key });

    private static async Task<(decimal OnHand, decimal Reserved, decimal Available, string Status)> StockAsync(HttpClient client, string itemId, string locationId)
    {
        var item = await (await client.GetAsync($"/v1/inventory/items/{itemId}")).JsonAsync(HttpStatusCode.OK);
        var s = item.GetProperty("locations").EnumerateArray().Single(l => l.GetProperty("locationId").GetString() == locationId);
        return (s.GetProperty("onHand").GetDecimal(), s.GetProperty("reserved").GetDecimal(), s.GetProperty("available").GetDecimal(),
            s.GetProperty("status").GetString()!);
    }

    private async Task<long> ScalarAsync(string sql, params (string Name, object Value)[] args)
    {
        await using var conn = new NpgsqlConnection(factory.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        foreach (var (name, value) in args) cmd.Parameters.AddWithValue(name, value);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync());
    }

    private static string Id(JsonElement reservation) => reservation.GetProperty("reservationId").GetString()!;

    [Fact]
    public async Task Hold_release_and_fulfil_move_reserved_and_on_hand_exactly_once()
    {
        var s = await SetupAsync(10);
        using var client = s.Tenant.Live();

        var first = await (await ReserveAsync(client, s.ItemId, s.StoreA, 3, "order-1", reference: "ord_1001", expiresInMinutes: 60))
            .JsonAsync(HttpStatusCode.Created);
        Assert.StartsWith("res_", Id(first));
        Assert.Equal("held", first.GetProperty("status").GetString());
        Assert.Equal(3m, first.GetProperty("quantity").GetDecimal());
        Assert.Equal("ord_1001", first.GetProperty("reference").GetString());
        Assert.Equal(s.ItemId, first.GetProperty("itemId").GetString());
        Assert.Equal(s.StoreA, first.GetProperty("locationId").GetString());
        Assert.Equal(first.GetProperty("createdAt").GetDateTimeOffset().AddMinutes(60), first.GetProperty("expiresAt").GetDateTimeOffset());
        Assert.Equal((10m, 3m, 7m, "active"), await StockAsync(client, s.ItemId, s.StoreA));

        var second = await (await ReserveAsync(client, s.ItemId, s.StoreA, 2, "order-2")).JsonAsync(HttpStatusCode.Created);
        Assert.Equal(JsonValueKind.Null, second.GetProperty("expiresAt").ValueKind);
        Assert.Equal((10m, 5m, 5m, "active"), await StockAsync(client, s.ItemId, s.StoreA));

        // Release: held → released; the same call again answers the same and moves nothing.
        var released = await (await client.PostAsync($"/v1/inventory/reservations/{Id(first)}/release", null)).JsonAsync(HttpStatusCode.OK);
        Assert.Equal("released", released.GetProperty("status").GetString());
        Assert.Equal("manual", released.GetProperty("releaseReason").GetString());
        var again = await (await client.PostAsync($"/v1/inventory/reservations/{Id(first)}/release", null)).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(released.GetProperty("releasedAt").GetDateTimeOffset(), again.GetProperty("releasedAt").GetDateTimeOffset());
        Assert.Equal((10m, 2m, 8m, "active"), await StockAsync(client, s.ItemId, s.StoreA));
        await (await client.PostAsync($"/v1/inventory/reservations/{Id(first)}/fulfill", null)).ErrorAsync(HttpStatusCode.Conflict, "INVALID_TRANSITION");

        // Fulfil: held → fulfilled; reserved and on hand both drop, once, with one sale entry naming the reservation.
        var fulfilled = await (await client.PostAsync($"/v1/inventory/reservations/{Id(second)}/fulfill", null)).JsonAsync(HttpStatusCode.OK);
        Assert.Equal("fulfilled", fulfilled.GetProperty("status").GetString());
        var entryId = fulfilled.GetProperty("ledgerEntryId").GetInt64();
        var twice = await (await client.PostAsync($"/v1/inventory/reservations/{Id(second)}/fulfill", null)).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(entryId, twice.GetProperty("ledgerEntryId").GetInt64());
        Assert.Equal((8m, 0m, 8m, "active"), await StockAsync(client, s.ItemId, s.StoreA));
        await (await client.PostAsync($"/v1/inventory/reservations/{Id(second)}/release", null)).ErrorAsync(HttpStatusCode.Conflict, "INVALID_TRANSITION");

        var ledger = await (await client.GetAsync($"/v1/inventory/items/{s.ItemId}/ledger")).JsonAsync(HttpStatusCode.OK);
        var sales = ledger.GetProperty("data").EnumerateArray().Where(e => e.GetProperty("reason").GetString() == "sale").ToList();
        var sale = Assert.Single(sales);
        Assert.Equal(entryId, sale.GetProperty("entryId").GetInt64());
        Assert.Equal(-2m, sale.GetProperty("appliedDelta").GetDecimal());
        Assert.Equal(8m, sale.GetProperty("onHandAfter").GetDecimal());
        Assert.Equal(Id(second), sale.GetProperty("reservationId").GetString());
        Assert.Equal(2, ledger.GetProperty("total").GetInt64()); // the seed receive and the one sale

        // Reads.
        var read = await (await client.GetAsync($"/v1/inventory/reservations/{Id(second)}")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal("fulfilled", read.GetProperty("status").GetString());
        var all = await (await client.GetAsync($"/v1/inventory/items/{s.ItemId}/reservations")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(2, all.GetProperty("total").GetInt64());
        var onlyFulfilled = await (await client.GetAsync($"/v1/inventory/items/{s.ItemId}/reservations?status=fulfilled")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(Id(second), Id(Assert.Single(onlyFulfilled.GetProperty("data").EnumerateArray())));
        var held = await (await client.GetAsync($"/v1/inventory/items/{s.ItemId}/reservations?status=held")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(0, held.GetProperty("total").GetInt64());
    }

    [Fact]
    public async Task A_hold_beyond_available_stock_is_refused_unless_negative_stock_is_allowed()
    {
        var s = await SetupAsync(5);
        using var client = s.Tenant.Live();
        await (await ReserveAsync(client, s.ItemId, s.StoreA, 4, "a")).JsonAsync(HttpStatusCode.Created);
        var refused = await (await ReserveAsync(client, s.ItemId, s.StoreA, 2, "b")).ErrorAsync(HttpStatusCode.Conflict, "INSUFFICIENT_STOCK");
        Assert.Contains("1 available", refused.GetProperty("message").GetString());
        await (await ReserveAsync(client, s.ItemId, s.StoreA, 1, "c")).JsonAsync(HttpStatusCode.Created);
        // A location with no stock at all has nothing available.
        await (await ReserveAsync(client, s.ItemId, s.StoreB, 1, "d")).ErrorAsync(HttpStatusCode.Conflict, "INSUFFICIENT_STOCK");
        Assert.Equal((5m, 5m, 0m, "out_of_stock"), await StockAsync(client, s.ItemId, s.StoreA));
        // The refused key was not used up: after stock arrives the same key holds.
        await (await client.PostJsonAsync($"/v1/inventory/items/{s.ItemId}/adjustments",
            new { locationId = s.StoreA, delta = 2m, reason = "receive", idempotencyKey = "more" })).JsonAsync(HttpStatusCode.Created);
        await (await ReserveAsync(client, s.ItemId, s.StoreA, 2, "b")).JsonAsync(HttpStatusCode.Created);

        await (await client.PutJsonAsync("/v1/inventory/settings", new { allowNegativeStock = true })).JsonAsync(HttpStatusCode.OK);
        await (await ReserveAsync(client, s.ItemId, s.StoreA, 3, "e")).JsonAsync(HttpStatusCode.Created);
        Assert.Equal((7m, 10m, -3m, "out_of_stock"), await StockAsync(client, s.ItemId, s.StoreA));
    }

    [Fact]
    public async Task A_repeated_idempotency_key_returns_the_first_reservation_without_a_second_hold()
    {
        var s = await SetupAsync(10);
        using var client = s.Tenant.Live();
        var first = await (await ReserveAsync(client, s.ItemId, s.StoreA, 4, "checkout-77", reference: "ord_77")).JsonAsync(HttpStatusCode.Created);
        var replay = await (await ReserveAsync(client, s.ItemId, s.StoreA, 4, "checkout-77", reference: "ord_77")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(Id(first), Id(replay));
        Assert.Equal((10m, 4m, 6m, "active"), await StockAsync(client, s.ItemId, s.StoreA));

        // The key may come in the Idempotency-Key header instead.
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/inventory/items/{s.ItemId}/reservations")
        {
            Content = JsonContent.Create(new { locationId = s.StoreA, quantity = 1m }),
        };
        request.Headers.Add("Idempotency-Key", "hdr-1");
        var viaHeader = await (await client.SendAsync(request)).JsonAsync(HttpStatusCode.Created);
        using var repeat = new HttpRequestMessage(HttpMethod.Post, $"/v1/inventory/items/{s.ItemId}/reservations")
        {
            Content = JsonContent.Create(new { locationId = s.StoreA, quantity = 1m }),
        };
        repeat.Headers.Add("Idempotency-Key", "hdr-1");
        Assert.Equal(Id(viaHeader), Id(await (await client.SendAsync(repeat)).JsonAsync(HttpStatusCode.OK)));

        // The same key for a different hold is refused.
        await (await ReserveAsync(client, s.ItemId, s.StoreA, 5, "checkout-77", reference: "ord_77"))
            .ErrorAsync(HttpStatusCode.Conflict, "IDEMPOTENCY_KEY_REUSED");
        Assert.Equal((10m, 5m, 5m, "active"), await StockAsync(client, s.ItemId, s.StoreA));
        Assert.Equal(2, await ScalarAsync("SELECT count(*) FROM inventory_reservations WHERE tenant_id = @t AND item_id = @i",
            ("t", s.Tenant.TenantId), ("i", s.ItemId)));
    }

    [Fact]
    public async Task Twenty_concurrent_holds_on_ten_units_hold_exactly_ten()
    {
        var s = await SetupAsync(10);
        using var client = s.Tenant.Live();
        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => ReserveAsync(client, s.ItemId, s.StoreA, 1, $"race-{i}")));
        var statuses = responses.Select(r => r.StatusCode).ToList();
        Assert.Equal(10, statuses.Count(c => c == HttpStatusCode.Created));
        Assert.Equal(10, statuses.Count(c => c == HttpStatusCode.Conflict));
        foreach (var refused in responses.Where(r => r.StatusCode == HttpStatusCode.Conflict))
        {
            await refused.ErrorAsync(HttpStatusCode.Conflict, "INSUFFICIENT_STOCK");
        }
        Assert.Equal((10m, 10m, 0m, "out_of_stock"), await StockAsync(client, s.ItemId, s.StoreA));
        Assert.Equal(10, await ScalarAsync(
            "SELECT coalesce(sum(quantity), 0) FROM inventory_reservations WHERE tenant_id = @t AND item_id = @i AND status = 'held'",
            ("t", s.Tenant.TenantId), ("i", s.ItemId)));
        Assert.Equal(10, await ScalarAsync("SELECT reserved FROM inventory_stock WHERE tenant_id = @t AND item_id = @i AND location_id = @l",
            ("t", s.Tenant.TenantId), ("i", s.ItemId), ("l", s.StoreA)));
    }

    [Fact]
    public async Task An_expired_hold_is_released_by_the_sweep_through_the_item_grain()
    {
        var s = await SetupAsync(6);
        using var client = s.Tenant.Live();
        var shortHold = await (await ReserveAsync(client, s.ItemId, s.StoreA, 2, "short", expiresInMinutes: 5)).JsonAsync(HttpStatusCode.Created);
        var longHold = await (await ReserveAsync(client, s.ItemId, s.StoreA, 1, "long", expiresInMinutes: 120)).JsonAsync(HttpStatusCode.Created);
        var open = await (await ReserveAsync(client, s.ItemId, s.StoreA, 1, "open")).JsonAsync(HttpStatusCode.Created);
        Assert.Equal((6m, 4m, 2m, "active"), await StockAsync(client, s.ItemId, s.StoreA));

        var sweeper = factory.Services.GetServices<IHostedService>().OfType<ReservationExpirySweeper>().Single();
        await sweeper.RunOnceAsync(CancellationToken.None);
        Assert.Equal("held", (await (await client.GetAsync($"/v1/inventory/reservations/{Id(shortHold)}")).JsonAsync(HttpStatusCode.OK))
            .GetProperty("status").GetString());

        factory.Clock.Advance(TimeSpan.FromMinutes(6));
        await sweeper.RunOnceAsync(CancellationToken.None);
        var expired = await (await client.GetAsync($"/v1/inventory/reservations/{Id(shortHold)}")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal("released", expired.GetProperty("status").GetString());
        Assert.Equal("expired", expired.GetProperty("releaseReason").GetString());
        Assert.Equal((6m, 2m, 4m, "active"), await StockAsync(client, s.ItemId, s.StoreA));
        // A second sweep changes nothing; the expired hold can no longer be fulfilled.
        await sweeper.RunOnceAsync(CancellationToken.None);
        Assert.Equal((6m, 2m, 4m, "active"), await StockAsync(client, s.ItemId, s.StoreA));
        await (await client.PostAsync($"/v1/inventory/reservations/{Id(shortHold)}/fulfill", null)).ErrorAsync(HttpStatusCode.Conflict, "INVALID_TRANSITION");
        foreach (var other in new[] { longHold, open })
        {
            Assert.Equal("held", (await (await client.GetAsync($"/v1/inventory/reservations/{Id(other)}")).JsonAsync(HttpStatusCode.OK))
                .GetProperty("status").GetString());
        }
    }

    [Fact]
    public async Task Holds_drive_the_threshold_events_on_available_stock()
    {
        var s = await SetupAsync(10);
        using var client = s.Tenant.Live();
        await (await client.PutJsonAsync($"/v1/inventory/items/{s.ItemId}/locations/{s.StoreA}/levels", new { reorderPoint = 3m }))
            .JsonAsync(HttpStatusCode.OK);
        var big = await (await ReserveAsync(client, s.ItemId, s.StoreA, 8, "big")).JsonAsync(HttpStatusCode.Created);
        Assert.Equal("low_stock", (await StockAsync(client, s.ItemId, s.StoreA)).Status);
        var rest = await (await ReserveAsync(client, s.ItemId, s.StoreA, 2, "rest")).JsonAsync(HttpStatusCode.Created);
        Assert.Equal("out_of_stock", (await StockAsync(client, s.ItemId, s.StoreA)).Status);
        await (await client.PostAsync($"/v1/inventory/reservations/{Id(rest)}/fulfill", null)).JsonAsync(HttpStatusCode.OK);
        await (await client.PostAsync($"/v1/inventory/reservations/{Id(big)}/release", null)).JsonAsync(HttpStatusCode.OK);
        Assert.Equal((8m, 0m, 8m, "active"), await StockAsync(client, s.ItemId, s.StoreA));
        Assert.Equal(1, await ScalarAsync("SELECT count(*) FROM outbox_events WHERE tenant_id = @t AND event_type = 'inventory.low_stock'",
            ("t", s.Tenant.TenantId)));
        Assert.Equal(1, await ScalarAsync("SELECT count(*) FROM outbox_events WHERE tenant_id = @t AND event_type = 'inventory.out_of_stock'",
            ("t", s.Tenant.TenantId)));
    }

    [Fact]
    public async Task Another_tenant_gets_404_and_a_mismatched_tenant_header_403()
    {
        var s = await SetupAsync(5);
        using var client = s.Tenant.Live();
        var reservation = await (await ReserveAsync(client, s.ItemId, s.StoreA, 2, "mine")).JsonAsync(HttpStatusCode.Created);
        var id = Id(reservation);

        var other = await factory.CreateTenantAsync();
        using var intruder = other.Live();
        await (await intruder.GetAsync($"/v1/inventory/reservations/{id}")).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        await (await intruder.PostAsync($"/v1/inventory/reservations/{id}/release", null)).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        await (await intruder.PostAsync($"/v1/inventory/reservations/{id}/fulfill", null)).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        await (await intruder.GetAsync($"/v1/inventory/items/{s.ItemId}/reservations")).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        await (await ReserveAsync(intruder, s.ItemId, s.StoreA, 1, "steal")).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        using var sandbox = s.Tenant.Sandbox();
        await (await sandbox.GetAsync($"/v1/inventory/reservations/{id}")).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");

        using var mismatched = factory.ClientFor(s.Tenant.LiveKey, other.TenantId);
        await (await mismatched.GetAsync($"/v1/inventory/reservations/{id}")).ErrorAsync(HttpStatusCode.Forbidden, "TENANT_MISMATCH");
        await (await mismatched.PostAsync($"/v1/inventory/reservations/{id}/release", null)).ErrorAsync(HttpStatusCode.Forbidden, "TENANT_MISMATCH");

        using var viewer = factory.ClientFor(await s.Tenant.CreateKeyAsync("viewer"), s.Tenant.TenantId);
        await (await ReserveAsync(viewer, s.ItemId, s.StoreA, 1, "v")).ErrorAsync(HttpStatusCode.Forbidden, "INSUFFICIENT_ROLE");
        await (await viewer.PostAsync($"/v1/inventory/reservations/{id}/release", null)).ErrorAsync(HttpStatusCode.Forbidden, "INSUFFICIENT_ROLE");
        await (await viewer.GetAsync($"/v1/inventory/reservations/{id}")).JsonAsync(HttpStatusCode.OK);

        Assert.Equal("held", (await (await client.GetAsync($"/v1/inventory/reservations/{id}")).JsonAsync(HttpStatusCode.OK)).GetProperty("status").GetString());
        Assert.Equal((5m, 2m, 3m, "active"), await StockAsync(client, s.ItemId, s.StoreA));
    }

    [Fact]
    public async Task Bad_input_answers_400_with_the_envelope_and_holds_nothing()
    {
        var s = await SetupAsync(5);
        using var client = s.Tenant.Live();
        var url = $"/v1/inventory/items/{s.ItemId}/reservations";
        await (await client.PostJsonAsync(url, new { locationId = s.StoreA, idempotencyKey = "k" })).ErrorAsync(HttpStatusCode.BadRequest, "MISSING_FIELD");
        await (await client.PostJsonAsync(url, new { locationId = s.StoreA, quantity = 1m })).ErrorAsync(HttpStatusCode.BadRequest, "MISSING_FIELD");
        await (await client.PostJsonAsync(url, new { quantity = 1m, idempotencyKey = "k" })).ErrorAsync(HttpStatusCode.BadRequest, "MISSING_FIELD");
        foreach (var quantity in new[] { 0m, -1m, 1.0005m, 2_000_000_000m })
        {
            await (await ReserveAsync(client, s.ItemId, s.StoreA, quantity, "k")).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        }
        await (await ReserveAsync(client, s.ItemId, s.StoreA, 1, "k", expiresInMinutes: 0)).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await ReserveAsync(client, s.ItemId, s.StoreA, 1, "k", expiresInMinutes: 10_081)).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await ReserveAsync(client, s.ItemId, s.StoreA, 1, "k", reference: new string('r', 201))).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await ReserveAsync(client, s.ItemId, s.StoreA, 1, new string('k', 201))).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await ReserveAsync(client, s.ItemId, "store-a", 1, "k")).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        var wrongType = new StringContent("""{"locationId":"x","quantity":"lots","idempotencyKey":"k"}""", System.Text.Encoding.UTF8, "application/json");
        var typed = await client.PostAsync(url, wrongType);
        Assert.Equal(HttpStatusCode.BadRequest, typed.StatusCode);
        Assert.True((await typed.Content.ReadFromJsonAsync<JsonElement>()).TryGetProperty("error", out _));
        await (await client.GetAsync($"{url}?status=pending")).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");

        // Well-formed but unknown: 404.
        await (await ReserveAsync(client, s.ItemId, "loc_doesnotexist00", 1, "k")).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        await (await ReserveAsync(client, "itm_doesnotexist00", s.StoreA, 1, "k")).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        await (await client.GetAsync("/v1/inventory/reservations/not-an-id")).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        await (await client.PostAsync("/v1/inventory/reservations/res_doesnotexist00/fulfill", null)).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        // Adjustment keys may not take the prefix of fulfilment entries.
        await (await client.PostJsonAsync($"/v1/inventory/items/{s.ItemId}/adjustments",
            new { locationId = s.StoreA, delta = -1m, reason = "sale", idempotencyKey = "rs:res_x:fulfill" })).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");

        Assert.Equal((5m, 0m, 5m, "active"), await StockAsync(client, s.ItemId, s.StoreA));
    }
}

/// <summary>
/// Acknowledged reservation changes survive the process: a hold and its fulfilment are answered, the host is stopped,
/// a new one starts on the same database, and the same calls again replay instead of moving stock twice.
/// </summary>
public sealed class ReservationRestartTests
{
    [Fact]
    public async Task Holds_and_fulfilments_are_persisted_before_the_answer_and_replay_after_a_restart()
    {
        string connectionString, tenantId, key, store, itemId, reservationId;
        long entryId;
        await using (var first = new PlatformFactory())
        {
            connectionString = first.ConnectionString;
            var tenant = await first.CreateTenantAsync();
            (tenantId, key) = (tenant.TenantId, tenant.LiveKey);
            using var client = tenant.Live();
            store = (await (await client.PostJsonAsync("/v1/locations", new
            {
                name = "Depot", address = new { street = "3 Yard Ln", city = "Boise", country = "US" }, timezone = "America/Denver",
            })).JsonAsync(HttpStatusCode.Created)).GetProperty("locationId").GetString()!;
            itemId = (await (await client.PostJsonAsync("/v1/inventory/items", new { sku = "RST-1", name = "Chair" })).JsonAsync(HttpStatusCode.Created))
                .GetProperty("itemId").GetString()!;
            await (await client.PostJsonAsync($"/v1/inventory/items/{itemId}/adjustments", new { locationId = store, delta = 5, reason = "receive", idempotencyKey = "in" }))
                .JsonAsync(HttpStatusCode.Created);
            var held = await (await client.PostJsonAsync($"/v1/inventory/items/{itemId}/reservations", new { locationId = store, quantity = 3m, idempotencyKey = "o-1" }))
                .JsonAsync(HttpStatusCode.Created);
            reservationId = held.GetProperty("reservationId").GetString()!;
            entryId = (await (await client.PostAsync($"/v1/inventory/reservations/{reservationId}/fulfill", null)).JsonAsync(HttpStatusCode.OK))
                .GetProperty("ledgerEntryId").GetInt64();
        }

        await using var second = PlatformFactory.OnDatabase(connectionString);
        using var again = second.ClientFor(key, tenantId);
        var replay = await (await again.PostJsonAsync($"/v1/inventory/items/{itemId}/reservations", new { locationId = store, quantity = 3m, idempotencyKey = "o-1" }))
            .JsonAsync(HttpStatusCode.OK);
        Assert.Equal(reservationId, replay.GetProperty("reservationId").GetString());
        Assert.Equal("fulfilled", replay.GetProperty("status").GetString());
        Assert.Equal(entryId, (await (await again.PostAsync($"/v1/inventory/reservations/{reservationId}/fulfill", null)).JsonAsync(HttpStatusCode.OK))
            .GetProperty("ledgerEntryId").GetInt64());
        var item = await (await again.GetAsync($"/v1/inventory/items/{itemId}")).JsonAsync(HttpStatusCode.OK);
        var stock = item.GetProperty("locations").EnumerateArray().Single();
        Assert.Equal(2m, stock.GetProperty("onHand").GetDecimal());
        Assert.Equal(0m, stock.GetProperty("reserved").GetDecimal());
        var ledger = await (await again.GetAsync($"/v1/inventory/items/{itemId}/ledger")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(2, ledger.GetProperty("total").GetInt64()); // the receive and one sale
        await (await again.PostJsonAsync($"/v1/inventory/items/{itemId}/reservations", new { locationId = store, quantity = 3m, idempotencyKey = "o-2" }))
            .ErrorAsync(HttpStatusCode.Conflict, "INSUFFICIENT_STOCK");
    }
}
