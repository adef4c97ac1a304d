using System.Globalization;
using CloudFran.Abstractions.Csv;

namespace CloudFran.Abstractions.Inventory;

/// <summary>
/// The inventory CSV format as pure rules: which columns an import accepts (and their aliases), how a header and
/// a row are checked and turned into an <see cref="ImportRow"/>, what repeats inside one file are refused, and how
/// an exported row is written (the import's format, so an export imports again).
/// </summary>
public static class InventoryCsvRules
{
    /// <summary>Import columns (normalized: lower case, no spaces, underscores or dashes) → canonical name.</summary>
    private static readonly Dictionary<string, string> Columns = new()
    {
        ["sku"] = "sku", ["name"] = "name", ["barcode"] = "barcodes", ["barcodes"] = "barcodes", ["category"] = "category",
        ["unit"] = "unit", ["cost"] = "cost", ["price"] = "price", ["supplierid"] = "supplier_id", ["discontinued"] = "discontinued",
        ["onhand"] = "on_hand", ["quantity"] = "on_hand", ["min"] = "min", ["reorderpoint"] = "reorder_point", ["max"] = "max",
        ["reordermultiple"] = "reorder_multiple",
        // Export-only columns: accepted so an exported file imports again, and ignored.
        ["itemid"] = "", ["locationid"] = "", ["reserved"] = "", ["intransit"] = "", ["available"] = "", ["status"] = "",
    };

    public static readonly string[] ExportHeader =
        ["sku", "name", "barcodes", "category", "unit", "cost", "price", "supplier_id", "discontinued", "location_id", "on_hand", "reserved",
         "in_transit", "min", "reorder_point", "max", "reorder_multiple", "status", "item_id"];

    /// <summary>A file the import refuses as a whole (nothing is applied).</summary>
    public static CloudFranException BadFile(string message, string field = "file") =>
        new(ErrorKind.Invalid, InventoryErrors.InvalidFile, message, [new FieldError(field, message)]);

    /// <summary>The canonical column → field index of a header, and the stock-level columns it carries; refuses unknown, repeated or missing columns.</summary>
    public static (Dictionary<string, int> Index, IReadOnlyList<string> LevelColumns) MapHeader(IReadOnlyList<string> header, string mode)
    {
        var index = new Dictionary<string, int>();
        var unknown = new List<string>();
        for (var i = 0; i < header.Count; i++)
        {
            var normalized = new string(header[i].Where(c => c is not (' ' or '_' or '-')).ToArray()).ToLowerInvariant();
            if (!Columns.TryGetValue(normalized, out var canonical))
            {
                unknown.Add(header[i]);
                continue;
            }
            if (canonical.Length == 0) continue;
            if (!index.TryAdd(canonical, i))
            {
                throw BadFile($"The column '{canonical}' appears twice in the header.", "header");
            }
        }
        if (unknown.Count > 0)
        {
            throw BadFile($"Unknown column(s): {string.Join(", ", unknown.Select(u => $"'{u}'"))}. Known columns: {string.Join(", ", Columns.Values.Where(v => v.Length > 0).Distinct())}.", "header");
        }
        var missing = new List<string>();
        if (!index.ContainsKey("sku")) missing.Add("sku");
        if (mode == "create_only" && !index.ContainsKey("name")) missing.Add("name");
        if (missing.Count > 0)
        {
            throw new CloudFranException(ErrorKind.Invalid, InventoryErrors.InvalidFile, $"The header is missing required column(s): {string.Join(", ", missing)}.",
                missing.Select(m => new FieldError("header", $"{m} column is required")).ToList());
        }
        var levelColumns = new[] { "on_hand", "min", "reorder_point", "max", "reorder_multiple" }.Where(index.ContainsKey).ToList();
        return (index, levelColumns);
    }

    /// <summary>One record as an import row, or null after reporting every refused field to <paramref name="fail"/>.</summary>
    public static ImportRow? ParseRow(int line, string[] record, Dictionary<string, int> index, IReadOnlyList<string> levelColumns,
        Action<int, string, string> fail)
    {
        var ok = true;
        string? Text(string column, int max, bool required = false)
        {
            if (!index.TryGetValue(column, out var i)) return null;
            var value = record[i].Trim();
            if (value.Length == 0)
            {
                if (required) { fail(line, column, $"{column} is required."); ok = false; }
                return null;
            }
            if (value.Length > max) { fail(line, column, $"{column} must be at most {max} characters."); ok = false; return null; }
            if (value.Any(char.IsControl)) { fail(line, column, $"{column} contains control characters."); ok = false; return null; }
            return value;
        }
        decimal? Number(string column, bool allowNegative = false)
        {
            var raw = Text(column, 30);
            if (raw is null) return null;
            if (!decimal.TryParse(raw, NumberStyles.Number & ~NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out var v)
                || decimal.Round(v, 4) != v || Math.Abs(v) >= 10_000_000_000m)
            {
                fail(line, column, $"{column} must be a number like 12.5 (dot as decimal separator)."); ok = false; return null;
            }
            if (v < 0 && !allowNegative) { fail(line, column, $"{column} must not be negative."); ok = false; return null; }
            return v;
        }
        var sku = Text("sku", 64, required: true);
        var name = Text("name", 200);
        var barcodesRaw = Text("barcodes", 1000);
        IReadOnlyList<string>? barcodes = null;
        if (barcodesRaw is not null)
        {
            barcodes = barcodesRaw.Split(['|', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct().ToList();
            if (barcodes.Any(b => b.Length > 64)) { fail(line, "barcodes", "each barcode must be at most 64 characters."); ok = false; }
            if (barcodes.Count > 20) { fail(line, "barcodes", "at most 20 barcodes per item."); ok = false; }
        }
        var category = Text("category", 100);
        var unit = Text("unit", 20);
        var cost = Number("cost");
        var price = Number("price");
        var supplier = Text("supplier_id", 60);
        if (supplier is not null && !Ids.IsValid(supplier, "sup")) { fail(line, "supplier_id", "supplier_id must be a supplier id (sup_…)."); ok = false; }
        bool? discontinued = null;
        var disc = Text("discontinued", 10);
        if (disc is not null)
        {
            discontinued = disc.ToLowerInvariant() switch
            {
                "true" or "yes" or "1" or "y" => true,
                "false" or "no" or "0" or "n" => false,
                _ => null,
            };
            if (discontinued is null) { fail(line, "discontinued", "discontinued must be true or false."); ok = false; }
        }
        var onHand = Number("on_hand");
        var min = Number("min");
        var reorderPoint = Number("reorder_point");
        var max = Number("max");
        var multiple = Number("reorder_multiple");
        if (multiple is 0) { fail(line, "reorder_multiple", "reorder_multiple must be greater than 0."); ok = false; }
        if (max is not null && (min > max || reorderPoint > max)) { fail(line, "max", "max must be at least min and reorder_point."); ok = false; }
        if (!ok || sku is null)
        {
            return null;
        }
        return new ImportRow(line, sku, name, barcodes, category, unit, cost, price, supplier, discontinued, onHand, min, reorderPoint, max, multiple,
            levelColumns);
    }

    /// <summary>One exported record: the item and its stock at one location (or none), text cells guarded against formulas.</summary>
    public static string[] ExportRow(ItemView item, LocationStockView? stock) =>
    [
        CsvFiles.Guard(item.Sku),
        CsvFiles.Guard(item.Name),
        CsvFiles.Guard(string.Join('|', item.Barcodes)),
        CsvFiles.Guard(item.Category ?? ""),
        CsvFiles.Guard(item.Unit),
        Num(item.Cost),
        Num(item.Price),
        item.SupplierId ?? "",
        item.Discontinued ? "true" : "false",
        stock?.LocationId ?? "",
        Num(stock?.OnHand),
        Num(stock?.Reserved),
        Num(stock?.InTransit),
        Num(stock?.Min),
        Num(stock?.ReorderPoint),
        Num(stock?.Max),
        Num(stock?.ReorderMultiple),
        item.Discontinued ? "discontinued" : stock?.Status ?? "active",
        item.ItemId,
    ];

    private static string Num(decimal? value) => value?.ToString("0.####", CultureInfo.InvariantCulture) ?? "";
}

/// <summary>Repeats inside one import file: a SKU or a barcode may appear on one line only.</summary>
public sealed class ImportFileRepeats
{
    private readonly HashSet<string> _skus = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, int> _codes = new(StringComparer.Ordinal);

    /// <summary>Records the row's SKU and barcodes; false (after reporting to <paramref name="fail"/>) when one appeared earlier.</summary>
    public bool Accept(int line, ImportRow row, Action<int, string, string> fail)
    {
        if (!_skus.Add(row.Sku))
        {
            fail(line, "sku", $"SKU '{row.Sku}' appears earlier in the file.");
            return false;
        }
        var dup = (row.Barcodes ?? []).FirstOrDefault(_codes.ContainsKey);
        if (dup is not null)
        {
            fail(line, "barcodes", $"Barcode '{dup}' is already used on line {_codes[dup]}.");
            return false;
        }
        foreach (var code in row.Barcodes ?? []) _codes[code] = line;
        return true;
    }
}
