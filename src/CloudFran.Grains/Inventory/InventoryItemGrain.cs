using CloudFran.Abstractions.Inventory;
using CloudFran.Grains.Storage;

namespace CloudFran.Grains.Inventory;

/// <summary>
/// See <see cref="IInventoryItemGrain"/>. Holds the item and its stock at every location in memory (loaded from
/// <c>inventory_items</c>/<c>inventory_stock</c> on activation). Every change runs in one transaction: the ledger
/// row (its idempotency key unique per item), the stock rows guarded by their version (a second writer after a
/// split brain fails instead of overwriting), and any threshold event through the outbox. Memory changes only
/// after the commit; a failure of unknown outcome deactivates the grain so the next call reloads from the database.
/// The rules live apart and are unit-tested: <see cref="ItemEdits"/> (catalogue fields), <see cref="StockRules"/>
/// (counts, adjustments, transfer moves, idempotent replays), <see cref="ReservationRules"/> and <see cref="Thresholds"/>;
/// the transactions are written by <see cref="InventoryItemStore"/>.
/// </summary>
public sealed class InventoryItemGrain(PlatformDb db, TimeProvider clock) : Grain, IInventoryItemGrain
{
    private string _itemId = "";
    private InventoryItemStore _store = null!;
    private ItemRecord? _item;
    private readonly Dictionary<string, Stock> _stock = new(StringComparer.Ordinal);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var key = ScopedKey.Parse(this.GetPrimaryKeyString());
        _itemId = key.Name;
        _store = new InventoryItemStore(db, clock, key.Scope, _itemId);
        _item = await _store.LoadItemAsync();
        if (_item is not null)
        {
            foreach (var s in await _store.LoadStockAsync())
            {
                _stock[s.LocationId] = s;
            }
        }
    }

    public async Task<ItemView> CreateAsync(ItemInput input)
    {
        if (_item is not null)
        {
            throw CloudFranException.Conflict("The item already exists.");
        }
        await RequireSupplierAsync(input.SupplierId);
        var record = ItemEdits.Create(_itemId, input, clock.GetUtcNow());
        await _store.InsertItemAsync(record);
        _item = record;
        return View();
    }

    public Task<ItemView> GetAsync() => Task.FromResult(View());

    public async Task<ItemView> UpdateAsync(ItemInput patch)
    {
        var item = Require();
        if (ItemEdits.ChangesSupplier(item, patch.SupplierId))
        {
            await RequireSupplierAsync(patch.SupplierId);
        }
        await SaveItemAsync(item, ItemEdits.Patch(item, patch, clock.GetUtcNow()));
        return View();
    }

    private async Task SaveItemAsync(ItemRecord before, ItemRecord updated)
    {
        await Guarded(() => _store.UpdateItemAsync(before, updated));
        _item = updated;
    }

    public async Task DeleteAsync()
    {
        Require();
        ItemEdits.RequireDeletable(_stock.Values);
        await Guarded(() => _store.DeleteItemAsync());
        _item = null;
        _stock.Clear();
        DeactivateOnIdle();
    }

    public async Task<LocationStockView> SetLevelsAsync(string locationId, LevelsInput levels)
    {
        Require();
        var current = await StockAtAsync(locationId);
        var next = StockRules.Stamped(current with
        {
            Min = levels.Min, ReorderPoint = levels.ReorderPoint, Max = levels.Max, ReorderMultiple = levels.ReorderMultiple,
        }, clock.GetUtcNow());
        next = await Guarded(() => _store.WriteLevelsAsync(_item!, current, next));
        _stock[locationId] = next;
        return next.View();
    }

    public async Task<AdjustmentResult> AdjustAsync(AdjustmentRequest request)
    {
        Require();
        var change = StockRules.Adjustment(request, StockRules.EffectiveAt(request.ClientTimestamp, clock.GetUtcNow()));
        return await ApplyAsync(change, async (sql, stocks) =>
        {
            var current = stocks[0];
            if (change.Kind == "count")
            {
                return StockRules.CountSuperseded(current, change.ClientTimestamp)
                    ?? StockRules.Count(current, change.Quantity,
                        await _store.SumLaterChangesAsync(sql, change.LocationId, change.ClientTimestamp), change.ClientTimestamp);
            }
            return await RefuseNegativeAsync(current, StockRules.Adjust(current, change.Quantity, change.ClientTimestamp), change.LocationId);
        });
    }

    public async Task<AdjustmentResult> ShipAsync(TransferMove move)
    {
        Require();
        return await ApplyAsync(StockRules.Ship(move, clock.GetUtcNow()),
            (_, stocks) => RefuseNegativeAsync(stocks[0], StockRules.Ship(stocks[0], stocks[1], move.Quantity), move.FromLocationId));
    }

    public async Task<AdjustmentResult> ReceiveAsync(TransferMove move)
    {
        Require();
        return await ApplyAsync(StockRules.Receive(move, clock.GetUtcNow()), (_, stocks) => Task.FromResult(StockRules.Receive(stocks[0], move.Quantity)));
    }

    public async Task ReturnShipmentAsync(string shipKey, TransferMove undo)
    {
        Require();
        if (await _store.LedgerByKeyAsync(shipKey) is null)
        {
            return; // that line never left the source: nothing to return
        }
        await ApplyAsync(StockRules.Return(undo, clock.GetUtcNow()),
            (_, stocks) => Task.FromResult(StockRules.Return(stocks[0], stocks[1], undo.Quantity)));
    }

    public async Task ApplyImportAsync(ImportChange change)
    {
        var item = Require();
        var row = change.Row;
        if (ItemEdits.ChangesSupplier(item, row.SupplierId))
        {
            await RequireSupplierAsync(row.SupplierId);
        }
        var updated = ItemEdits.Import(item, row);
        if (updated != item)
        {
            await SaveItemAsync(item, updated with { UpdatedAt = clock.GetUtcNow() });
        }
        if (ItemEdits.SetsLevels(row))
        {
            await SetLevelsAsync(change.LocationId, ItemEdits.Levels(row, await StockAtAsync(change.LocationId)));
        }
        if (row.OnHand is { } count)
        {
            await AdjustAsync(new AdjustmentRequest(change.LocationId, null, count, "count", null, $"imp:{change.ImportId}:{row.Line}",
                "CSV import", change.Actor));
        }
    }

    // ---- reservations: holds on available stock, released or fulfilled exactly once ----

    public async Task<ReservationResult> ReserveAsync(ReservationRequest request)
    {
        Require();
        var fingerprint = ReservationRules.Fingerprint(request);
        if (await _store.ReservationByKeyAsync(request.IdempotencyKey) is { } earlier)
        {
            return ReservationRules.Replay(earlier, fingerprint);
        }
        var before = await StockAtAsync(request.LocationId);
        if (ReservationRules.ExceedsAvailable(before, request.Quantity) && !await _store.NegativeStockAllowedAsync())
        {
            throw ReservationRules.InsufficientStock(before, request.Quantity, request.LocationId);
        }
        var view = ReservationRules.Held(request, _itemId, clock.GetUtcNow());
        if (await Guarded(() => _store.HoldAsync(_item!, before, view, request.IdempotencyKey, fingerprint, request.Actor)) is not { } written)
        {
            // Another activation took the key first (split brain): answer its reservation.
            return ReservationRules.Replay(await _store.ReservationByKeyAsync(request.IdempotencyKey)
                ?? throw new InvalidOperationException("Reservation key conflict without a row."), fingerprint);
        }
        _stock[written.LocationId] = written;
        return new ReservationResult(view, false);
    }

    public async Task<ReservationView> ReleaseReservationAsync(string reservationId, string? actor)
    {
        Require();
        var found = await RequireReservationAsync(reservationId);
        return ReservationRules.AlreadyIn(found, "released") ? found
            : await ReleaseHeldAsync(found, "manual") ?? await RetryAsync(reservationId, "released");
    }

    public async Task<bool> ExpireReservationAsync(string reservationId)
    {
        if (_item is null)
        {
            return false;
        }
        var found = (await _store.ReservationAsync(reservationId))?.View;
        return ReservationRules.IsExpiredHold(found, _itemId, clock.GetUtcNow()) && await ReleaseHeldAsync(found!, "expired") is not null;
    }

    public async Task<ReservationView> FulfillReservationAsync(string reservationId, string? actor)
    {
        Require();
        var found = await RequireReservationAsync(reservationId);
        if (ReservationRules.AlreadyIn(found, "fulfilled"))
        {
            return found;
        }
        var before = await StockAtAsync(found.LocationId);
        var next = ReservationRules.Fulfil(before, found.Quantity);
        await RefuseNegativeAsync(before.OnHand, next.OnHand, found.LocationId);
        return Remember(await Guarded(() => _store.FulfilAsync(_item!, before, next, found, actor))) ?? await RetryAsync(reservationId, "fulfilled");
    }

    /// <summary>held → released with reserved down; null when the row was no longer held (nothing applied).</summary>
    private async Task<ReservationView?> ReleaseHeldAsync(ReservationView held, string reason)
    {
        var before = await StockAtAsync(held.LocationId);
        return Remember(await Guarded(() => _store.ReleaseAsync(_item!, before, held, reason)));
    }

    /// <summary>Keeps a written stock row in memory; null when nothing was written.</summary>
    private ReservationView? Remember((Stock Written, ReservationView Done)? write)
    {
        if (write is { } w) _stock[w.Written.LocationId] = w.Written;
        return write?.Done;
    }

    /// <summary>After a write found the reservation already moved on: answer it when it reached the wanted state, else 409.</summary>
    private async Task<ReservationView> RetryAsync(string reservationId, string wanted) =>
        ReservationRules.Reached(await RequireReservationAsync(reservationId), wanted);

    private async Task<ReservationView> RequireReservationAsync(string reservationId)
    {
        var found = (await _store.ReservationAsync(reservationId))?.View;
        return found is not null && found.ItemId == _itemId ? found : throw CloudFranException.NotFound("Reservation");
    }

    /// <summary>The one write path of ledger changes; a key seen before answers the original entry (nothing applied again).</summary>
    private async Task<AdjustmentResult> ApplyAsync(StockChange change, Func<ISql, IReadOnlyList<Stock>, Task<StockOutcome>> plan)
    {
        var before = new List<Stock> { await StockAtAsync(change.LocationId) };
        if (change.OtherLocationId is not null)
        {
            before.Add(await StockAtAsync(change.OtherLocationId));
        }
        return await Guarded(async () =>
        {
            var write = await _store.WriteChangeAsync(_item!, change, before, plan);
            if (write.Earlier is { } earlier)
            {
                StockRules.RequireSameChange(earlier.Fingerprint, change.Fingerprint);
                return new AdjustmentResult(earlier.Entry, true, (await StockAtAsync(earlier.Entry.LocationId)).View());
            }
            foreach (var s in write.Written)
            {
                _stock[s.LocationId] = s;
            }
            return new AdjustmentResult(write.Entry!, false, write.Written[0].View());
        });
    }

    private async Task RefuseNegativeAsync(decimal before, decimal after, string locationId)
    {
        if (StockRules.GoesNegative(before, after) && !await _store.NegativeStockAllowedAsync())
        {
            throw StockRules.InsufficientStock(before, after, locationId);
        }
    }

    private async Task<StockOutcome> RefuseNegativeAsync(Stock before, StockOutcome outcome, string locationId)
    {
        await RefuseNegativeAsync(before.OnHand, outcome.OnHandAfter, locationId);
        return outcome;
    }

    private async Task<Stock> StockAtAsync(string locationId) =>
        _stock.TryGetValue(locationId, out var stock) ? stock
        : await _store.LocationExistsAsync(locationId) ? Stock.New(locationId, clock.GetUtcNow())
        : throw CloudFranException.NotFound("Location");

    private async Task RequireSupplierAsync(string? supplierId)
    {
        if (supplierId is not null && !await _store.SupplierExistsAsync(supplierId))
        {
            throw CloudFranException.Invalid("supplierId", "supplierId does not name a supplier of this tenant.");
        }
    }

    /// <summary>A failure of unknown outcome (the commit may have happened): reload from the database on the next call.</summary>
    private async Task<T> Guarded<T>(Func<Task<T>> write)
    {
        try
        {
            return await write();
        }
        catch (Exception e) when (e is not CloudFranException)
        {
            DeactivateOnIdle();
            throw;
        }
    }

    private Task Guarded(Func<Task> write) => Guarded(async () =>
    {
        await write();
        return true;
    });

    private ItemRecord Require() => _item ?? throw CloudFranException.NotFound("Item");

    private ItemView View()
    {
        var item = Require();
        var locations = _stock.Values.OrderBy(s => s.LocationId, StringComparer.Ordinal).Select(s => s.View()).ToList();
        return item.View(locations, null);
    }
}
