using CloudFran.Abstractions.Inventory;

namespace CloudFran.Web.Inventory;

// The public bodies and answers of the inventory API (the grain calls take the wire records of Abstractions/Inventory).

public sealed record ItemRequest(string? Sku, string? Name, IReadOnlyList<string>? Barcodes, string? Category, string? Unit, decimal? Cost,
    decimal? Price, string? SupplierId, bool? Discontinued);

public sealed record LevelsRequest(decimal? Min, decimal? ReorderPoint, decimal? Max, decimal? ReorderMultiple);

public sealed record AdjustRequest(string? LocationId, decimal? Delta, decimal? PhysicalCount, string? Reason, DateTimeOffset? ClientTimestamp,
    string? IdempotencyKey, string? Note);

public sealed record ReserveStockRequest(string? LocationId, decimal? Quantity, string? Reference, int? ExpiresInMinutes, string? IdempotencyKey);

public sealed record InventoryTransferRequest(string? FromLocationId, string? ToLocationId, IReadOnlyList<TransferLineInput>? Lines, string? Note);

public sealed record RejectTransferRequest(string? Reason);

public sealed record SupplierRequest(string? Name, string? ContactEmail, int? LeadTimeDays);

public sealed record SettingsRequest(bool? AllowNegativeStock);

public sealed record ReorderSuggestionsRequest(string? LocationId, decimal? Budget, int? UrgencyDays);

public sealed record PricingOptimizationRequest(IReadOnlyList<string>? ItemIds, decimal? TargetMargin);

public sealed record InventoryAssistantRequest(string? Question, string? LocationId);

/// <summary>The CSV import report.</summary>
public sealed record ImportReport(string ImportId, string Mode, string LocationId, int Rows, int Created, int Updated, int Failed,
    IReadOnlyList<ImportRowError> Errors, bool ErrorsTruncated);
