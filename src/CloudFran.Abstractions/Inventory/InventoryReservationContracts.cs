namespace CloudFran.Abstractions.Inventory;

// Reservations: holds of stock at one location, released or fulfilled once.

/// <summary>A hold of stock at one location; ReservationId is chosen by the caller (res_…) and kept only when the key is new.</summary>
[GenerateSerializer, Immutable, Alias("cf.inv.ReservationRequest")]
public sealed record ReservationRequest(
    [property: Id(0)] string ReservationId,
    [property: Id(1)] string LocationId,
    [property: Id(2)] decimal Quantity,
    [property: Id(3)] string? Reference,
    [property: Id(4)] int? ExpiresInMinutes,
    [property: Id(5)] string IdempotencyKey,
    [property: Id(6)] string? Actor);

[GenerateSerializer, Immutable, Alias("cf.inv.ReservationView")]
public sealed record ReservationView(
    [property: Id(0)] string ReservationId,
    [property: Id(1)] string ItemId,
    [property: Id(2)] string LocationId,
    [property: Id(3)] decimal Quantity,
    [property: Id(4)] string? Reference,
    /// <summary>held, released or fulfilled.</summary>
    [property: Id(5)] string Status,
    [property: Id(6)] DateTimeOffset? ExpiresAt,
    [property: Id(7)] DateTimeOffset CreatedAt,
    /// <summary>manual (the release route) or expired (the expiry sweep); null unless released.</summary>
    [property: Id(8)] string? ReleaseReason,
    [property: Id(9)] DateTimeOffset? ReleasedAt,
    [property: Id(10)] DateTimeOffset? FulfilledAt,
    /// <summary>The sale entry of the stock ledger written by the fulfilment.</summary>
    [property: Id(11)] long? LedgerEntryId,
    [property: Id(12)] DateTimeOffset UpdatedAt);

[GenerateSerializer, Immutable, Alias("cf.inv.ReservationResult")]
public sealed record ReservationResult(
    [property: Id(0)] ReservationView Reservation,
    /// <summary>True when the idempotency key was seen before: the original reservation, nothing held again.</summary>
    [property: Id(1)] bool Replayed);
