namespace CloudFran.Abstractions.Inventory;

// Transfers between two locations of a tenant.

/// <summary>One transfer line executed on the item's grain (both locations live in that grain).</summary>
[GenerateSerializer, Immutable, Alias("cf.inv.TransferMove")]
public sealed record TransferMove(
    [property: Id(0)] string TransferId,
    [property: Id(1)] int Line,
    [property: Id(2)] string FromLocationId,
    [property: Id(3)] string ToLocationId,
    [property: Id(4)] decimal Quantity,
    [property: Id(5)] string IdempotencyKey,
    [property: Id(6)] string? Actor);

[GenerateSerializer, Immutable, Alias("cf.inv.TransferLineInput")]
public sealed record TransferLineInput([property: Id(0)] string? ItemId, [property: Id(1)] decimal? Quantity);

[GenerateSerializer, Immutable, Alias("cf.inv.TransferInput")]
public sealed record TransferInput(
    [property: Id(0)] string FromLocationId,
    [property: Id(1)] string ToLocationId,
    [property: Id(2)] IReadOnlyList<TransferLineInput> Lines,
    [property: Id(3)] string? Note,
    [property: Id(4)] string? Actor);

[GenerateSerializer, Immutable, Alias("cf.inv.TransferLine")]
public sealed record TransferLine(
    [property: Id(0)] int Line,
    [property: Id(1)] string ItemId,
    [property: Id(2)] string Sku,
    [property: Id(3)] decimal Quantity);

[GenerateSerializer, Immutable, Alias("cf.inv.TransferView")]
public sealed record TransferView(
    [property: Id(0)] string TransferId,
    [property: Id(1)] string FromLocationId,
    [property: Id(2)] string ToLocationId,
    [property: Id(3)] string Status,
    [property: Id(4)] IReadOnlyList<TransferLine> Lines,
    [property: Id(5)] string? Note,
    [property: Id(6)] string? RequestedBy,
    [property: Id(7)] string? RejectReason,
    [property: Id(8)] DateTimeOffset CreatedAt,
    [property: Id(9)] DateTimeOffset? ApprovedAt,
    [property: Id(10)] DateTimeOffset? ShippedAt,
    [property: Id(11)] DateTimeOffset? CompletedAt,
    [property: Id(12)] DateTimeOffset? RejectedAt,
    [property: Id(13)] DateTimeOffset UpdatedAt);
