using CloudFran.Abstractions.Errors;
using CloudFran.Abstractions.Inventory;
using CloudFran.Abstractions.Keys;
using CloudFran.Grains.Storage;
using Npgsql;

namespace CloudFran.Grains.Inventory;

/// <summary>An item's catalogue fields as stored in <c>inventory_items</c>.</summary>
public sealed record ItemRecord(string ItemId, string Sku, string Name, IReadOnlyList<string> Barcodes, string? Category, string Unit,
    decimal? Cost, decimal? Price, string? SupplierId, bool Discontinued, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public ItemView View(IReadOnlyList<LocationStockView> locations, string? storeId)
    {
        var shown = storeId is null ? locations : locations.Where(l => l.LocationId == storeId).ToList();
        var status = Discontinued ? "discontinued"
            : shown.Any(l => l.Status == "out_of_stock") ? "out_of_stock"
            : shown.Any(l => l.Status == "low_stock") ? "low_stock"
            : "active";
        return new ItemView(ItemId, Sku, Name, Barcodes, Category, Unit, Cost, Price, SupplierId, status, Discontinued, shown, CreatedAt, UpdatedAt);
    }

    public string SearchText => string.Join(' ', new[] { Name, Sku }.Concat(Barcodes)).ToLowerInvariant();

    // Equality by value, including the barcode list (records compare lists by reference).
    public bool Equals(ItemRecord? other) =>
        other is not null && ItemId == other.ItemId && Sku == other.Sku && Name == other.Name && Barcodes.SequenceEqual(other.Barcodes)
        && Category == other.Category && Unit == other.Unit && Cost == other.Cost && Price == other.Price && SupplierId == other.SupplierId
        && Discontinued == other.Discontinued && CreatedAt == other.CreatedAt && UpdatedAt == other.UpdatedAt;

    public override int GetHashCode() => HashCode.Combine(ItemId, Sku, Name, UpdatedAt);
}

/// <summary>One location's stock of an item. Version 0 = no row yet.</summary>
public sealed record Stock(string LocationId, decimal OnHand, decimal Reserved, decimal InTransit, decimal? Min, decimal? ReorderPoint,
    decimal? Max, decimal? ReorderMultiple, string Alert, DateTimeOffset? LastCountAt, long Version, DateTimeOffset UpdatedAt)
{
    public bool IsNew => Version == 0;

    public static Stock New(string locationId, DateTimeOffset now) => new(locationId, 0, 0, 0, null, null, null, null, "ok", null, 0, now);

    public LocationStockView View() => new(LocationId, OnHand, Reserved, InTransit, OnHand - Reserved, Min, ReorderPoint, Max, ReorderMultiple,
        Thresholds.Status(Alert), LastCountAt, UpdatedAt);
}

/// <summary>SQL of the inventory tables, shared by the item grain, the directory and the importer.</summary>
public static class InventoryRows
{
    public const string ItemColumns =
        "i.item_id, i.sku, i.name, i.barcodes, i.category, i.unit, i.cost, i.price, i.supplier_id, i.discontinued, i.created_at, i.updated_at";

    public const string StockColumns =
        "s.location_id, s.on_hand, s.reserved, s.in_transit, s.min_qty, s.reorder_point, s.max_qty, s.reorder_multiple, s.alert_state, s.last_count_at, s.version, s.updated_at";

    public const string LedgerColumns =
        "entry_id, item_id, location_id, kind, reason, quantity, applied_delta, on_hand_after, applied, explanation, client_ts, recorded_at, actor, note, transfer_id, idempotency_key, fingerprint, reservation_id";

    public static ItemRecord ReadItem(NpgsqlDataReader r, int o = 0) => new(
        r.GetString(o), r.GetString(o + 1), r.GetString(o + 2), r.GetFieldValue<string[]>(o + 3),
        r.IsDBNull(o + 4) ? null : r.GetString(o + 4), r.GetString(o + 5),
        r.IsDBNull(o + 6) ? null : r.GetDecimal(o + 6), r.IsDBNull(o + 7) ? null : r.GetDecimal(o + 7),
        r.IsDBNull(o + 8) ? null : r.GetString(o + 8), r.GetBoolean(o + 9),
        new DateTimeOffset(r.GetDateTime(o + 10), TimeSpan.Zero), new DateTimeOffset(r.GetDateTime(o + 11), TimeSpan.Zero));

    public static Stock ReadStock(NpgsqlDataReader r, int o = 0) => new(
        r.GetString(o), r.GetDecimal(o + 1), r.GetDecimal(o + 2), r.GetDecimal(o + 3),
        r.IsDBNull(o + 4) ? null : r.GetDecimal(o + 4), r.IsDBNull(o + 5) ? null : r.GetDecimal(o + 5),
        r.IsDBNull(o + 6) ? null : r.GetDecimal(o + 6), r.IsDBNull(o + 7) ? null : r.GetDecimal(o + 7),
        r.GetString(o + 8), r.IsDBNull(o + 9) ? null : new DateTimeOffset(r.GetDateTime(o + 9), TimeSpan.Zero),
        r.GetInt64(o + 10), new DateTimeOffset(r.GetDateTime(o + 11), TimeSpan.Zero));

    public static (LedgerEntryView Entry, string Fingerprint) ReadLedger(NpgsqlDataReader r) => (new LedgerEntryView(
        r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetDecimal(5), r.GetDecimal(6), r.GetDecimal(7),
        r.GetBoolean(8), r.IsDBNull(9) ? null : r.GetString(9), new DateTimeOffset(r.GetDateTime(10), TimeSpan.Zero),
        new DateTimeOffset(r.GetDateTime(11), TimeSpan.Zero), r.IsDBNull(12) ? null : r.GetString(12), r.IsDBNull(13) ? null : r.GetString(13),
        r.IsDBNull(14) ? null : r.GetString(14), r.GetString(15), r.IsDBNull(17) ? null : r.GetString(17)), r.GetString(16));

    public static Task<ItemRecord?> LoadItemAsync(PlatformDb db, TenantScope scope, string itemId) =>
        db.QuerySingleAsync($"SELECT {ItemColumns} FROM inventory_items i WHERE i.tenant_id = @t AND i.env = @e AND i.item_id = @id AND i.deleted_at IS NULL",
            r => ReadItem(r), ("t", scope.TenantId), ("e", scope.EnvName), ("id", itemId));

    public static Task<List<Stock>> LoadStockAsync(PlatformDb db, TenantScope scope, string itemId) =>
        db.QueryAsync($"SELECT {StockColumns} FROM inventory_stock s WHERE s.tenant_id = @t AND s.env = @e AND s.item_id = @id",
            r => ReadStock(r), ("t", scope.TenantId), ("e", scope.EnvName), ("id", itemId));

    public static async Task InsertItemAsync(ISql sql, TenantScope scope, ItemRecord item)
    {
        await RunAsync(sql,
            """
            INSERT INTO inventory_items (tenant_id, env, item_id, sku, name, category, unit, cost, price, supplier_id, barcodes, discontinued,
                                         search_text, created_at, updated_at)
            VALUES (@t, @e, @id, @sku, @name, @cat, @unit, @cost, @price, @sup, @codes, @disc, @search, @now, @now)
            """, scope, item);
        await InsertBarcodesAsync(sql, scope, item);
    }

    public static async Task UpdateItemAsync(ISql sql, TenantScope scope, ItemRecord item, bool barcodesChanged)
    {
        await RunAsync(sql,
            """
            UPDATE inventory_items SET sku = @sku, name = @name, category = @cat, unit = @unit, cost = @cost, price = @price, supplier_id = @sup,
                   barcodes = @codes, discontinued = @disc, search_text = @search, updated_at = @now
             WHERE tenant_id = @t AND env = @e AND item_id = @id AND deleted_at IS NULL
            """, scope, item);
        if (barcodesChanged)
        {
            await sql.ExecuteAsync("DELETE FROM inventory_barcodes WHERE tenant_id = @t AND env = @e AND item_id = @id",
                ("t", scope.TenantId), ("e", scope.EnvName), ("id", item.ItemId));
            await InsertBarcodesAsync(sql, scope, item);
        }
    }

    public static Task DeleteItemAsync(ISql sql, TenantScope scope, string itemId, DateTimeOffset now) =>
        sql.ExecuteAsync(
            """
            DELETE FROM inventory_barcodes WHERE tenant_id = @t AND env = @e AND item_id = @id;
            UPDATE inventory_items SET deleted_at = @now, updated_at = @now WHERE tenant_id = @t AND env = @e AND item_id = @id;
            """,
            ("t", scope.TenantId), ("e", scope.EnvName), ("id", itemId), ("now", now));

    private static async Task RunAsync(ISql sql, string statement, TenantScope scope, ItemRecord item)
    {
        try
        {
            await sql.ExecuteAsync(statement,
                ("t", scope.TenantId), ("e", scope.EnvName), ("id", item.ItemId), ("sku", item.Sku), ("name", item.Name), ("cat", item.Category),
                ("unit", item.Unit), ("cost", item.Cost), ("price", item.Price), ("sup", item.SupplierId), ("codes", item.Barcodes.ToArray()),
                ("disc", item.Discontinued), ("search", item.SearchText), ("now", item.UpdatedAt));
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw new CloudFranException(ErrorKind.Conflict, ErrorCodes.Conflict, $"An item with SKU '{item.Sku}' already exists.",
                [new FieldError("sku", "sku must be unique within the tenant.")]);
        }
    }

    private static async Task InsertBarcodesAsync(ISql sql, TenantScope scope, ItemRecord item)
    {
        if (item.Barcodes.Count == 0)
        {
            return;
        }
        try
        {
            await sql.ExecuteAsync(
                "INSERT INTO inventory_barcodes (tenant_id, env, barcode, item_id) SELECT @t, @e, b, @id FROM unnest(@codes) AS b",
                ("t", scope.TenantId), ("e", scope.EnvName), ("id", item.ItemId), ("codes", item.Barcodes.ToArray()));
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw new CloudFranException(ErrorKind.Conflict, ErrorCodes.Conflict, "A barcode of this item already belongs to another item.",
                [new FieldError("barcodes", "each barcode must identify one item of the tenant.")]);
        }
    }

    /// <summary>Inserts or updates one stock row, guarded by the version the grain read; returns the row as written.</summary>
    public static async Task<Stock> WriteStockAsync(ISql sql, TenantScope scope, string itemId, Stock next, Stock before)
    {
        var version = await sql.ScalarAsync<long?>(
            """
            INSERT INTO inventory_stock AS s (tenant_id, env, item_id, location_id, on_hand, reserved, in_transit, min_qty, reorder_point, max_qty,
                                              reorder_multiple, alert_state, status, last_count_at, version, updated_at)
            VALUES (@t, @e, @id, @loc, @on, @res, @tr, @min, @rp, @max, @mul, @alert, @status, @count, 1, @now)
            ON CONFLICT (tenant_id, env, item_id, location_id) DO UPDATE
               SET on_hand = excluded.on_hand, reserved = excluded.reserved, in_transit = excluded.in_transit, min_qty = excluded.min_qty,
                   reorder_point = excluded.reorder_point, max_qty = excluded.max_qty, reorder_multiple = excluded.reorder_multiple,
                   alert_state = excluded.alert_state, status = excluded.status, last_count_at = excluded.last_count_at,
                   version = s.version + 1, updated_at = excluded.updated_at
             WHERE s.version = @version
            RETURNING s.version
            """,
            ("t", scope.TenantId), ("e", scope.EnvName), ("id", itemId), ("loc", next.LocationId), ("on", next.OnHand), ("res", next.Reserved),
            ("tr", next.InTransit), ("min", next.Min), ("rp", next.ReorderPoint), ("max", next.Max), ("mul", next.ReorderMultiple),
            ("alert", next.Alert), ("status", Thresholds.Status(next.Alert)), ("count", next.LastCountAt), ("now", next.UpdatedAt),
            ("version", before.Version));
        if (version is not long v || (before.IsNew && v != 1))
        {
            throw new InvalidOperationException(
                $"Stock row {itemId}/{next.LocationId} changed under this activation (expected version {before.Version}).");
        }
        return next with { Version = v };
    }

    /// <summary>Inserts the ledger row; null when the idempotency key is already used for this item.</summary>
    public static Task<LedgerEntryView?> InsertLedgerAsync(ISql sql, TenantScope scope, string itemId,
        string locationId, string key, string fingerprint, string kind, string reason, decimal quantity, decimal applied, decimal onHandAfter,
        bool wasApplied, string? explanation, DateTimeOffset clientTs, DateTimeOffset now, string? actor, string? note, string? transferId,
        string? reservationId = null) =>
        sql.QuerySingleAsync(
            $"""
            INSERT INTO inventory_ledger (tenant_id, env, item_id, location_id, idempotency_key, fingerprint, kind, reason, quantity, applied_delta,
                                          on_hand_after, applied, explanation, client_ts, recorded_at, actor, note, transfer_id, reservation_id)
            VALUES (@t, @e, @id, @loc, @key, @fp, @kind, @reason, @qty, @applied, @after, @was, @why, @ts, @now, @actor, @note, @tr, @res)
            ON CONFLICT (tenant_id, env, item_id, idempotency_key) DO NOTHING
            RETURNING {LedgerColumns}
            """,
            r => ReadLedger(r).Entry,
            ("t", scope.TenantId), ("e", scope.EnvName), ("id", itemId), ("loc", locationId), ("key", key), ("fp", fingerprint), ("kind", kind),
            ("reason", reason), ("qty", quantity), ("applied", applied), ("after", onHandAfter), ("was", wasApplied), ("why", explanation),
            ("ts", clientTs), ("now", now), ("actor", actor), ("note", note), ("tr", transferId), ("res", reservationId));

    public static async Task<(LedgerEntryView Entry, string Fingerprint)?> LedgerByKeyAsync(PlatformDb db, TenantScope scope, string itemId, string key)
    {
        var rows = await db.QueryAsync(
            $"SELECT {LedgerColumns} FROM inventory_ledger WHERE tenant_id = @t AND env = @e AND item_id = @id AND idempotency_key = @key",
            ReadLedger, ("t", scope.TenantId), ("e", scope.EnvName), ("id", itemId), ("key", key));
        return rows.Count == 0 ? null : rows[0];
    }

    /// <summary>On-hand changes already applied at a location that are dated after <paramref name="at"/> (not counts).</summary>
    public static Task<decimal> SumLaterChangesAsync(ISql sql, TenantScope scope, string itemId, string locationId, DateTimeOffset at) =>
        sql.ScalarAsync<decimal>(
            """
            SELECT coalesce(sum(applied_delta), 0) FROM inventory_ledger
             WHERE tenant_id = @t AND env = @e AND item_id = @id AND location_id = @loc AND client_ts > @at AND applied AND kind <> 'count'
            """,
            ("t", scope.TenantId), ("e", scope.EnvName), ("id", itemId), ("loc", locationId), ("at", at));
}
