using CloudFran.Abstractions.Inventory;
using CloudFran.Grains.Events;
using CloudFran.Grains.Storage;

namespace CloudFran.Grains.Inventory;

/// <summary>What a ledger write did: the new entry and stock rows, or the earlier entry under the same key (nothing written).</summary>
public sealed record LedgerWrite(LedgerEntryView? Entry, IReadOnlyList<Stock> Written, (LedgerEntryView Entry, string Fingerprint)? Earlier);

/// <summary>
/// The transactions of one item (no state of its own): the item grain decides, keeps the rows in memory and reloads
/// on a failure of unknown outcome; this writes. Each change is one transaction: the ledger row, the stock rows
/// guarded by their version, and any threshold event through the outbox.
/// </summary>
public sealed class InventoryItemStore(PlatformDb db, TimeProvider clock, TenantScope scope, string itemId)
{
    public Task<ItemRecord?> LoadItemAsync() => InventoryRows.LoadItemAsync(db, scope, itemId);

    public Task<List<Stock>> LoadStockAsync() => InventoryRows.LoadStockAsync(db, scope, itemId);

    public Task InsertItemAsync(ItemRecord record) =>
        db.InTransactionAsync(tx => InventoryRows.InsertItemAsync(tx, scope, record));

    public Task UpdateItemAsync(ItemRecord before, ItemRecord updated) =>
        db.InTransactionAsync(tx => InventoryRows.UpdateItemAsync(tx, scope, updated, ItemEdits.BarcodesChanged(before, updated)));

    public Task DeleteItemAsync() =>
        db.InTransactionAsync(tx => InventoryRows.DeleteItemAsync(tx, scope, itemId, clock.GetUtcNow()));

    /// <summary>New levels on a stock row; a new row starts from its computed state (no crossing happened yet).</summary>
    public async Task<Stock> WriteLevelsAsync(ItemRecord item, Stock current, Stock next)
    {
        await using var tx = await db.BeginAsync();
        await RaiseThresholdAsync(tx, item, current.IsNew ? next : current, next, $"levels:{current.Version + 1}");
        var written = await InventoryRows.WriteStockAsync(tx, scope, itemId, next, current);
        await tx.CommitAsync();
        return written;
    }

    /// <summary>
    /// Runs <paramref name="plan"/> on the rows before the change and writes its ledger entry (key unique per item) with the
    /// stock rows. When the key is already used, or <paramref name="plan"/> refuses a change whose key was accepted
    /// before the stock ran low, nothing is written and the earlier entry is answered.
    /// </summary>
    public async Task<LedgerWrite> WriteChangeAsync(ItemRecord item, StockChange change, IReadOnlyList<Stock> before,
        Func<ISql, IReadOnlyList<Stock>, Task<StockOutcome>> plan)
    {
        var now = clock.GetUtcNow();
        await using var tx = await db.BeginAsync();
        StockOutcome outcome;
        try
        {
            outcome = await plan(tx, before);
        }
        catch (CloudFranException)
        {
            if (await LedgerByKeyAsync(change.Key) is { } replay) return new LedgerWrite(null, [], replay);
            throw;
        }
        var entry = await InventoryRows.InsertLedgerAsync(tx, scope, itemId, change.LocationId, change.Key, change.Fingerprint,
            change.Kind, change.Reason, change.Quantity, outcome.AppliedDelta, outcome.OnHandAfter, outcome.Applied, outcome.Explanation, change.ClientTimestamp, now, change.Actor, change.Note, change.TransferId);
        if (entry is null)
        {
            await tx.RollbackAsync();
            return new LedgerWrite(null, [], await LedgerByKeyAsync(change.Key) ?? throw new InvalidOperationException("Ledger key conflict without a row."));
        }
        var written = new List<Stock>();
        for (var i = 0; i < outcome.Stocks.Count; i++)
        {
            var next = StockRules.Stamped(outcome.Stocks[i], now);
            await RaiseThresholdAsync(tx, item, before[i], next, $"e{entry.EntryId}");
            written.Add(await InventoryRows.WriteStockAsync(tx, scope, itemId, next, before[i]));
        }
        await tx.CommitAsync();
        return new LedgerWrite(entry, written, null);
    }

    /// <summary>
    /// Runs <paramref name="write"/> and the stock row change (with any threshold event) in one transaction. When
    /// <paramref name="write"/> answers false nothing is written and null is returned.
    /// </summary>
    private async Task<Stock?> CommitStockAsync(ItemRecord item, Stock before, Stock next, string cause,
        Func<PlatformTransaction, Task<bool>> write)
    {
        await using var tx = await db.BeginAsync();
        if (!await write(tx))
        {
            await tx.RollbackAsync();
            return null;
        }
        next = StockRules.Stamped(next, clock.GetUtcNow());
        await RaiseThresholdAsync(tx, item, before, next, cause);
        var written = await InventoryRows.WriteStockAsync(tx, scope, itemId, next, before);
        await tx.CommitAsync();
        return written;
    }

    /// <summary>The sum of the applied changes dated after <paramref name="at"/> (a count at <paramref name="at"/> adds them).</summary>
    public Task<decimal> SumLaterChangesAsync(ISql sql, string locationId, DateTimeOffset at) =>
        InventoryRows.SumLaterChangesAsync(sql, scope, itemId, locationId, at);

    public Task<(LedgerEntryView Entry, string Fingerprint)?> LedgerByKeyAsync(string key) => InventoryRows.LedgerByKeyAsync(db, scope, itemId, key);

    public Task<ReservationRecord?> ReservationAsync(string reservationId) => ReservationRows.GetAsync(db, scope, reservationId);

    public Task<ReservationRecord?> ReservationByKeyAsync(string key) => ReservationRows.ByKeyAsync(db, scope, itemId, key);

    /// <summary>A hold: the reservation row with reserved up; null when the idempotency key is already used (nothing written).</summary>
    public Task<Stock?> HoldAsync(ItemRecord item, Stock before, ReservationView view, string key, string fingerprint, string? actor) =>
        CommitStockAsync(item, before, ReservationRules.Hold(before, view.Quantity), $"{view.ReservationId}:hold",
            tx => ReservationRows.InsertAsync(tx, scope, view, key, fingerprint, actor));

    /// <summary>held → released with reserved down; null when the row was no longer held (nothing written).</summary>
    public async Task<(Stock Written, ReservationView Done)?> ReleaseAsync(ItemRecord item, Stock before, ReservationView held, string reason)
    {
        ReservationView? done = null;
        var written = await CommitStockAsync(item, before, ReservationRules.Release(before, held.Quantity), $"{held.ReservationId}:release",
            async tx =>
            {
                done = await ReservationRows.FinishAsync(tx, scope, held.ReservationId, "released", reason, null, clock.GetUtcNow());
                return done is not null;
            });
        return written is null ? null : (written, done!);
    }

    /// <summary>
    /// held → fulfilled: the sale's ledger entry (one per reservation) with <paramref name="next"/>; null when the row was
    /// no longer held or its fulfilment is already in the ledger (nothing written).
    /// </summary>
    public async Task<(Stock Written, ReservationView Done)?> FulfilAsync(ItemRecord item, Stock before, Stock next, ReservationView found, string? actor)
    {
        var now = clock.GetUtcNow();
        ReservationView? done = null;
        var written = await CommitStockAsync(item, before, next, $"{found.ReservationId}:fulfill", async tx =>
        {
            var entry = await InventoryRows.InsertLedgerAsync(tx, scope, itemId, found.LocationId, ReservationRules.FulfilKey(found.ReservationId),
                ReservationRules.FulfilFingerprint(found), "adjustment", "sale", -found.Quantity, -found.Quantity,
                next.OnHand, true, null, now, now, actor, ReservationRules.FulfilNote(found), null, found.ReservationId);
            if (entry is null)
            {
                return false;
            }
            done = await ReservationRows.FinishAsync(tx, scope, found.ReservationId, "fulfilled", null, entry.EntryId, now);
            return done is not null;
        });
        return written is null ? null : (written, done!);
    }

    public async Task<bool> NegativeStockAllowedAsync() =>
        await db.ScalarAsync<bool?>(
            "SELECT allow_negative_stock FROM inventory_settings WHERE tenant_id = @t AND env = @e",
            ("t", scope.TenantId), ("e", scope.EnvName)) ?? false;

    public async Task<bool> LocationExistsAsync(string locationId) =>
        await db.ScalarAsync<string>(
            "SELECT status FROM locations WHERE tenant_id = @t AND env = @e AND location_id = @l",
            ("t", scope.TenantId), ("e", scope.EnvName), ("l", locationId)) is not null;

    public async Task<bool> SupplierExistsAsync(string supplierId) =>
        await db.ScalarAsync<string>(
            "SELECT supplier_id FROM inventory_suppliers WHERE tenant_id = @t AND env = @e AND supplier_id = @s",
            ("t", scope.TenantId), ("e", scope.EnvName), ("s", supplierId)) is not null;

    /// <summary>Emits inventory.low_stock / inventory.out_of_stock when the alert state worsens (once per crossing).</summary>
    private async Task RaiseThresholdAsync(PlatformTransaction tx, ItemRecord item, Stock before, Stock next, string cause)
    {
        if (Thresholds.CrossingEvent(before, next) is { } type)
        {
            await EventOutbox.AppendAsync(tx, scope, type, Thresholds.EventPayload(item, next), Thresholds.EventKey(type, itemId, next.LocationId, cause));
        }
    }
}
