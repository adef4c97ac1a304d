using CloudFran.Abstractions.Inventory;

namespace CloudFran.Grains.Inventory;

/// <summary>
/// How an item's catalogue fields change, without storage: creation from the input, a patch (absent fields keep their
/// value), an import row (only the cells it carries), and when an item may be deleted. Text is trimmed; barcodes are
/// trimmed, blank ones dropped and duplicates removed.
/// </summary>
public static class ItemEdits
{
    public static ItemRecord Create(string itemId, ItemInput input, DateTimeOffset now) =>
        new(itemId, input.Sku!.Trim(), input.Name!.Trim(), Barcodes(input.Barcodes), input.Category?.Trim(), input.Unit?.Trim() ?? "each",
            input.Cost, input.Price, input.SupplierId, input.Discontinued ?? false, now, now);

    public static ItemRecord Patch(ItemRecord item, ItemInput patch, DateTimeOffset now) => item with
    {
        Sku = patch.Sku?.Trim() ?? item.Sku,
        Name = patch.Name?.Trim() ?? item.Name,
        Barcodes = patch.Barcodes is null ? item.Barcodes : Barcodes(patch.Barcodes),
        Category = patch.Category?.Trim() ?? item.Category,
        Unit = patch.Unit?.Trim() ?? item.Unit,
        Cost = patch.Cost ?? item.Cost,
        Price = patch.Price ?? item.Price,
        SupplierId = patch.SupplierId ?? item.SupplierId,
        Discontinued = patch.Discontinued ?? item.Discontinued,
        UpdatedAt = now,
    };

    /// <summary>The item with an import row's cells applied; equal to <paramref name="item"/> when the row changes nothing.</summary>
    public static ItemRecord Import(ItemRecord item, ImportRow row) => item with
    {
        Name = row.Name ?? item.Name,
        Barcodes = row.Barcodes is null ? item.Barcodes : Barcodes(row.Barcodes),
        Category = row.Category ?? item.Category,
        Unit = row.Unit ?? item.Unit,
        Cost = row.Cost ?? item.Cost,
        Price = row.Price ?? item.Price,
        SupplierId = row.SupplierId ?? item.SupplierId,
        Discontinued = row.Discontinued ?? item.Discontinued,
    };

    /// <summary>True when the row sets any stock level (the levels it leaves out keep their value).</summary>
    public static bool SetsLevels(ImportRow row) => row.Min is not null || row.ReorderPoint is not null || row.Max is not null || row.ReorderMultiple is not null;

    public static LevelsInput Levels(ImportRow row, Stock current) =>
        new(row.Min ?? current.Min, row.ReorderPoint ?? current.ReorderPoint, row.Max ?? current.Max, row.ReorderMultiple ?? current.ReorderMultiple);

    /// <summary>True when <paramref name="supplierId"/> names a supplier other than the item's (it must then exist).</summary>
    public static bool ChangesSupplier(ItemRecord item, string? supplierId) => supplierId is not null && supplierId != item.SupplierId;

    public static bool BarcodesChanged(ItemRecord before, ItemRecord after) => !after.Barcodes.SequenceEqual(before.Barcodes);

    /// <summary>An item may be deleted only when none of its stock is in transit or reserved.</summary>
    public static void RequireDeletable(IEnumerable<Stock> stocks)
    {
        var all = stocks.ToList();
        if (all.Any(s => s.InTransit != 0))
        {
            throw CloudFranException.Conflict("The item has stock in transit; complete its transfers first.");
        }
        if (all.Any(s => s.Reserved != 0))
        {
            throw CloudFranException.Conflict("The item has reserved stock; release or fulfil its reservations first.");
        }
    }

    public static IReadOnlyList<string> Barcodes(IReadOnlyList<string>? barcodes) =>
        (barcodes ?? []).Select(b => b.Trim()).Where(b => b.Length > 0).Distinct(StringComparer.Ordinal).ToList();
}
