// Over 400 lines on purpose: the inventory module's whole wire contract (records and grain interfaces, no logic) in one
// place, so the Orleans ids and aliases of one module can be reviewed together. Its rules live beside it (InventoryCsvRules).
using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Platform;

namespace CloudFran.Abstractions.Inventory;

public static class InventoryErrors
{
    public const string InsufficientStock = "INSUFFICIENT_STOCK";
    public const string IdempotencyKeyReused = "IDEMPOTENCY_KEY_REUSED";
    public const string InvalidTransition = "INVALID_TRANSITION";
    public const string FileTooLarge = "FILE_TOO_LARGE";
    public const string InvalidFile = "INVALID_FILE";
}

public static class InventoryValues
{
    public static readonly string[] Reasons = ["sale", "receive", "damage", "count", "correction"];
    public static readonly string[] Statuses = ["active", "low_stock", "out_of_stock", "discontinued"];
    public static readonly string[] ImportModes = ["create_only", "update_only", "upsert"];
    public static readonly string[] TransferStatuses = ["requested", "approved", "rejected", "in_transit", "completed"];

    /// <summary>Idempotency keys starting with this prefix belong to transfers and cannot be sent by API callers.</summary>
    public const string TransferKeyPrefix = "tr:";

    /// <summary>Ledger keys starting with this prefix belong to reservation fulfilments and cannot be sent by API callers.</summary>
    public const string ReservationKeyPrefix = "rs:";

    public static readonly string[] ReservationStatuses = ["held", "released", "fulfilled"];

    /// <summary>Longest hold a reservation may ask for: one week.</summary>
    public const int MaxReservationMinutes = 10_080;
}

/// <summary>Create (sku and name required) or patch (null = unchanged) input for an item.</summary>
[GenerateSerializer, Immutable, Alias("cf.inv.ItemInput")]
public sealed record ItemInput(
    [property: Id(0)] string? Sku,
    [property: Id(1)] string? Name,
    [property: Id(2)] IReadOnlyList<string>? Barcodes,
    [property: Id(3)] string? Category,
    [property: Id(4)] string? Unit,
    [property: Id(5)] decimal? Cost,
    [property: Id(6)] decimal? Price,
    [property: Id(7)] string? SupplierId,
    [property: Id(8)] bool? Discontinued);

[GenerateSerializer, Immutable, Alias("cf.inv.LocationStockView")]
public sealed record LocationStockView(
    [property: Id(0)] string LocationId,
    [property: Id(1)] decimal OnHand,
    [property: Id(2)] decimal Reserved,
    [property: Id(3)] decimal InTransit,
    [property: Id(4)] decimal Available,
    [property: Id(5)] decimal? Min,
    [property: Id(6)] decimal? ReorderPoint,
    [property: Id(7)] decimal? Max,
    [property: Id(8)] decimal? ReorderMultiple,
    [property: Id(9)] string Status,
    [property: Id(10)] DateTimeOffset? LastCountAt,
    [property: Id(11)] DateTimeOffset UpdatedAt);

[GenerateSerializer, Immutable, Alias("cf.inv.ItemView")]
public sealed record ItemView(
    [property: Id(0)] string ItemId,
    [property: Id(1)] string Sku,
    [property: Id(2)] string Name,
    [property: Id(3)] IReadOnlyList<string> Barcodes,
    [property: Id(4)] string? Category,
    [property: Id(5)] string Unit,
    [property: Id(6)] decimal? Cost,
    [property: Id(7)] decimal? Price,
    [property: Id(8)] string? SupplierId,
    /// <summary>discontinued, else the worst status over the locations (or the one asked for).</summary>
    [property: Id(9)] string Status,
    [property: Id(10)] bool Discontinued,
    [property: Id(11)] IReadOnlyList<LocationStockView> Locations,
    [property: Id(12)] DateTimeOffset CreatedAt,
    [property: Id(13)] DateTimeOffset UpdatedAt);

/// <summary>Stock levels of one location (null = no level). Only the given location changes.</summary>
[GenerateSerializer, Immutable, Alias("cf.inv.LevelsInput")]
public sealed record LevelsInput(
    [property: Id(0)] decimal? Min,
    [property: Id(1)] decimal? ReorderPoint,
    [property: Id(2)] decimal? Max,
    [property: Id(3)] decimal? ReorderMultiple);

[GenerateSerializer, Immutable, Alias("cf.inv.AdjustmentRequest")]
public sealed record AdjustmentRequest(
    [property: Id(0)] string LocationId,
    /// <summary>Signed change of on-hand; exactly one of Delta and PhysicalCount.</summary>
    [property: Id(1)] decimal? Delta,
    [property: Id(2)] decimal? PhysicalCount,
    [property: Id(3)] string Reason,
    [property: Id(4)] DateTimeOffset? ClientTimestamp,
    [property: Id(5)] string IdempotencyKey,
    [property: Id(6)] string? Note,
    [property: Id(7)] string? Actor);

[GenerateSerializer, Immutable, Alias("cf.inv.LedgerEntryView")]
public sealed record LedgerEntryView(
    [property: Id(0)] long EntryId,
    [property: Id(1)] string ItemId,
    [property: Id(2)] string LocationId,
    [property: Id(3)] string Kind,
    [property: Id(4)] string Reason,
    [property: Id(5)] decimal Quantity,
    [property: Id(6)] decimal AppliedDelta,
    [property: Id(7)] decimal OnHandAfter,
    [property: Id(8)] bool Applied,
    [property: Id(9)] string? Explanation,
    [property: Id(10)] DateTimeOffset ClientTimestamp,
    [property: Id(11)] DateTimeOffset RecordedAt,
    [property: Id(12)] string? Actor,
    [property: Id(13)] string? Note,
    [property: Id(14)] string? TransferId,
    [property: Id(15)] string IdempotencyKey,
    /// <summary>The reservation a fulfilment's sale entry belongs to.</summary>
    [property: Id(16)] string? ReservationId = null);

[GenerateSerializer, Immutable, Alias("cf.inv.AdjustmentResult")]
public sealed record AdjustmentResult(
    [property: Id(0)] LedgerEntryView Entry,
    /// <summary>True when the idempotency key was seen before: the original entry, nothing applied again.</summary>
    [property: Id(1)] bool Replayed,
    [property: Id(2)] LocationStockView Stock);

[GenerateSerializer, Immutable, Alias("cf.inv.LedgerQuery")]
public sealed record LedgerQuery(
    [property: Id(0)] string? LocationId,
    [property: Id(1)] int Page,
    [property: Id(2)] int PageSize);

[GenerateSerializer, Immutable, Alias("cf.inv.ItemQuery")]
public sealed record ItemQuery(
    [property: Id(0)] string? Category,
    [property: Id(1)] string? StoreId,
    [property: Id(2)] string? Status,
    [property: Id(3)] string? Search,
    [property: Id(4)] int Page,
    [property: Id(5)] int PageSize);

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

[GenerateSerializer, Immutable, Alias("cf.inv.SupplierInput")]
public sealed record SupplierInput(
    [property: Id(0)] string Name,
    [property: Id(1)] string? ContactEmail,
    [property: Id(2)] int? LeadTimeDays);

[GenerateSerializer, Immutable, Alias("cf.inv.SupplierView")]
public sealed record SupplierView(
    [property: Id(0)] string SupplierId,
    [property: Id(1)] string Name,
    [property: Id(2)] string? ContactEmail,
    [property: Id(3)] int? LeadTimeDays,
    [property: Id(4)] DateTimeOffset CreatedAt);

[GenerateSerializer, Immutable, Alias("cf.inv.InventorySettings")]
public sealed record InventorySettings([property: Id(0)] bool AllowNegativeStock);

[GenerateSerializer, Immutable, Alias("cf.inv.ReorderRequest")]
public sealed record ReorderRequest(
    [property: Id(0)] string LocationId,
    [property: Id(1)] decimal? Budget,
    [property: Id(2)] int? UrgencyDays);

[GenerateSerializer, Immutable, Alias("cf.inv.ReorderLine")]
public sealed record ReorderLine(
    [property: Id(0)] string ItemId,
    [property: Id(1)] string Sku,
    [property: Id(2)] string Name,
    [property: Id(3)] string? SupplierId,
    [property: Id(4)] decimal OnHand,
    [property: Id(5)] decimal InTransit,
    [property: Id(6)] decimal Reserved,
    [property: Id(7)] decimal DailyVelocity,
    [property: Id(8)] decimal? DaysOfCover,
    [property: Id(9)] int LeadTimeDays,
    [property: Id(10)] decimal SuggestedQuantity,
    [property: Id(11)] decimal? UnitCost,
    [property: Id(12)] decimal? LineCost,
    /// <summary>critical (stocks out within lead time or urgencyDays), soon, or planned.</summary>
    [property: Id(13)] string Urgency,
    [property: Id(14)] bool WithinBudget,
    [property: Id(15)] string Explanation);

[GenerateSerializer, Immutable, Alias("cf.inv.ReorderPlan")]
public sealed record ReorderPlan(
    [property: Id(0)] string LocationId,
    [property: Id(1)] decimal? Budget,
    [property: Id(2)] int UrgencyDays,
    [property: Id(3)] int VelocityWindowDays,
    [property: Id(4)] decimal TotalCost,
    [property: Id(5)] IReadOnlyList<ReorderLine> Lines,
    /// <summary>Needed but left out to stay within the budget.</summary>
    [property: Id(6)] IReadOnlyList<ReorderLine> Deferred,
    [property: Id(7)] string Method);

[GenerateSerializer, Immutable, Alias("cf.inv.PricingRequest")]
public sealed record PricingRequest(
    [property: Id(0)] IReadOnlyList<string>? ItemIds,
    [property: Id(1)] decimal TargetMargin);

[GenerateSerializer, Immutable, Alias("cf.inv.PricingLine")]
public sealed record PricingLine(
    [property: Id(0)] string ItemId,
    [property: Id(1)] string Sku,
    [property: Id(2)] string Name,
    [property: Id(3)] decimal? Cost,
    [property: Id(4)] decimal? CurrentPrice,
    [property: Id(5)] decimal? CurrentMargin,
    [property: Id(6)] decimal? SuggestedPrice,
    [property: Id(7)] decimal? SuggestedMargin,
    [property: Id(8)] decimal? PriceChange,
    [property: Id(9)] string Explanation);

[GenerateSerializer, Immutable, Alias("cf.inv.PricingResult")]
public sealed record PricingResult(
    [property: Id(0)] decimal TargetMargin,
    [property: Id(1)] IReadOnlyList<PricingLine> Items,
    [property: Id(2)] string Method);

[GenerateSerializer, Immutable, Alias("cf.inv.AssistantRequest")]
public sealed record AssistantRequest([property: Id(0)] string Question, [property: Id(1)] string? LocationId);

[GenerateSerializer, Immutable, Alias("cf.inv.AssistantAnswer")]
public sealed record AssistantAnswer(
    [property: Id(0)] string Intent,
    [property: Id(1)] string Answer,
    [property: Id(2)] IReadOnlyList<string> Lines,
    /// <summary>offline: deterministic answers from the data (no language model).</summary>
    [property: Id(3)] string Engine);

/// <summary>One parsed, syntactically valid CSV row, ready to apply to the named location.</summary>
[GenerateSerializer, Immutable, Alias("cf.inv.ImportRow")]
public sealed record ImportRow(
    [property: Id(0)] int Line,
    [property: Id(1)] string Sku,
    [property: Id(2)] string? Name,
    [property: Id(3)] IReadOnlyList<string>? Barcodes,
    [property: Id(4)] string? Category,
    [property: Id(5)] string? Unit,
    [property: Id(6)] decimal? Cost,
    [property: Id(7)] decimal? Price,
    [property: Id(8)] string? SupplierId,
    [property: Id(9)] bool? Discontinued,
    [property: Id(10)] decimal? OnHand,
    [property: Id(11)] decimal? Min,
    [property: Id(12)] decimal? ReorderPoint,
    [property: Id(13)] decimal? Max,
    [property: Id(14)] decimal? ReorderMultiple,
    /// <summary>Which level columns the file has (a missing column leaves that level unchanged).</summary>
    [property: Id(15)] IReadOnlyList<string> Columns);

[GenerateSerializer, Immutable, Alias("cf.inv.ImportBatch")]
public sealed record ImportBatch(
    [property: Id(0)] string ImportId,
    [property: Id(1)] string Mode,
    [property: Id(2)] string LocationId,
    [property: Id(3)] IReadOnlyList<ImportRow> Rows,
    [property: Id(4)] string? Actor);

[GenerateSerializer, Immutable, Alias("cf.inv.ImportRowError")]
public sealed record ImportRowError(
    [property: Id(0)] int Line,
    [property: Id(1)] string Field,
    [property: Id(2)] string Message);

[GenerateSerializer, Immutable, Alias("cf.inv.ImportBatchResult")]
public sealed record ImportBatchResult(
    [property: Id(0)] int Created,
    [property: Id(1)] int Updated,
    [property: Id(2)] IReadOnlyList<ImportRowError> Errors);

/// <summary>A change an import row makes to an existing item (item fields and the one location's levels).</summary>
[GenerateSerializer, Immutable, Alias("cf.inv.ImportChange")]
public sealed record ImportChange(
    [property: Id(0)] string ImportId,
    [property: Id(1)] string LocationId,
    [property: Id(2)] ImportRow Row,
    [property: Id(3)] string? Actor);

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

/// <summary>
/// One inventory item and the only writer of its stock at every location. Key: <c>tn_…/live|test/itm_…</c>.
/// Each stock change inserts a ledger row (unique idempotency key per item) and updates the stock row in one
/// transaction before answering; a replayed key answers with the original entry.
/// </summary>
public interface IInventoryItemGrain : IGrainWithStringKey
{
    Task<ItemView> CreateAsync(ItemInput input);
    Task<ItemView> GetAsync();
    Task<ItemView> UpdateAsync(ItemInput patch);
    Task DeleteAsync();
    Task<LocationStockView> SetLevelsAsync(string locationId, LevelsInput levels);
    Task<AdjustmentResult> AdjustAsync(AdjustmentRequest request);

    /// <summary>Transfer shipment: source on-hand down, destination in-transit up, one ledger row.</summary>
    Task<AdjustmentResult> ShipAsync(TransferMove move);

    /// <summary>Transfer receipt: destination in-transit down and on-hand up.</summary>
    Task<AdjustmentResult> ReceiveAsync(TransferMove move);

    /// <summary>Undoes the shipment recorded under <paramref name="shipKey"/> if there was one (idempotent).</summary>
    Task ReturnShipmentAsync(string shipKey, TransferMove undo);

    Task ApplyImportAsync(ImportChange change);

    /// <summary>Holds stock (reserved up) when available = on hand − reserved allows it; a replayed key answers the original.</summary>
    Task<ReservationResult> ReserveAsync(ReservationRequest request);

    /// <summary>held → released (reserved down). Releasing a released reservation answers it unchanged.</summary>
    Task<ReservationView> ReleaseReservationAsync(string reservationId, string? actor);

    /// <summary>held → fulfilled: reserved and on hand down with one sale entry. Fulfilling twice answers it unchanged.</summary>
    Task<ReservationView> FulfillReservationAsync(string reservationId, string? actor);

    /// <summary>Releases the reservation if it is still held and its expiry has passed; true when it did.</summary>
    Task<bool> ExpireReservationAsync(string reservationId);
}

/// <summary>
/// Routes calls by reservation id to the item grain that owns the reservation's stock (it never writes itself).
/// Key: <c>tn_…/live|test/res_…</c>.
/// </summary>
public interface IInventoryReservationGrain : IGrainWithStringKey
{
    Task<ReservationView> GetAsync();
    Task<ReservationView> ReleaseAsync(string? actor);
    Task<ReservationView> FulfillAsync(string? actor);
}

/// <summary>A transfer between two locations. Key: <c>tn_…/live|test/trf_…</c>.</summary>
public interface IInventoryTransferGrain : IGrainWithStringKey
{
    Task<TransferView> CreateAsync(TransferInput input);
    Task<TransferView> GetAsync();
    Task<TransferView> ApproveAsync(string? actor);
    Task<TransferView> RejectAsync(string? reason, string? actor);
    Task<TransferView> ShipAsync(string? actor);
    Task<TransferView> CompleteAsync(string? actor);
}

/// <summary>Reads, search, suppliers, settings and the planning helpers of a tenant partition. Key: <c>tn_…/live|test</c>.</summary>
public interface IInventoryDirectoryGrain : IGrainWithStringKey
{
    Task<PagedList<ItemView>> ListItemsAsync(ItemQuery query);
    Task<ItemView> GetByBarcodeAsync(string barcode);
    Task<PagedList<LedgerEntryView>> GetLedgerAsync(string itemId, LedgerQuery query);
    Task<PagedList<TransferView>> ListTransfersAsync(string? status, int page, int pageSize);
    Task<SupplierView> CreateSupplierAsync(SupplierInput input);
    Task<IReadOnlyList<SupplierView>> ListSuppliersAsync();
    Task<InventorySettings> GetSettingsAsync();
    Task<InventorySettings> SetSettingsAsync(InventorySettings settings);
    Task<ReorderPlan> SuggestReorderAsync(ReorderRequest request);
    Task<PricingResult> OptimizePricingAsync(PricingRequest request);
    Task<AssistantAnswer> AskAsync(AssistantRequest request);
    Task<ImportBatchResult> ImportBatchAsync(ImportBatch batch);

    /// <summary>Items after <paramref name="afterItemId"/> in id order (keyset paging for streamed exports).</summary>
    Task<IReadOnlyList<ItemView>> ExportPageAsync(string? locationId, string? afterItemId, int limit);

    /// <summary>An item's reservations, newest first, optionally by status.</summary>
    Task<PagedList<ReservationView>> ListReservationsAsync(string itemId, string? status, int page, int pageSize);
}

public static class InventoryGrainFactoryExtensions
{
    public static IInventoryItemGrain GetInventoryItem(this IGrainFactory factory, TenantScope scope, string itemId) =>
        factory.GetGrain<IInventoryItemGrain>($"{scope}/{itemId}");

    public static IInventoryTransferGrain GetInventoryTransfer(this IGrainFactory factory, TenantScope scope, string transferId) =>
        factory.GetGrain<IInventoryTransferGrain>($"{scope}/{transferId}");

    public static IInventoryReservationGrain GetInventoryReservation(this IGrainFactory factory, TenantScope scope, string reservationId) =>
        factory.GetGrain<IInventoryReservationGrain>($"{scope}/{reservationId}");

    public static IInventoryDirectoryGrain GetInventoryDirectory(this IGrainFactory factory, TenantScope scope) =>
        factory.GetGrain<IInventoryDirectoryGrain>($"{scope}/inventory");
}
