using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using CloudFran.Abstractions.Inventory;

namespace CloudFran.Grains.Inventory;

/// <summary>One stock change as it is written to the ledger (the ledger's location first, the other one for transfers).</summary>
public sealed record StockChange(string Key, string Fingerprint, string Kind, string Reason, string LocationId, decimal Quantity,
    DateTimeOffset ClientTimestamp, string? Actor, string? Note, string? TransferId, string? OtherLocationId);

/// <summary>New stock rows (the ledger's location first), the on-hand effect and its explanation.</summary>
public sealed record StockOutcome(IReadOnlyList<Stock> Stocks, decimal AppliedDelta, decimal OnHandAfter, bool Applied, string? Explanation)
{
    public static StockOutcome Superseded(Stock current, string why) => new([current], 0, current.OnHand, false, why);
}

/// <summary>
/// What a physical count, an adjustment or a transfer move does to an item's stock rows, without storage: the
/// item grain reads the rows, asks these rules for the outcome, and writes it with the ledger entry. A physical count
/// sets on hand (plus the changes dated after it); a change dated at or before the last count is recorded only.
/// </summary>
public static class StockRules
{
    /// <summary>Client timestamps may run ahead of the server by at most this (till clock skew).</summary>
    public static readonly TimeSpan MaxClockSkew = TimeSpan.FromMinutes(5);

    /// <summary>The instant a change happened: the client's timestamp (UTC) or now; refused when too far in the future.</summary>
    public static DateTimeOffset EffectiveAt(DateTimeOffset? clientTimestamp, DateTimeOffset now)
    {
        var at = (clientTimestamp ?? now).ToUniversalTime();
        return at > now + MaxClockSkew ? throw CloudFranException.Invalid("clientTimestamp", "clientTimestamp is in the future.") : at;
    }

    /// <summary>The request fingerprint stored with a ledger row: a replay must carry the same one.</summary>
    public static string Fingerprint(string kind, string location, decimal quantity, string reason, DateTimeOffset? at) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
            $"{kind}|{location}|{quantity.ToString(CultureInfo.InvariantCulture)}|{reason}|{at?.UtcTicks}")));

    /// <summary>The ledger change of an adjustment or a physical count at <paramref name="at"/>.</summary>
    public static StockChange Adjustment(AdjustmentRequest request, DateTimeOffset at)
    {
        var kind = request.PhysicalCount is not null ? "count" : "adjustment";
        var quantity = request.PhysicalCount ?? request.Delta!.Value;
        return new StockChange(request.IdempotencyKey, Fingerprint(kind, request.LocationId, quantity, request.Reason, request.ClientTimestamp?.ToUniversalTime()),
            kind, request.Reason, request.LocationId, quantity, at, request.Actor, request.Note, null, null);
    }

    public static StockChange Ship(TransferMove move, DateTimeOffset now) =>
        new(move.IdempotencyKey, Fingerprint("transfer_out", move.FromLocationId, move.Quantity, move.ToLocationId, null), "transfer_out", "transfer",
            move.FromLocationId, -move.Quantity, now, move.Actor, $"Shipped to {move.ToLocationId}", move.TransferId, move.ToLocationId);

    public static StockChange Receive(TransferMove move, DateTimeOffset now) =>
        new(move.IdempotencyKey, Fingerprint("transfer_in", move.ToLocationId, move.Quantity, move.FromLocationId, null), "transfer_in", "transfer",
            move.ToLocationId, move.Quantity, now, move.Actor, $"Received from {move.FromLocationId}", move.TransferId, null);

    public static StockChange Return(TransferMove undo, DateTimeOffset now) =>
        new(undo.IdempotencyKey, Fingerprint("transfer_return", undo.FromLocationId, undo.Quantity, undo.ToLocationId, null), "transfer_return", "transfer",
            undo.FromLocationId, undo.Quantity, now, undo.Actor, "Shipment refused; returned to stock", undo.TransferId, undo.ToLocationId);

    /// <summary>A count older than the last count is recorded only; null when the count applies.</summary>
    public static StockOutcome? CountSuperseded(Stock current, DateTimeOffset at) =>
        current.LastCountAt is { } counted && at < counted
            ? StockOutcome.Superseded(current, $"A later physical count ({counted:O}) already sets the stock; this count was recorded only.")
            : null;

    /// <summary>A physical count of <paramref name="counted"/> at <paramref name="at"/>, plus <paramref name="later"/> of changes dated after it.</summary>
    public static StockOutcome Count(Stock current, decimal counted, decimal later, DateTimeOffset at)
    {
        var onHand = counted + later;
        return new StockOutcome([current with { OnHand = onHand, LastCountAt = at }], onHand - current.OnHand, onHand, true,
            later == 0 ? null : $"Count {counted} plus {later} of changes dated after it.");
    }

    /// <summary>A signed change of on hand; recorded only when dated at or before the last count (which includes it).</summary>
    public static StockOutcome Adjust(Stock current, decimal delta, DateTimeOffset at)
    {
        if (current.LastCountAt is { } countAt && at <= countAt)
        {
            return StockOutcome.Superseded(current, $"Dated before the physical count at {countAt:O}, which already includes it; recorded only.");
        }
        var next = current.OnHand + delta;
        return new StockOutcome([current with { OnHand = next }], delta, next, true, null);
    }

    /// <summary>Shipping: on hand leaves the source and is in transit towards the destination.</summary>
    public static StockOutcome Ship(Stock source, Stock destination, decimal quantity)
    {
        var onHand = source.OnHand - quantity;
        return new StockOutcome([source with { OnHand = onHand }, destination with { InTransit = destination.InTransit + quantity }],
            -quantity, onHand, true, null);
    }

    /// <summary>Receiving: in transit becomes on hand at the destination.</summary>
    public static StockOutcome Receive(Stock destination, decimal quantity)
    {
        var onHand = destination.OnHand + quantity;
        return new StockOutcome([destination with { OnHand = onHand, InTransit = Math.Max(0, destination.InTransit - quantity) }],
            quantity, onHand, true, null);
    }

    /// <summary>A refused shipment: back on hand at the source, no longer in transit towards the destination.</summary>
    public static StockOutcome Return(Stock source, Stock destination, decimal quantity)
    {
        var onHand = source.OnHand + quantity;
        return new StockOutcome([source with { OnHand = onHand }, destination with { InTransit = Math.Max(0, destination.InTransit - quantity) }],
            quantity, onHand, true, null);
    }

    /// <summary>True when the change lowers on hand below zero (a change that raises a negative stock is always fine).</summary>
    public static bool GoesNegative(decimal before, decimal after) => after < 0 && after < before;

    public static CloudFranException InsufficientStock(decimal before, decimal after, string locationId) =>
        new(ErrorKind.Conflict, InventoryErrors.InsufficientStock,
            $"Only {before} on hand at {locationId}; negative stock is not allowed for this tenant.",
            [new FieldError("locationId", $"on hand {before}, change would leave {after}")]);

    /// <summary>An idempotency key seen before answers its original entry only when the request is the same one.</summary>
    public static void RequireSameChange(string storedFingerprint, string fingerprint)
    {
        if (storedFingerprint != fingerprint)
        {
            throw new CloudFranException(ErrorKind.Conflict, InventoryErrors.IdempotencyKeyReused,
                "This idempotency key was already used for a different stock change.");
        }
    }

    /// <summary>The stock row as written: its alert state recomputed and stamped with <paramref name="now"/>.</summary>
    public static Stock Stamped(Stock next, DateTimeOffset now)
    {
        next = next with { UpdatedAt = now };
        return next with { Alert = Thresholds.Alert(next) };
    }
}
