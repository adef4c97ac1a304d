namespace CloudFran.Grains.Inventory;

/// <summary>
/// Stock status, on the available quantity (on hand − reserved): out when available ≤ 0; low when available ≤ the
/// reorder point (or min when no reorder point is set); otherwise ok. A hold therefore counts as stock gone; its
/// fulfilment changes nothing more and its release re-arms. Events fire when the state worsens (ok→low, ok/low→out) and re-arm when it improves.
/// </summary>
public static class Thresholds
{
    public static decimal? LowThreshold(Stock s) => s.ReorderPoint ?? s.Min;

    public static string Alert(Stock s) =>
        Available(s) <= 0 ? "out" : LowThreshold(s) is { } low && Available(s) <= low ? "low" : "ok";

    public static decimal Available(Stock s) => s.OnHand - s.Reserved;

    public static string Status(string alert) => alert switch
    {
        "out" => "out_of_stock",
        "low" => "low_stock",
        _ => "active",
    };
    /// <summary>
    /// The event a change from <paramref name="before"/> to <paramref name="next"/> raises: inventory.out_of_stock when
    /// the state becomes out, inventory.low_stock when it goes from ok to low; null otherwise (no change, or better).
    /// </summary>
    public static string? CrossingEvent(Stock before, Stock next) => (before.Alert, next.Alert) switch
    {
        (not "out", "out") => "inventory.out_of_stock",
        ("ok", "low") => "inventory.low_stock",
        _ => null,
    };

    /// <summary>The payload of a threshold event (the stock row after the change).</summary>
    public static object EventPayload(ItemRecord item, Stock next) => new
    {
        itemId = item.ItemId, sku = item.Sku, name = item.Name, locationId = next.LocationId, onHand = next.OnHand,
        reserved = next.Reserved, available = Available(next),
        min = next.Min, reorderPoint = next.ReorderPoint, threshold = LowThreshold(next), status = Status(next.Alert),
    };

    /// <summary>The outbox deduplication key of a threshold event: one event per item, location and cause.</summary>
    public static string EventKey(string type, string itemId, string locationId, string cause) => $"{type}:{itemId}:{locationId}:{cause}";
}
