namespace CloudFran.Abstractions.Inventory;

// Suppliers, settings and the planning helpers (reorder, pricing, assistant) of the inventory directory.

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
