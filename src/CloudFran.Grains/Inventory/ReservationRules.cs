using CloudFran.Abstractions.Inventory;

namespace CloudFran.Grains.Inventory;

/// <summary>
/// The rules of a reservation, without storage: a hold on available stock (on hand − reserved) that moves from held
/// to released or fulfilled exactly once. Asking again for the state it already reached answers it unchanged; any
/// other move out of a finished state is an invalid transition.
/// </summary>
public static class ReservationRules
{
    public static string Fingerprint(ReservationRequest request) =>
        StockRules.Fingerprint("reserve", request.LocationId, request.Quantity, $"{request.Reference}|{request.ExpiresInMinutes}", null);

    /// <summary>True when <paramref name="quantity"/> is more than is available (then only a tenant allowing negative stock may hold it).</summary>
    public static bool ExceedsAvailable(Stock stock, decimal quantity) => quantity > Thresholds.Available(stock);

    public static CloudFranException InsufficientStock(Stock stock, decimal quantity, string locationId)
    {
        var available = Thresholds.Available(stock);
        return new CloudFranException(ErrorKind.Conflict, InventoryErrors.InsufficientStock,
            $"Only {available} available at {locationId} ({stock.OnHand} on hand, {stock.Reserved} reserved).",
            [new FieldError("quantity", $"available {available}, requested {quantity}")]);
    }

    /// <summary>The stock row with a hold placed: reserved up (on hand unchanged).</summary>
    public static Stock Hold(Stock stock, decimal quantity) => stock with { Reserved = stock.Reserved + quantity };

    /// <summary>The stock row with a hold released: reserved down, never below zero.</summary>
    public static Stock Release(Stock stock, decimal quantity) => stock with { Reserved = Math.Max(0, stock.Reserved - quantity) };

    /// <summary>The stock row with a hold fulfilled: the quantity leaves on hand and is no longer reserved.</summary>
    public static Stock Fulfil(Stock stock, decimal quantity) =>
        stock with { OnHand = stock.OnHand - quantity, Reserved = Math.Max(0, stock.Reserved - quantity) };

    /// <summary>The new held reservation; it expires <c>ExpiresInMinutes</c> after <paramref name="now"/> when set.</summary>
    public static ReservationView Held(ReservationRequest request, string itemId, DateTimeOffset now) =>
        new(request.ReservationId, itemId, request.LocationId, request.Quantity, request.Reference, "held",
            request.ExpiresInMinutes is { } minutes ? now.AddMinutes(minutes) : null, now, null, null, null, null, now);

    /// <summary>The earlier reservation under the same idempotency key, when the request is the same one.</summary>
    public static ReservationResult Replay(ReservationRecord earlier, string fingerprint) =>
        earlier.Fingerprint == fingerprint
            ? new ReservationResult(earlier.View, true)
            : throw new CloudFranException(ErrorKind.Conflict, InventoryErrors.IdempotencyKeyReused,
                "This idempotency key was already used for a different reservation.");

    /// <summary>
    /// Before moving a reservation to <paramref name="wanted"/> (released or fulfilled): true when it is already there
    /// (answer it as it is), false when it is held (move it); any other state is an invalid transition.
    /// </summary>
    public static bool AlreadyIn(ReservationView found, string wanted) =>
        found.Status == wanted || (found.Status == "held" ? false : throw InvalidTransition(found.Status, wanted));

    /// <summary>After a write found the reservation already moved on: it is the answer when it reached <paramref name="wanted"/>.</summary>
    public static ReservationView Reached(ReservationView now, string wanted) =>
        now.Status == wanted ? now : throw InvalidTransition(now.Status, wanted);

    /// <summary>True when the sweep may release this reservation of <paramref name="itemId"/>: still held and its expiry passed.</summary>
    public static bool IsExpiredHold(ReservationView? found, string itemId, DateTimeOffset now) =>
        found is not null && found.ItemId == itemId && found.Status == "held" && found.ExpiresAt is { } expires && expires <= now;

    /// <summary>The ledger key of a fulfilment (one per reservation).</summary>
    public static string FulfilKey(string reservationId) => $"{InventoryValues.ReservationKeyPrefix}{reservationId}:fulfill";

    public static string FulfilFingerprint(ReservationView found) =>
        StockRules.Fingerprint("fulfill", found.LocationId, found.Quantity, found.ReservationId, null);

    public static string FulfilNote(ReservationView found) =>
        found.Reference is null ? $"Reservation {found.ReservationId}" : $"Reservation {found.ReservationId} ({found.Reference})";

    private static CloudFranException InvalidTransition(string status, string wanted) =>
        new(ErrorKind.Conflict, InventoryErrors.InvalidTransition, $"The reservation is {status}; only a held reservation can be {wanted}.");
}
