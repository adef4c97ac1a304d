using CloudFran.Abstractions.Errors;
using CloudFran.Abstractions.Inventory;
using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Platform;
using CloudFran.Grains.Storage;
using Npgsql;
using Orleans.Concurrency;

namespace CloudFran.Grains.Inventory;

/// <summary>
/// See <see cref="IInventoryDirectoryGrain"/>: queries over a tenant partition's inventory tables. It never writes
/// stock itself except for rows of items it has just created in the same transaction (CSV import); changes to
/// existing items go through their grains.
/// </summary>
// Stateless: calls may interleave, so one worker overlaps many database round-trips.
[StatelessWorker, Reentrant]
public sealed class InventoryDirectoryGrain(PlatformDb db, TimeProvider clock, IGrainFactory grains) : Grain, IInventoryDirectoryGrain
{
    private TenantScope Scope { get; set; }

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        Scope = ScopedKey.Parse(this.GetPrimaryKeyString()).Scope;
        return Task.CompletedTask;
    }

    public async Task<PagedList<ItemView>> ListItemsAsync(ItemQuery q)
    {
        var scope = Scope;
        var pattern = string.IsNullOrWhiteSpace(q.Search) ? null : "%" + Like(q.Search.Trim().ToLowerInvariant()) + "%";
        const string stockAt = "SELECT 1 FROM inventory_stock s WHERE s.tenant_id = i.tenant_id AND s.env = i.env AND s.item_id = i.item_id AND (@store::text IS NULL OR s.location_id = @store::text)";
        var statusFilter = q.Status switch
        {
            "discontinued" => "AND i.discontinued",
            "out_of_stock" => $"AND NOT i.discontinued AND EXISTS ({stockAt} AND s.status = 'out_of_stock')",
            "low_stock" => $"AND NOT i.discontinued AND EXISTS ({stockAt} AND s.status = 'low_stock') AND NOT EXISTS ({stockAt} AND s.status = 'out_of_stock')",
            "active" => $"AND NOT i.discontinued AND NOT EXISTS ({stockAt} AND s.status <> 'active')",
            _ => "",
        };
        var items = await db.PageAsync(
            $"""
            SELECT {InventoryRows.ItemColumns}, count(*) OVER () AS total FROM inventory_items i
             WHERE i.tenant_id = @t AND i.env = @e AND i.deleted_at IS NULL
               AND (@cat::text IS NULL OR lower(i.category) = lower(@cat::text))
               AND (@pattern::text IS NULL OR i.search_text LIKE @pattern::text)
               AND (@store::text IS NULL OR EXISTS ({stockAt}))
               {statusFilter}
             ORDER BY i.name, i.item_id
            """,
            r => InventoryRows.ReadItem(r), q.Page, q.PageSize,
            ("t", scope.TenantId), ("e", scope.EnvName), ("cat", q.Category), ("pattern", pattern), ("store", q.StoreId));
        var stock = await StockOfAsync(scope, items.Data.Select(i => i.ItemId).ToArray(), q.StoreId);
        return new PagedList<ItemView>(items.Data.Select(i => i.View(stock.GetValueOrDefault(i.ItemId) ?? [], q.StoreId)).ToList(),
            q.Page, q.PageSize, items.Total);
    }

    public async Task<ItemView> GetByBarcodeAsync(string barcode)
    {
        var scope = Scope;
        var item = await db.QuerySingleAsync(
            $"""
            SELECT {InventoryRows.ItemColumns} FROM inventory_barcodes b
              JOIN inventory_items i ON i.tenant_id = b.tenant_id AND i.env = b.env AND i.item_id = b.item_id AND i.deleted_at IS NULL
             WHERE b.tenant_id = @t AND b.env = @e AND b.barcode = @code
            """, r => InventoryRows.ReadItem(r), ("t", scope.TenantId), ("e", scope.EnvName), ("code", barcode.Trim()))
            ?? throw CloudFranException.NotFound("Item with this barcode");
        var stock = await StockOfAsync(scope, [item.ItemId], null);
        return item.View(stock.GetValueOrDefault(item.ItemId) ?? [], null);
    }

    public async Task<PagedList<LedgerEntryView>> GetLedgerAsync(string itemId, LedgerQuery q)
    {
        var scope = Scope;
        await RequireItemAsync(scope, itemId);
        return await db.PageAsync(
            $"""
            SELECT {InventoryRows.LedgerColumns}, count(*) OVER () AS total FROM inventory_ledger
             WHERE tenant_id = @t AND env = @e AND item_id = @id AND (@loc::text IS NULL OR location_id = @loc::text)
             ORDER BY client_ts DESC, entry_id DESC
            """,
            r => InventoryRows.ReadLedger(r).Entry, q.Page, q.PageSize,
            ("t", scope.TenantId), ("e", scope.EnvName), ("id", itemId), ("loc", q.LocationId));
    }

    public async Task<PagedList<ReservationView>> ListReservationsAsync(string itemId, string? status, int page, int pageSize)
    {
        var scope = Scope;
        await RequireItemAsync(scope, itemId);
        return await ReservationRows.ListAsync(db, scope, itemId, status, page, pageSize);
    }

    public async Task<PagedList<TransferView>> ListTransfersAsync(string? status, int page, int pageSize)
    {
        var scope = Scope;
        return await db.PageAsync(
            $"""
            SELECT {InventoryTransferGrain.TransferColumns}, count(*) OVER () AS total FROM inventory_transfers
             WHERE tenant_id = @t AND env = @e AND (@s::text IS NULL OR status = @s::text)
             ORDER BY created_at DESC, transfer_id
            """,
            InventoryTransferGrain.ReadTransfer, page, pageSize, ("t", scope.TenantId), ("e", scope.EnvName), ("s", status));
    }

    public async Task<SupplierView> CreateSupplierAsync(SupplierInput input)
    {
        var scope = Scope;
        var view = new SupplierView(Ids.New("sup"), input.Name.Trim(), input.ContactEmail, input.LeadTimeDays, clock.GetUtcNow());
        try
        {
            await db.ExecuteAsync(
                """
                INSERT INTO inventory_suppliers (tenant_id, env, supplier_id, name, contact_email, lead_time_days, created_at)
                VALUES (@t, @e, @id, @name, @email, @lead, @now)
                """,
                ("t", scope.TenantId), ("e", scope.EnvName), ("id", view.SupplierId), ("name", view.Name), ("email", view.ContactEmail),
                ("lead", view.LeadTimeDays), ("now", view.CreatedAt));
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw new CloudFranException(ErrorKind.Conflict, ErrorCodes.Conflict, "A supplier with this name already exists.",
                [new FieldError("name", "name must be unique within the tenant.")]);
        }
        return view;
    }

    public async Task<IReadOnlyList<SupplierView>> ListSuppliersAsync()
    {
        var scope = Scope;
        return await db.QueryAsync(
            "SELECT supplier_id, name, contact_email, lead_time_days, created_at FROM inventory_suppliers WHERE tenant_id = @t AND env = @e ORDER BY name",
            r => new SupplierView(r.GetString(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), r.IsDBNull(3) ? null : r.GetInt32(3),
                r.Time("created_at")),
            ("t", scope.TenantId), ("e", scope.EnvName));
    }

    public async Task<InventorySettings> GetSettingsAsync()
    {
        var scope = Scope;
        var allow = await db.ScalarAsync<bool?>("SELECT allow_negative_stock FROM inventory_settings WHERE tenant_id = @t AND env = @e",
            ("t", scope.TenantId), ("e", scope.EnvName));
        return new InventorySettings(allow ?? false);
    }

    public async Task<InventorySettings> SetSettingsAsync(InventorySettings settings)
    {
        var scope = Scope;
        await db.ExecuteAsync(
            """
            INSERT INTO inventory_settings (tenant_id, env, allow_negative_stock, updated_at) VALUES (@t, @e, @allow, @now)
            ON CONFLICT (tenant_id, env) DO UPDATE SET allow_negative_stock = excluded.allow_negative_stock, updated_at = excluded.updated_at
            """,
            ("t", scope.TenantId), ("e", scope.EnvName), ("allow", settings.AllowNegativeStock), ("now", clock.GetUtcNow()));
        return settings;
    }

    public Task<ReorderPlan> SuggestReorderAsync(ReorderRequest request) => new InventoryPlanner(db, clock, Scope).ReorderAsync(request);

    public Task<PricingResult> OptimizePricingAsync(PricingRequest request) => new InventoryPlanner(db, clock, Scope).PricingAsync(request);

    public Task<AssistantAnswer> AskAsync(AssistantRequest request) => new InventoryPlanner(db, clock, Scope).AskAsync(request);

    public Task<ImportBatchResult> ImportBatchAsync(ImportBatch batch) => new InventoryImporter(db, clock, grains, Scope).ApplyAsync(batch);

    public async Task<IReadOnlyList<ItemView>> ExportPageAsync(string? locationId, string? afterItemId, int limit)
    {
        var scope = Scope;
        var items = await db.QueryAsync(
            $"""
            SELECT {InventoryRows.ItemColumns} FROM inventory_items i
             WHERE i.tenant_id = @t AND i.env = @e AND i.deleted_at IS NULL AND (@after::text IS NULL OR i.item_id > @after::text)
             ORDER BY i.item_id LIMIT @limit
            """, r => InventoryRows.ReadItem(r), ("t", scope.TenantId), ("e", scope.EnvName), ("after", afterItemId), ("limit", limit));
        var stock = await StockOfAsync(scope, items.Select(i => i.ItemId).ToArray(), locationId);
        return items.Select(i => i.View(stock.GetValueOrDefault(i.ItemId) ?? [], locationId)).ToList();
    }

    private async Task RequireItemAsync(TenantScope scope, string itemId)
    {
        var found = await db.ScalarAsync<string>(
            "SELECT item_id FROM inventory_items WHERE tenant_id = @t AND env = @e AND item_id = @id AND deleted_at IS NULL",
            ("t", scope.TenantId), ("e", scope.EnvName), ("id", itemId));
        if (found is null)
        {
            throw CloudFranException.NotFound("Item");
        }
    }

    private async Task<Dictionary<string, List<LocationStockView>>> StockOfAsync(TenantScope scope, string[] itemIds, string? storeId)
    {
        if (itemIds.Length == 0)
        {
            return [];
        }
        var rows = await db.QueryAsync(
            $"""
            SELECT s.item_id, {InventoryRows.StockColumns} FROM inventory_stock s
             WHERE s.tenant_id = @t AND s.env = @e AND s.item_id = ANY(@ids) AND (@store::text IS NULL OR s.location_id = @store::text)
             ORDER BY s.location_id
            """,
            r => (ItemId: r.GetString(0), Stock: InventoryRows.ReadStock(r, 1).View()),
            ("t", scope.TenantId), ("e", scope.EnvName), ("ids", itemIds), ("store", storeId));
        return rows.GroupBy(r => r.ItemId).ToDictionary(g => g.Key, g => g.Select(x => x.Stock).ToList());
    }

    public static string Like(string value) => value.Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_");
}
