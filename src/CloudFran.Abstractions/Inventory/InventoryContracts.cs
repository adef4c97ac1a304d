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
        factory.GetGrain<IInventoryItemGrain>(new ScopedKey(scope, itemId).ToString());

    public static IInventoryTransferGrain GetInventoryTransfer(this IGrainFactory factory, TenantScope scope, string transferId) =>
        factory.GetGrain<IInventoryTransferGrain>(new ScopedKey(scope, transferId).ToString());

    public static IInventoryReservationGrain GetInventoryReservation(this IGrainFactory factory, TenantScope scope, string reservationId) =>
        factory.GetGrain<IInventoryReservationGrain>(new ScopedKey(scope, reservationId).ToString());

    public static IInventoryDirectoryGrain GetInventoryDirectory(this IGrainFactory factory, TenantScope scope) =>
        factory.GetGrain<IInventoryDirectoryGrain>(new ScopedKey(scope, "inventory").ToString());
}
