using System.Security.Cryptography;
using System.Text;
using CloudFran.Abstractions.Errors;
using CloudFran.Abstractions.Inventory;
using CloudFran.Abstractions.Keys;
using CloudFran.Grains.Events;
using CloudFran.Grains.Storage;
using Npgsql;

namespace CloudFran.Grains.Inventory;

/// <summary>
/// See <see cref="IInventoryItemGrain"/>. Holds the item and its stock at every location in memory (loaded from
/// <c>inventory_items</c>/<c>inventory_stock</c> on activation). Every change runs in one transaction: the ledger
/// row (its idempotency key unique per item), the stock rows guarded by their version (a second writer after a
/// split brain fails instead of overwriting), and any threshold event through the outbox. Memory changes only
/// after the commit; a failure of unknown outcome deactivates the grain so the next call reloads from the database.
/// </summary>
public sealed class InventoryItemGrain(PlatformDb db, TimeProvider clock) : Grain, IInventoryItemGrain
{
    /// <summary>Client timestamps may run ahead of the server by at most this (till clock skew).</summary>
    public static readonly TimeSpan MaxClockSkew = TimeSpan.FromMinutes(5);

    private TenantScope _scope;
    private string _itemId = "";
    private ItemRecord? _item;
    private readonly Dictionary<string, Stock> _stock = new(StringComparer.Ordinal);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var key = this.GetPrimaryKeyString();
        var cut = key.LastIndexOf('/');
        _scope = TenantScope.Parse(key[..cut]);
        _itemId = key[(cut + 1)..];
        _item = await InventoryRows.LoadItemAsync(db, _scope, _itemId);
        if (_item is not null)
        {
            foreach (var s in await InventoryRows.LoadStockAsync(db, _scope, _itemId))
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
        var now = clock.GetUtcNow();
        var record = new ItemRecord(_itemId, input.Sku!.Trim(), input.Name!.Trim(), Normalize(input.Barcodes), input.Category?.Trim(),
            input.Unit?.Trim() ?? "each", input.Cost, input.Price, input.SupplierId, input.Discontinued ?? false, now, now);
        await using var conn = await db.Source.OpenConnectionAsync();
        await using var tx = await conn.BeginTransactionAsync();
        await InventoryRows.InsertItemAsync(conn, tx, _scope, record);
        await tx.CommitAsync();
        _item = record;
        return View();
    }

    public Task<ItemView> GetAsync() => Task.FromResult(View());

    public async Task<ItemView> UpdateAsync(ItemInput patch)
    {
        var item = Require();
        if (patch.SupplierId is not null && patch.SupplierId != item.SupplierId)
        {
            await RequireSupplierAsync(patch.SupplierId);
        }
        var updated = item with
        {
            Sku = patch.Sku?.Trim() ?? item.Sku,
            Name = patch.Name?.Trim() ?? item.Name,
            Barcodes = patch.Barcodes is null ? item.Barcodes : Normalize(patch.Barcodes),
            Category = patch.Category?.Trim() ?? item.Category,
            Unit = patch.Unit?.Trim() ?? item.Unit,
            Cost = patch.Cost ?? item.Cost,
            Price = patch.Price ?? item.Price,
            SupplierId = patch.SupplierId ?? item.SupplierId,
            Discontinued = patch.Discontinued ?? item.Discontinued,
            UpdatedAt = clock.GetUtcNow(),
        };
        await Guarded(async () =>
        {
            await using var conn = await db.Source.OpenConnectionAsync();
            await using var tx = await conn.BeginTransactionAsync();
            await InventoryRows.UpdateItemAsync(conn, tx, _scope, updated, !updated.Barcodes.SequenceEqual(item.Barcodes));
            await tx.CommitAsync();
        });
        _item = updated;
        return View();
    }

    public async Task DeleteAsync()
    {
        Require();
        if (_stock.Values.Any(s => s.InTransit != 0))
        {
            throw CloudFranException.Conflict("The item has stock in transit; complete its transfers first.");
        }
        if (_stock.Values.Any(s => s.Reserved != 0))
        {
            throw CloudFranException.Conflict("The item has reserved stock; release or fulfil its reservations first.");
        }
        await Guarded(async () =>
        {
            await using var conn = await db.Source.OpenConnectionAsync();
            await using var tx = await conn.BeginTransactionAsync();
            await InventoryRows.DeleteItemAsync(conn, tx, _scope, _itemId, clock.GetUtcNow());
            await tx.CommitAsync();
        });
        _item = null;
        _stock.Clear();
        DeactivateOnIdle();
    }

    public async Task<LocationStockView> SetLevelsAsync(string locationId, LevelsInput levels)
    {
        Require();
        var current = await StockAtAsync(locationId);
        var next = current with
        {
            Min = levels.Min, ReorderPoint = levels.ReorderPoint, Max = levels.Max, ReorderMultiple = levels.ReorderMultiple,
            UpdatedAt = clock.GetUtcNow(),
        };
        next = next with { Alert = Thresholds.Alert(next) };
        await Guarded(async () =>
        {
            await using var conn = await db.Source.OpenConnectionAsync();
            await using var tx = await conn.BeginTransactionAsync();
            // A new stock row starts from its computed state (no crossing happened yet); later changes fire events.
            await RaiseThresholdAsync(conn, tx, current.IsNew ? next : current, next, $"levels:{current.Version + 1}");
            next = await InventoryRows.WriteStockAsync(conn, tx, _scope, _itemId, next, current);
            await tx.CommitAsync();
        });
        _stock[locationId] = next;
        return next.View();
    }

    public async Task<AdjustmentResult> AdjustAsync(AdjustmentRequest request)
    {
        Require();
        var now = clock.GetUtcNow();
        var at = (request.ClientTimestamp ?? now).ToUniversalTime();
        if (at > now + MaxClockSkew)
        {
            throw CloudFranException.Invalid("clientTimestamp", "clientTimestamp is in the future.");
        }
        var isCount = request.PhysicalCount is not null;
        var kind = isCount ? "count" : "adjustment";
        var quantity = isCount ? request.PhysicalCount!.Value : request.Delta!.Value;
        var fingerprint = Fingerprint(kind, request.LocationId, quantity, request.Reason, request.ClientTimestamp?.ToUniversalTime());
        return await ApplyAsync(new Change(request.IdempotencyKey, fingerprint, kind, request.Reason, request.LocationId, quantity, at,
            request.Actor, request.Note, null, null), async (conn, tx, stocks) =>
        {
            var current = stocks[0];
            if (isCount)
            {
                if (current.LastCountAt is { } counted && at < counted)
                {
                    return Outcome.Superseded(current, $"A later physical count ({counted:O}) already sets the stock; this count was recorded only.");
                }
                var later = await InventoryRows.SumLaterChangesAsync(conn, tx, _scope, _itemId, request.LocationId, at);
                var onHand = quantity + later;
                return new Outcome([current with { OnHand = onHand, LastCountAt = at }], onHand - current.OnHand, onHand, true,
                    later == 0 ? null : $"Count {quantity} plus {later} of changes dated after it.");
            }
            if (current.LastCountAt is { } countAt && at <= countAt)
            {
                return Outcome.Superseded(current, $"Dated before the physical count at {countAt:O}, which already includes it; recorded only.");
            }
            var next = current.OnHand + quantity;
            await RefuseNegativeAsync(current.OnHand, next, request.LocationId);
            return new Outcome([current with { OnHand = next }], quantity, next, true, null);
        });
    }

    public async Task<AdjustmentResult> ShipAsync(TransferMove move)
    {
        Require();
        var fingerprint = Fingerprint("transfer_out", move.FromLocationId, move.Quantity, move.ToLocationId, null);
        return await ApplyAsync(new Change(move.IdempotencyKey, fingerprint, "transfer_out", "transfer", move.FromLocationId, -move.Quantity,
            clock.GetUtcNow(), move.Actor, $"Shipped to {move.ToLocationId}", move.TransferId, move.ToLocationId), async (_, _, stocks) =>
        {
            var (source, destination) = (stocks[0], stocks[1]);
            var onHand = source.OnHand - move.Quantity;
            await RefuseNegativeAsync(source.OnHand, onHand, move.FromLocationId);
            return new Outcome([source with { OnHand = onHand }, destination with { InTransit = destination.InTransit + move.Quantity }],
                -move.Quantity, onHand, true, null);
        });
    }

    public async Task<AdjustmentResult> ReceiveAsync(TransferMove move)
    {
        Require();
        var fingerprint = Fingerprint("transfer_in", move.ToLocationId, move.Quantity, move.FromLocationId, null);
        return await ApplyAsync(new Change(move.IdempotencyKey, fingerprint, "transfer_in", "transfer", move.ToLocationId, move.Quantity,
            clock.GetUtcNow(), move.Actor, $"Received from {move.FromLocationId}", move.TransferId, null), (_, _, stocks) =>
        {
            var destination = stocks[0];
            var onHand = destination.OnHand + move.Quantity;
            return Task.FromResult(new Outcome(
                [destination with { OnHand = onHand, InTransit = Math.Max(0, destination.InTransit - move.Quantity) }], move.Quantity, onHand, true, null));
        });
    }

    public async Task ReturnShipmentAsync(string shipKey, TransferMove undo)
    {
        Require();
        var shipped = await InventoryRows.LedgerByKeyAsync(db, _scope, _itemId, shipKey);
        if (shipped is null)
        {
            return; // that line never left the source: nothing to return
        }
        var fingerprint = Fingerprint("transfer_return", undo.FromLocationId, undo.Quantity, undo.ToLocationId, null);
        await ApplyAsync(new Change(undo.IdempotencyKey, fingerprint, "transfer_return", "transfer", undo.FromLocationId, undo.Quantity,
            clock.GetUtcNow(), undo.Actor, "Shipment refused; returned to stock", undo.TransferId, undo.ToLocationId), (_, _, stocks) =>
        {
            var (source, destination) = (stocks[0], stocks[1]);
            var onHand = source.OnHand + undo.Quantity;
            return Task.FromResult(new Outcome(
                [source with { OnHand = onHand }, destination with { InTransit = Math.Max(0, destination.InTransit - undo.Quantity) }],
                undo.Quantity, onHand, true, null));
        });
    }

    public async Task ApplyImportAsync(ImportChange change)
    {
        var item = Require();
        var row = change.Row;
        if (row.SupplierId is not null && row.SupplierId != item.SupplierId)
        {
            await RequireSupplierAsync(row.SupplierId);
        }
        var updated = item with
        {
            Name = row.Name ?? item.Name,
            Barcodes = row.Barcodes is null ? item.Barcodes : Normalize(row.Barcodes),
            Category = row.Category ?? item.Category,
            Unit = row.Unit ?? item.Unit,
            Cost = row.Cost ?? item.Cost,
            Price = row.Price ?? item.Price,
            SupplierId = row.SupplierId ?? item.SupplierId,
            Discontinued = row.Discontinued ?? item.Discontinued,
        };
        if (updated != item)
        {
            updated = updated with { UpdatedAt = clock.GetUtcNow() };
            await Guarded(async () =>
            {
                await using var conn = await db.Source.OpenConnectionAsync();
                await using var tx = await conn.BeginTransactionAsync();
                await InventoryRows.UpdateItemAsync(conn, tx, _scope, updated, !updated.Barcodes.SequenceEqual(item.Barcodes));
                await tx.CommitAsync();
            });
            _item = updated;
        }
        if (row.Min is not null || row.ReorderPoint is not null || row.Max is not null || row.ReorderMultiple is not null)
        {
            var current = await StockAtAsync(change.LocationId);
            await SetLevelsAsync(change.LocationId, new LevelsInput(row.Min ?? current.Min, row.ReorderPoint ?? current.ReorderPoint,
                row.Max ?? current.Max, row.ReorderMultiple ?? current.ReorderMultiple));
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
        var fingerprint = Fingerprint("reserve", request.LocationId, request.Quantity, $"{request.Reference}|{request.ExpiresInMinutes}", null);
        if (await ReservationRows.ByKeyAsync(db, _scope, _itemId, request.IdempotencyKey) is { } earlier)
        {
            return ReplayReservation(earlier, fingerprint);
        }
        var before = await StockAtAsync(request.LocationId);
        var available = Thresholds.Available(before);
        if (request.Quantity > available && !await NegativeStockAllowedAsync())
        {
            throw new CloudFranException(ErrorKind.Conflict, InventoryErrors.InsufficientStock,
                $"Only {available} available at {request.LocationId} ({before.OnHand} on hand, {before.Reserved} reserved).",
                [new FieldError("quantity", $"available {available}, requested {request.Quantity}")]);
        }
        var now = clock.GetUtcNow();
        var view = new ReservationView(request.ReservationId, _itemId, request.LocationId, request.Quantity, request.Reference, "held",
            request.ExpiresInMinutes is { } minutes ? now.AddMinutes(minutes) : null, now, null, null, null, null, now);
        var inserted = await CommitStockAsync(before, before with { Reserved = before.Reserved + request.Quantity }, $"{request.ReservationId}:hold",
            (conn, tx) => ReservationRows.InsertAsync(conn, tx, _scope, view, request.IdempotencyKey, fingerprint, request.Actor));
        if (!inserted)
        {
            // Another activation took the key first (split brain): answer its reservation.
            return ReplayReservation(await ReservationRows.ByKeyAsync(db, _scope, _itemId, request.IdempotencyKey)
                ?? throw new InvalidOperationException("Reservation key conflict without a row."), fingerprint);
        }
        return new ReservationResult(view, false);
    }

    public async Task<ReservationView> ReleaseReservationAsync(string reservationId, string? actor)
    {
        Require();
        var found = await RequireReservationAsync(reservationId);
        return found.Status switch
        {
            "released" => found,
            "held" => await ReleaseHeldAsync(found, "manual") ?? await RetryAsync(reservationId, "released"),
            _ => throw new CloudFranException(ErrorKind.Conflict, InventoryErrors.InvalidTransition,
                $"The reservation is {found.Status}; only a held reservation can be released."),
        };
    }

    public async Task<bool> ExpireReservationAsync(string reservationId)
    {
        if (_item is null)
        {
            return false;
        }
        var found = (await ReservationRows.GetAsync(db, _scope, reservationId))?.View;
        if (found is null || found.ItemId != _itemId || found.Status != "held" || found.ExpiresAt is not { } expires || expires > clock.GetUtcNow())
        {
            return false;
        }
        return await ReleaseHeldAsync(found, "expired") is not null;
    }

    public async Task<ReservationView> FulfillReservationAsync(string reservationId, string? actor)
    {
        Require();
        var found = await RequireReservationAsync(reservationId);
        if (found.Status == "fulfilled")
        {
            return found;
        }
        if (found.Status != "held")
        {
            throw new CloudFranException(ErrorKind.Conflict, InventoryErrors.InvalidTransition,
                $"The reservation is {found.Status}; only a held reservation can be fulfilled.");
        }
        var before = await StockAtAsync(found.LocationId);
        var onHand = before.OnHand - found.Quantity;
        await RefuseNegativeAsync(before.OnHand, onHand, found.LocationId);
        var now = clock.GetUtcNow();
        ReservationView? done = null;
        var next = before with { OnHand = onHand, Reserved = Math.Max(0, before.Reserved - found.Quantity) };
        await CommitStockAsync(before, next, $"{reservationId}:fulfill", async (conn, tx) =>
        {
            var key = $"{InventoryValues.ReservationKeyPrefix}{reservationId}:fulfill";
            var entry = await InventoryRows.InsertLedgerAsync(conn, tx, _scope, _itemId, found.LocationId, key,
                Fingerprint("fulfill", found.LocationId, found.Quantity, reservationId, null), "adjustment", "sale", -found.Quantity, -found.Quantity,
                onHand, true, null, now, now, actor, found.Reference is null ? $"Reservation {reservationId}" : $"Reservation {reservationId} ({found.Reference})",
                null, reservationId);
            if (entry is null)
            {
                return false;
            }
            done = await ReservationRows.FinishAsync(conn, tx, _scope, reservationId, "fulfilled", null, entry.EntryId, now);
            return done is not null;
        });
        return done ?? await RetryAsync(reservationId, "fulfilled");
    }

    /// <summary>held → released with reserved down; null when the row was no longer held (nothing applied).</summary>
    private async Task<ReservationView?> ReleaseHeldAsync(ReservationView held, string reason)
    {
        var before = await StockAtAsync(held.LocationId);
        ReservationView? done = null;
        await CommitStockAsync(before, before with { Reserved = Math.Max(0, before.Reserved - held.Quantity) }, $"{held.ReservationId}:release",
            async (conn, tx) =>
            {
                done = await ReservationRows.FinishAsync(conn, tx, _scope, held.ReservationId, "released", reason, null, clock.GetUtcNow());
                return done is not null;
            });
        return done;
    }

    /// <summary>After a write found the reservation already moved on: answer it when it reached the wanted state, else 409.</summary>
    private async Task<ReservationView> RetryAsync(string reservationId, string wanted)
    {
        var now = await RequireReservationAsync(reservationId);
        return now.Status == wanted ? now : throw new CloudFranException(ErrorKind.Conflict, InventoryErrors.InvalidTransition,
            $"The reservation is {now.Status}; only a held reservation can be {wanted}.");
    }

    private async Task<ReservationView> RequireReservationAsync(string reservationId)
    {
        var found = (await ReservationRows.GetAsync(db, _scope, reservationId))?.View;
        return found is not null && found.ItemId == _itemId ? found : throw CloudFranException.NotFound("Reservation");
    }

    private static ReservationResult ReplayReservation(ReservationRecord earlier, string fingerprint) =>
        earlier.Fingerprint == fingerprint
            ? new ReservationResult(earlier.View, true)
            : throw new CloudFranException(ErrorKind.Conflict, InventoryErrors.IdempotencyKeyReused, "This idempotency key was already used for a different reservation.");

    /// <summary>
    /// Runs <paramref name="write"/> and the stock row change (with any threshold event) in one transaction, then
    /// updates memory. When <paramref name="write"/> answers false nothing is written and false is returned.
    /// </summary>
    private async Task<bool> CommitStockAsync(Stock before, Stock next, string cause, Func<NpgsqlConnection, NpgsqlTransaction, Task<bool>> write)
    {
        Stock written;
        try
        {
            await using var conn = await db.Source.OpenConnectionAsync();
            await using var tx = await conn.BeginTransactionAsync();
            if (!await write(conn, tx))
            {
                await tx.RollbackAsync();
                return false;
            }
            next = next with { UpdatedAt = clock.GetUtcNow() };
            next = next with { Alert = Thresholds.Alert(next) };
            next = await RaiseThresholdAsync(conn, tx, before, next, cause);
            written = await InventoryRows.WriteStockAsync(conn, tx, _scope, _itemId, next, before);
            await tx.CommitAsync();
        }
        catch (Exception e) when (e is not CloudFranException)
        {
            DeactivateOnIdle();
            throw;
        }
        _stock[written.LocationId] = written;
        return true;
    }

    // ---- the one write path for stock ----

    private sealed record Change(string Key, string Fingerprint, string Kind, string Reason, string LocationId, decimal Quantity,
        DateTimeOffset ClientTimestamp, string? Actor, string? Note, string? TransferId, string? OtherLocationId);

    /// <summary>New stock rows (the ledger's location first), the on-hand effect and its explanation.</summary>
    private sealed record Outcome(IReadOnlyList<Stock> Stocks, decimal AppliedDelta, decimal OnHandAfter, bool Applied, string? Explanation)
    {
        public static Outcome Superseded(Stock current, string why) => new([current], 0, current.OnHand, false, why);
    }

    private async Task<AdjustmentResult> ApplyAsync(Change change, Func<NpgsqlConnection, NpgsqlTransaction, IReadOnlyList<Stock>, Task<Outcome>> plan)
    {
        var before = new List<Stock> { await StockAtAsync(change.LocationId) };
        if (change.OtherLocationId is not null)
        {
            before.Add(await StockAtAsync(change.OtherLocationId));
        }
        var now = clock.GetUtcNow();
        List<Stock>? after = null;
        AdjustmentResult? result = null;
        try
        {
            await using var conn = await db.Source.OpenConnectionAsync();
            await using var tx = await conn.BeginTransactionAsync();
            Outcome outcome;
            try
            {
                outcome = await plan(conn, tx, before);
            }
            catch (CloudFranException)
            {
                // A refused change may be the replay of one that was accepted before the stock ran low.
                if (await ReplayAsync(change) is { } replay) return replay;
                throw;
            }
            var entry = await InventoryRows.InsertLedgerAsync(conn, tx, _scope, _itemId, change.LocationId, change.Key, change.Fingerprint,
                change.Kind, change.Reason, change.Quantity, outcome.AppliedDelta, outcome.OnHandAfter, outcome.Applied, outcome.Explanation, change.ClientTimestamp, now, change.Actor, change.Note, change.TransferId);
            if (entry is null)
            {
                await tx.RollbackAsync();
                return await ReplayAsync(change) ?? throw new InvalidOperationException("Ledger key conflict without a row.");
            }
            after = [];
            for (var i = 0; i < outcome.Stocks.Count; i++)
            {
                var next = outcome.Stocks[i] with { UpdatedAt = now };
                next = next with { Alert = Thresholds.Alert(next) };
                next = await RaiseThresholdAsync(conn, tx, before[i], next, $"e{entry.EntryId}");
                after.Add(await InventoryRows.WriteStockAsync(conn, tx, _scope, _itemId, next, before[i]));
            }
            await tx.CommitAsync();
            result = new AdjustmentResult(entry, false, after[0].View());
        }
        catch (Exception e) when (e is not CloudFranException)
        {
            // Outcome unknown (the commit may have happened): reload from the database on the next call.
            DeactivateOnIdle();
            throw;
        }
        foreach (var s in after!)
        {
            _stock[s.LocationId] = s;
        }
        return result;
    }

    private async Task<AdjustmentResult?> ReplayAsync(Change change)
    {
        var original = await InventoryRows.LedgerByKeyAsync(db, _scope, _itemId, change.Key);
        if (original is null)
        {
            return null;
        }
        if (original.Value.Fingerprint != change.Fingerprint)
        {
            throw new CloudFranException(ErrorKind.Conflict, InventoryErrors.IdempotencyKeyReused,
                "This idempotency key was already used for a different stock change.");
        }
        return new AdjustmentResult(original.Value.Entry, true, (await StockAtAsync(original.Value.Entry.LocationId)).View());
    }

    /// <summary>Emits inventory.low_stock / inventory.out_of_stock when the alert state worsens (once per crossing).</summary>
    private async Task<Stock> RaiseThresholdAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Stock before, Stock next, string cause)
    {
        var type = (before.Alert, next.Alert) switch
        {
            (not "out", "out") => "inventory.out_of_stock",
            ("ok", "low") => "inventory.low_stock",
            _ => null,
        };
        if (type is not null)
        {
            var item = _item!;
            await EventOutbox.AppendAsync(conn, tx, _scope, type, new
            {
                itemId = _itemId, sku = item.Sku, name = item.Name, locationId = next.LocationId, onHand = next.OnHand,
                reserved = next.Reserved, available = Thresholds.Available(next),
                min = next.Min, reorderPoint = next.ReorderPoint, threshold = Thresholds.LowThreshold(next), status = Thresholds.Status(next.Alert),
            }, $"{type}:{_itemId}:{next.LocationId}:{cause}");
        }
        return next;
    }

    private async Task RefuseNegativeAsync(decimal before, decimal after, string locationId)
    {
        if (after >= 0 || after >= before)
        {
            return;
        }
        if (!await NegativeStockAllowedAsync())
        {
            throw new CloudFranException(ErrorKind.Conflict, InventoryErrors.InsufficientStock,
                $"Only {before} on hand at {locationId}; negative stock is not allowed for this tenant.",
                [new FieldError("locationId", $"on hand {before}, change would leave {after}")]);
        }
    }

    private async Task<bool> NegativeStockAllowedAsync() =>
        await db.ScalarAsync<bool?>(
            "SELECT allow_negative_stock FROM inventory_settings WHERE tenant_id = @t AND env = @e",
            ("t", _scope.TenantId), ("e", _scope.EnvName)) ?? false;

    private async Task<Stock> StockAtAsync(string locationId)
    {
        if (_stock.TryGetValue(locationId, out var stock))
        {
            return stock;
        }
        var exists = await db.ScalarAsync<string>(
            "SELECT status FROM locations WHERE tenant_id = @t AND env = @e AND location_id = @l",
            ("t", _scope.TenantId), ("e", _scope.EnvName), ("l", locationId));
        if (exists is null)
        {
            throw CloudFranException.NotFound("Location");
        }
        return Stock.New(locationId, clock.GetUtcNow());
    }

    private async Task RequireSupplierAsync(string? supplierId)
    {
        if (supplierId is null)
        {
            return;
        }
        var found = await db.ScalarAsync<string>(
            "SELECT supplier_id FROM inventory_suppliers WHERE tenant_id = @t AND env = @e AND supplier_id = @s",
            ("t", _scope.TenantId), ("e", _scope.EnvName), ("s", supplierId));
        if (found is null)
        {
            throw CloudFranException.Invalid("supplierId", "supplierId does not name a supplier of this tenant.");
        }
    }

    private async Task Guarded(Func<Task> write)
    {
        try
        {
            await write();
        }
        catch (Exception e) when (e is not CloudFranException)
        {
            DeactivateOnIdle();
            throw;
        }
    }

    private ItemRecord Require() => _item ?? throw CloudFranException.NotFound("Item");

    private ItemView View()
    {
        var item = Require();
        var locations = _stock.Values.OrderBy(s => s.LocationId, StringComparer.Ordinal).Select(s => s.View()).ToList();
        return item.View(locations, null);
    }

    private static IReadOnlyList<string> Normalize(IReadOnlyList<string>? barcodes) =>
        (barcodes ?? []).Select(b => b.Trim()).Where(b => b.Length > 0).Distinct(StringComparer.Ordinal).ToList();

    private static string Fingerprint(string kind, string location, decimal quantity, string reason, DateTimeOffset? at) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
            $"{kind}|{location}|{quantity.ToString(System.Globalization.CultureInfo.InvariantCulture)}|{reason}|{at?.UtcTicks}")));
}
