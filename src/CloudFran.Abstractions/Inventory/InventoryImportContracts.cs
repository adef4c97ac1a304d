namespace CloudFran.Abstractions.Inventory;

// CSV imports: parsed rows, batches and the change a row makes to an existing item.

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
