using System.Text.Json;
using CloudFran.Abstractions.Errors;
using CloudFran.Abstractions.Inventory;
using CloudFran.Abstractions.Keys;
using CloudFran.Grains.Events;
using CloudFran.Grains.Storage;
using Npgsql;

namespace CloudFran.Grains.Inventory;

/// <summary>
/// See <see cref="IInventoryTransferGrain"/>. The row in <c>inventory_transfers</c> is the state; each step is
/// retry-safe. Shipping debits each line on its item's grain under the key <c>tr:{id}:ship:{line}</c> (a later
/// attempt after a refusal adds <c>:{attempt}</c>), receiving credits under <c>tr:{id}:recv:{line}</c>; the status
/// moves only after every line is done, so a step interrupted by a crash is simply run again and the item grains
/// answer the lines already applied with their original entries. A shipment refused part-way (not enough stock on
/// one line) records the refusal first, returns the lines already shipped, and leaves the transfer approved.
/// </summary>
public sealed class InventoryTransferGrain(PlatformDb db, TimeProvider clock, IGrainFactory grains) : Grain, IInventoryTransferGrain
{
    private TenantScope _scope;
    private string _transferId = "";

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var key = ScopedKey.Parse(this.GetPrimaryKeyString());
        _scope = key.Scope;
        _transferId = key.Name;
        return Task.CompletedTask;
    }

    public async Task<TransferView> CreateAsync(TransferInput input)
    {
        if (await LoadAsync() is not null)
        {
            throw CloudFranException.Conflict("The transfer already exists.");
        }
        var locations = await db.QueryAsync("SELECT location_id FROM locations WHERE tenant_id = @t AND env = @e AND location_id = ANY(@ids)",
            r => r.GetString(0), ("t", _scope.TenantId), ("e", _scope.EnvName), ("ids", new[] { input.FromLocationId, input.ToLocationId }));
        if (!locations.Contains(input.FromLocationId))
        {
            throw new CloudFranException(ErrorKind.NotFound, ErrorCodes.ResourceNotFound, "The source location was not found.", [new FieldError("fromLocationId", "unknown location")]);
        }
        if (!locations.Contains(input.ToLocationId))
        {
            throw new CloudFranException(ErrorKind.NotFound, ErrorCodes.ResourceNotFound, "The destination location was not found.", [new FieldError("toLocationId", "unknown location")]);
        }
        var ids = input.Lines.Select(l => l.ItemId!).ToArray();
        var skus = (await db.QueryAsync(
                "SELECT item_id, sku FROM inventory_items WHERE tenant_id = @t AND env = @e AND item_id = ANY(@ids) AND deleted_at IS NULL",
                r => (Id: r.GetString(0), Sku: r.GetString(1)), ("t", _scope.TenantId), ("e", _scope.EnvName), ("ids", ids)))
            .ToDictionary(x => x.Id, x => x.Sku);
        var missing = input.Lines.Select((l, i) => (l, i)).Where(x => !skus.ContainsKey(x.l.ItemId!))
            .Select(x => new FieldError($"lines[{x.i}].itemId", "unknown item")).ToList();
        if (missing.Count > 0)
        {
            throw new CloudFranException(ErrorKind.NotFound, ErrorCodes.ResourceNotFound, "An item of the transfer was not found.", missing);
        }
        var lines = input.Lines.Select((l, i) => new TransferLine(i, l.ItemId!, skus[l.ItemId!], l.Quantity!.Value)).ToList();
        var now = clock.GetUtcNow();
        await using var tx = await db.BeginAsync();
        await tx.ExecuteAsync(
            """
            INSERT INTO inventory_transfers (tenant_id, env, transfer_id, from_location_id, to_location_id, status, lines, note, requested_by,
                                             created_at, updated_at)
            VALUES (@t, @e, @id, @from, @to, 'requested', @lines::jsonb, @note, @by, @now, @now)
            """,
            ("t", _scope.TenantId), ("e", _scope.EnvName), ("id", _transferId), ("from", input.FromLocationId), ("to", input.ToLocationId),
            ("lines", JsonSerializer.Serialize(lines, Json.Options)), ("note", input.Note), ("by", input.Actor), ("now", now));
        var view = (await LoadAsync(tx))!.View;
        await EventOutbox.AppendAsync(tx, _scope, "transfer.requested", view, $"transfer.requested:{_transferId}");
        await tx.CommitAsync();
        return view;
    }

    public async Task<TransferView> GetAsync() => (await RequireAsync()).View;

    public async Task<TransferView> ApproveAsync(string? actor)
    {
        var row = await RequireAsync();
        if (row.View.Status == "approved")
        {
            return row.View; // retried approval
        }
        Expect(row, "requested", "approve");
        return await MoveAsync("approved", "approved_at", null, null);
    }

    public async Task<TransferView> RejectAsync(string? reason, string? actor)
    {
        var row = await RequireAsync();
        if (row.View.Status == "rejected")
        {
            return row.View;
        }
        Expect(row, "requested", "reject");
        return await MoveAsync("rejected", "rejected_at", reason, "transfer.rejected");
    }

    public async Task<TransferView> ShipAsync(string? actor)
    {
        var row = await RequireAsync();
        if (row.CompensateAttempt is { } pending)
        {
            await ReturnShippedAsync(row, pending, actor);
            row = await RequireAsync();
        }
        if (row.View.Status is "in_transit" or "completed")
        {
            return row.View; // retried shipment
        }
        Expect(row, "approved", "ship");
        var attempt = row.ShipAttempt;
        foreach (var line in row.View.Lines)
        {
            try
            {
                await grains.GetInventoryItem(_scope, line.ItemId).ShipAsync(Move(row, line, ShipKey(attempt, line.Line), actor));
            }
            catch (CloudFranException e) when (e.Code == InventoryErrors.InsufficientStock)
            {
                // Record the refusal first: whatever happens next, the lines already shipped are returned and a new
                // attempt uses new keys.
                await db.ExecuteAsync(
                    """
                    UPDATE inventory_transfers SET ship_attempt = @next, compensate_attempt = @attempt, updated_at = @now
                     WHERE tenant_id = @t AND env = @e AND transfer_id = @id AND ship_attempt = @attempt
                    """,
                    ("next", attempt + 1), ("attempt", attempt), ("now", clock.GetUtcNow()), ("t", _scope.TenantId), ("e", _scope.EnvName),
                    ("id", _transferId));
                await ReturnShippedAsync(row, attempt, actor);
                throw new CloudFranException(ErrorKind.Conflict, InventoryErrors.InsufficientStock,
                    $"Line {line.Line} ({line.Sku}): not enough stock at {row.View.FromLocationId} to ship {line.Quantity}; nothing was shipped.",
                    [new FieldError($"lines[{line.Line}].quantity", e.Message)]);
            }
        }
        return await MoveAsync("in_transit", "shipped_at", null, null, expect: "approved");
    }

    public async Task<TransferView> CompleteAsync(string? actor)
    {
        var row = await RequireAsync();
        if (row.View.Status == "completed")
        {
            return row.View;
        }
        Expect(row, "in_transit", "complete");
        foreach (var line in row.View.Lines)
        {
            await grains.GetInventoryItem(_scope, line.ItemId).ReceiveAsync(Move(row, line, $"tr:{_transferId}:recv:{line.Line}", actor));
        }
        return await MoveAsync("completed", "completed_at", null, "transfer.completed", expect: "in_transit");
    }

    private async Task ReturnShippedAsync(TransferRow row, int attempt, string? actor)
    {
        foreach (var line in row.View.Lines)
        {
            var undo = new TransferMove(_transferId, line.Line, row.View.FromLocationId, row.View.ToLocationId, line.Quantity,
                $"tr:{_transferId}:return:{line.Line}:{attempt}", actor);
            await grains.GetInventoryItem(_scope, line.ItemId).ReturnShipmentAsync(ShipKey(attempt, line.Line), undo);
        }
        await db.ExecuteAsync(
            "UPDATE inventory_transfers SET compensate_attempt = NULL WHERE tenant_id = @t AND env = @e AND transfer_id = @id AND compensate_attempt = @a",
            ("t", _scope.TenantId), ("e", _scope.EnvName), ("id", _transferId), ("a", attempt));
    }

    private string ShipKey(int attempt, int line) =>
        attempt == 1 ? $"tr:{_transferId}:ship:{line}" : $"tr:{_transferId}:ship:{line}:{attempt}";

    private TransferMove Move(TransferRow row, TransferLine line, string key, string? actor) =>
        new(_transferId, line.Line, row.View.FromLocationId, row.View.ToLocationId, line.Quantity, key, actor);

    private static void Expect(TransferRow row, string status, string action)
    {
        if (row.View.Status != status)
        {
            throw new CloudFranException(ErrorKind.Conflict, InventoryErrors.InvalidTransition,
                $"A transfer that is {row.View.Status} cannot be {action}{(action.EndsWith('e') ? "d" : "ed")} (it must be {status}).");
        }
    }

    private async Task<TransferView> MoveAsync(string status, string stampColumn, string? reason, string? eventType, string? expect = null)
    {
        var now = clock.GetUtcNow();
        await using var tx = await db.BeginAsync();
        var moved = await tx.ExecuteAsync(
            $"""
            UPDATE inventory_transfers SET status = @status, {stampColumn} = @now, updated_at = @now,
                   reject_reason = coalesce(@reason, reject_reason)
             WHERE tenant_id = @t AND env = @e AND transfer_id = @id AND status = @expect
            """,
            ("status", status), ("now", now), ("reason", reason), ("t", _scope.TenantId), ("e", _scope.EnvName), ("id", _transferId),
            ("expect", expect ?? "requested"));
        if (moved == 0)
        {
            throw CloudFranException.Conflict("The transfer changed meanwhile; read it again.");
        }
        var view = (await LoadAsync(tx))!.View;
        if (eventType is not null)
        {
            await EventOutbox.AppendAsync(tx, _scope, eventType, view, $"{eventType}:{_transferId}");
        }
        await tx.CommitAsync();
        return view;
    }

    private sealed record TransferRow(TransferView View, int ShipAttempt, int? CompensateAttempt);

    private async Task<TransferRow> RequireAsync() => await LoadAsync() ?? throw CloudFranException.NotFound("Transfer");

    private Task<TransferRow?> LoadAsync() => LoadAsync(db);

    private Task<TransferRow?> LoadAsync(ISql sql) =>
        sql.QuerySingleAsync(
            $"SELECT {TransferColumns}, ship_attempt, compensate_attempt FROM inventory_transfers WHERE tenant_id = @t AND env = @e AND transfer_id = @id",
            r => new TransferRow(ReadTransfer(r), r.GetInt32(14), r.IsDBNull(15) ? null : r.GetInt32(15)),
            ("t", _scope.TenantId), ("e", _scope.EnvName), ("id", _transferId));

    public const string TransferColumns =
        "transfer_id, from_location_id, to_location_id, status, lines::text, note, requested_by, reject_reason, created_at, approved_at, shipped_at, completed_at, rejected_at, updated_at";

    public static TransferView ReadTransfer(NpgsqlDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3),
        JsonSerializer.Deserialize<List<TransferLine>>(r.GetString(4), Json.Options)!,
        r.IsDBNull(5) ? null : r.GetString(5), r.IsDBNull(6) ? null : r.GetString(6), r.IsDBNull(7) ? null : r.GetString(7),
        r.Time("created_at"), r.NullableTime("approved_at"), r.NullableTime("shipped_at"), r.NullableTime("completed_at"),
        r.NullableTime("rejected_at"), r.Time("updated_at"));
}
