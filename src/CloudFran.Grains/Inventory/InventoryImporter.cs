using CloudFran.Abstractions.Errors;
using CloudFran.Abstractions.Inventory;
using CloudFran.Abstractions.Keys;
using CloudFran.Grains.Storage;
using Npgsql;

namespace CloudFran.Grains.Inventory;

/// <summary>
/// Applies one batch of parsed CSV rows to one location. New items are inserted in bulk in one transaction
/// (item, barcodes, the location's stock row and, when the file gives on-hand, its count in the ledger); existing
/// items change through their own grains so their in-memory stock never goes stale. Only the named location's
/// stock and levels are touched.
/// </summary>
public sealed class InventoryImporter(PlatformDb db, TimeProvider clock, IGrainFactory grains, TenantScope scope)
{
    private const int Parallelism = 8;

    public async Task<ImportBatchResult> ApplyAsync(ImportBatch batch)
    {
        var errors = new List<ImportRowError>();
        var locationOk = await db.ScalarAsync<string>("SELECT location_id FROM locations WHERE tenant_id = @t AND env = @e AND location_id = @l",
            ("t", scope.TenantId), ("e", scope.EnvName), ("l", batch.LocationId));
        if (locationOk is null)
        {
            throw CloudFranException.NotFound("Location");
        }
        var skus = batch.Rows.Select(r => r.Sku.ToLowerInvariant()).Distinct().ToArray();
        var existing = (await db.QueryAsync(
                "SELECT lower(sku), item_id FROM inventory_items WHERE tenant_id = @t AND env = @e AND lower(sku) = ANY(@skus) AND deleted_at IS NULL",
                r => (Sku: r.GetString(0), Id: r.GetString(1)), ("t", scope.TenantId), ("e", scope.EnvName), ("skus", skus)))
            .ToDictionary(x => x.Sku, x => x.Id);
        var codes = batch.Rows.SelectMany(r => r.Barcodes ?? []).Distinct().ToArray();
        var codeOwners = codes.Length == 0 ? [] : (await db.QueryAsync(
                "SELECT barcode, item_id FROM inventory_barcodes WHERE tenant_id = @t AND env = @e AND barcode = ANY(@codes)",
                r => (Code: r.GetString(0), Id: r.GetString(1)), ("t", scope.TenantId), ("e", scope.EnvName), ("codes", codes)))
            .ToDictionary(x => x.Code, x => x.Id);
        var supplierIds = batch.Rows.Where(r => r.SupplierId is not null).Select(r => r.SupplierId!).Distinct().ToArray();
        var suppliers = supplierIds.Length == 0 ? [] : (await db.QueryAsync(
            "SELECT supplier_id FROM inventory_suppliers WHERE tenant_id = @t AND env = @e AND supplier_id = ANY(@ids)",
            r => r.GetString(0), ("t", scope.TenantId), ("e", scope.EnvName), ("ids", supplierIds))).ToHashSet();

        var creates = new List<(ImportRow Row, string ItemId)>();
        var updates = new List<(ImportRow Row, string ItemId)>();
        foreach (var row in batch.Rows)
        {
            var found = existing.GetValueOrDefault(row.Sku.ToLowerInvariant());
            if (row.SupplierId is not null && !suppliers.Contains(row.SupplierId))
            {
                errors.Add(new ImportRowError(row.Line, "supplier_id", "supplier_id does not name a supplier of this tenant."));
                continue;
            }
            var owner = (row.Barcodes ?? []).FirstOrDefault(c => codeOwners.TryGetValue(c, out var id) && id != found);
            if (owner is not null)
            {
                errors.Add(new ImportRowError(row.Line, "barcodes", $"Barcode '{owner}' already belongs to another item."));
                continue;
            }
            if (found is null)
            {
                if (batch.Mode == "update_only")
                {
                    errors.Add(new ImportRowError(row.Line, "sku", $"No item has SKU '{row.Sku}' (mode update_only)."));
                    continue;
                }
                if (row.Name is null)
                {
                    errors.Add(new ImportRowError(row.Line, "name", "name is required to create an item."));
                    continue;
                }
                creates.Add((row, Ids.New("itm")));
            }
            else
            {
                if (batch.Mode == "create_only")
                {
                    errors.Add(new ImportRowError(row.Line, "sku", $"An item with SKU '{row.Sku}' already exists (mode create_only)."));
                    continue;
                }
                updates.Add((row, found));
            }
        }

        var created = creates.Count == 0 ? 0 : await CreateAsync(batch, creates, errors);
        var updated = 0;
        await Parallel.ForEachAsync(updates, new ParallelOptions { MaxDegreeOfParallelism = Parallelism }, async (u, _) =>
        {
            try
            {
                await grains.GetInventoryItem(scope, u.ItemId).ApplyImportAsync(new ImportChange(batch.ImportId, batch.LocationId, u.Row, batch.Actor));
                Interlocked.Increment(ref updated);
            }
            catch (CloudFranException e)
            {
                lock (errors)
                {
                    errors.Add(new ImportRowError(u.Row.Line, e.Details.FirstOrDefault()?.Field ?? "row", e.Message));
                }
            }
        });
        return new ImportBatchResult(created, updated, errors.OrderBy(e => e.Line).ToList());
    }

    private async Task<int> CreateAsync(ImportBatch batch, List<(ImportRow Row, string ItemId)> creates, List<ImportRowError> errors)
    {
        var now = clock.GetUtcNow();
        var rows = creates.Select(c => (c.Row, c.ItemId, Record: new ItemRecord(c.ItemId, c.Row.Sku, c.Row.Name!, c.Row.Barcodes ?? [],
            c.Row.Category, c.Row.Unit ?? "each", c.Row.Cost, c.Row.Price, c.Row.SupplierId, c.Row.Discontinued ?? false, now, now))).ToList();
        await using var tx = await db.BeginAsync();
        var inserted = (await tx.QueryAsync(
            """
            INSERT INTO inventory_items (tenant_id, env, item_id, sku, name, category, unit, cost, price, supplier_id, discontinued, search_text,
                                         created_at, updated_at)
            SELECT @t, @e, x.id, x.sku, x.name, x.cat, x.unit, x.cost, x.price, x.sup, x.disc, x.search, @now, @now
              FROM unnest(@ids, @skus, @names, @cats, @units, @costs, @prices, @sups, @discs, @searches)
                   AS x(id, sku, name, cat, unit, cost, price, sup, disc, search)
            ON CONFLICT (tenant_id, env, lower(sku)) WHERE deleted_at IS NULL DO NOTHING
            RETURNING item_id
            """,
            r => r.GetString(0),
            ("t", scope.TenantId), ("e", scope.EnvName), ("now", now), ("ids", rows.Select(r => r.ItemId).ToArray()),
            ("skus", rows.Select(r => r.Record.Sku).ToArray()), ("names", rows.Select(r => r.Record.Name).ToArray()),
            ("cats", rows.Select(r => r.Record.Category).ToArray()), ("units", rows.Select(r => r.Record.Unit).ToArray()),
            ("costs", rows.Select(r => r.Record.Cost).ToArray()), ("prices", rows.Select(r => r.Record.Price).ToArray()),
            ("sups", rows.Select(r => r.Record.SupplierId).ToArray()), ("discs", rows.Select(r => r.Record.Discontinued).ToArray()),
            ("searches", rows.Select(r => r.Record.SearchText).ToArray()))).ToHashSet();
        foreach (var r in rows.Where(r => !inserted.Contains(r.ItemId)))
        {
            errors.Add(new ImportRowError(r.Row.Line, "sku", $"An item with SKU '{r.Row.Sku}' was created meanwhile; import the row again."));
        }
        rows = rows.Where(r => inserted.Contains(r.ItemId)).ToList();
        if (rows.Count == 0)
        {
            await tx.CommitAsync();
            return 0;
        }

        // Barcodes live in the items' array column too; the lookup table is filled alongside.
        var barcodeRows = rows.SelectMany(r => r.Record.Barcodes.Select(b => (r.ItemId, Code: b))).ToList();
        if (barcodeRows.Count > 0)
        {
            await tx.ExecuteAsync(
                """
                UPDATE inventory_items i SET barcodes = x.codes
                  FROM (SELECT id, array_agg(code) AS codes FROM unnest(@ids, @codes) AS u(id, code) GROUP BY id) x
                 WHERE i.tenant_id = @t AND i.env = @e AND i.item_id = x.id;
                INSERT INTO inventory_barcodes (tenant_id, env, barcode, item_id) SELECT @t, @e, code, id FROM unnest(@ids, @codes) AS u(id, code);
                """,
                ("t", scope.TenantId), ("e", scope.EnvName), ("ids", barcodeRows.Select(b => b.ItemId).ToArray()),
                ("codes", barcodeRows.Select(b => b.Code).ToArray()));
        }

        // The named location's stock row (its starting state: no threshold event for a new row) and the count.
        var stocks = rows.Select(r =>
        {
            var s = Stock.New(batch.LocationId, now) with
            {
                OnHand = r.Row.OnHand ?? 0, Min = r.Row.Min, ReorderPoint = r.Row.ReorderPoint, Max = r.Row.Max, ReorderMultiple = r.Row.ReorderMultiple,
                LastCountAt = r.Row.OnHand is null ? null : now,
            };
            return (r.ItemId, r.Row, Stock: s with { Alert = Thresholds.Alert(s) });
        }).ToList();
        await tx.ExecuteAsync(
            """
            INSERT INTO inventory_stock (tenant_id, env, item_id, location_id, on_hand, min_qty, reorder_point, max_qty, reorder_multiple,
                                         alert_state, status, last_count_at, version, updated_at)
            SELECT @t, @e, x.id, @loc, x.onhand, x.mn, x.rp, x.mx, x.mul, x.alert, x.status, x.counted, 1, @now
              FROM unnest(@ids, @onhand, @mins, @rps, @maxs, @muls, @alerts, @statuses, @counted)
                   AS x(id, onhand, mn, rp, mx, mul, alert, status, counted)
            """,
            ("t", scope.TenantId), ("e", scope.EnvName), ("loc", batch.LocationId), ("now", now), ("ids", stocks.Select(s => s.ItemId).ToArray()),
            ("onhand", stocks.Select(s => s.Stock.OnHand).ToArray()), ("mins", stocks.Select(s => s.Stock.Min).ToArray()),
            ("rps", stocks.Select(s => s.Stock.ReorderPoint).ToArray()), ("maxs", stocks.Select(s => s.Stock.Max).ToArray()),
            ("muls", stocks.Select(s => s.Stock.ReorderMultiple).ToArray()), ("alerts", stocks.Select(s => s.Stock.Alert).ToArray()),
            ("statuses", stocks.Select(s => Thresholds.Status(s.Stock.Alert)).ToArray()),
            ("counted", stocks.Select(s => s.Stock.LastCountAt).ToArray()));
        var counts = stocks.Where(s => s.Row.OnHand is not null).ToList();
        if (counts.Count > 0)
        {
            await tx.ExecuteAsync(
                """
                INSERT INTO inventory_ledger (tenant_id, env, item_id, location_id, idempotency_key, fingerprint, kind, reason, quantity, applied_delta,
                                              on_hand_after, applied, explanation, client_ts, recorded_at, actor, note)
                SELECT @t, @e, x.id, @loc, x.key, 'import', 'count', 'count', x.qty, x.qty, x.qty, true, 'Initial count from CSV import', @now, @now, @actor, 'CSV import'
                  FROM unnest(@ids, @keys, @qtys) AS x(id, key, qty)
                """,
                ("t", scope.TenantId), ("e", scope.EnvName), ("loc", batch.LocationId), ("now", now), ("actor", batch.Actor),
                ("ids", counts.Select(s => s.ItemId).ToArray()), ("keys", counts.Select(s => $"imp:{batch.ImportId}:{s.Row.Line}").ToArray()),
                ("qtys", counts.Select(s => s.Stock.OnHand).ToArray()));
        }
        await tx.CommitAsync();
        return rows.Count;
    }
}
