using CloudFran.Abstractions.Inventory;
using CloudFran.Grains.Inventory;
using Xunit;

namespace CloudFran.Tests.Inventory;

/// <summary>An item's catalogue fields without storage: create, patch, import rows, delete checks.</summary>
public sealed class ItemEditsTests
{
    private static readonly DateTimeOffset Created = new(2026, 5, 1, 9, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Now = new(2026, 5, 4, 12, 0, 0, TimeSpan.Zero);

    private static ItemRecord Item() => ItemEdits.Create("itm_1",
        new ItemInput(" SKU-1 ", " Oat milk ", [" 123 ", "", "123", "456"], " dairy ", null, 1.2m, 2.5m, "sup_1", null), Created);

    private static ImportRow Row(string? name = null, IReadOnlyList<string>? barcodes = null, decimal? min = null, decimal? max = null) =>
        new(2, "SKU-1", name, barcodes, null, null, null, null, null, null, null, min, null, max, null, []);

    [Fact]
    public void Creation_trims_text_and_normalises_barcodes()
    {
        var item = Item();
        Assert.Equal(("SKU-1", "Oat milk", "dairy", "each", false), (item.Sku, item.Name, item.Category, item.Unit, item.Discontinued));
        Assert.Equal(["123", "456"], item.Barcodes);
        Assert.Equal((Created, Created), (item.CreatedAt, item.UpdatedAt));
    }

    [Fact]
    public void A_patch_changes_only_the_fields_it_carries()
    {
        var item = Item();
        var patched = ItemEdits.Patch(item, new ItemInput(null, " Oat drink ", null, null, null, null, 2.75m, null, true), Now);
        Assert.Equal(("SKU-1", "Oat drink", 2.75m, 1.2m, true, "sup_1"), (patched.Sku, patched.Name, patched.Price, patched.Cost, patched.Discontinued, patched.SupplierId));
        Assert.Equal(item.Barcodes, patched.Barcodes);
        Assert.Equal((Created, Now), (patched.CreatedAt, patched.UpdatedAt));
        Assert.False(ItemEdits.BarcodesChanged(item, patched));
        Assert.True(ItemEdits.BarcodesChanged(item, ItemEdits.Patch(item, new ItemInput(null, null, ["999"], null, null, null, null, null, null), Now)));
    }

    [Fact]
    public void An_import_row_that_changes_nothing_leaves_the_item_equal()
    {
        var item = Item();
        Assert.Equal(item, ItemEdits.Import(item, Row()));
        Assert.Equal(item, ItemEdits.Import(item, Row(barcodes: [" 123", "456", "456"])));
        Assert.NotEqual(item, ItemEdits.Import(item, Row(barcodes: ["456", "123"])));
        Assert.NotEqual(item, ItemEdits.Import(item, Row(name: "Oat drink")));
    }

    [Fact]
    public void Import_levels_keep_the_ones_the_row_leaves_out()
    {
        Assert.False(ItemEdits.SetsLevels(Row()));
        Assert.True(ItemEdits.SetsLevels(Row(max: 40)));
        var current = Stock.New("loc_a", Now) with { Min = 2, ReorderPoint = 5, Max = 20 };
        Assert.Equal(new LevelsInput(2, 5, 40, null), ItemEdits.Levels(Row(max: 40), current));
    }

    [Fact]
    public void Only_a_different_supplier_must_be_checked()
    {
        var item = Item();
        Assert.False(ItemEdits.ChangesSupplier(item, null));
        Assert.False(ItemEdits.ChangesSupplier(item, "sup_1"));
        Assert.True(ItemEdits.ChangesSupplier(item, "sup_2"));
    }

    [Fact]
    public void Stock_in_transit_or_reserved_blocks_deletion()
    {
        ItemEdits.RequireDeletable([Stock.New("loc_a", Now) with { OnHand = 4 }]);
        var transit = Assert.Throws<CloudFranException>(() => ItemEdits.RequireDeletable([Stock.New("loc_a", Now) with { InTransit = 1 }]));
        Assert.Contains("in transit", transit.Message);
        var reserved = Assert.Throws<CloudFranException>(() => ItemEdits.RequireDeletable([Stock.New("loc_a", Now) with { Reserved = 1 }]));
        Assert.Equal(ErrorKind.Conflict, reserved.Kind);
        Assert.Contains("reserved", reserved.Message);
    }
}
