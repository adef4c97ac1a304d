using CloudFran.Abstractions.Inventory;
using CloudFran.Grains.Inventory;
using Xunit;

namespace CloudFran.Tests.Inventory;

/// <summary>The item grain's stock rules without storage: counts, adjustments, transfer moves, replays, thresholds.</summary>
public sealed class StockRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 5, 4, 12, 0, 0, TimeSpan.Zero);

    private static Stock At(decimal onHand, decimal reserved = 0, decimal inTransit = 0, DateTimeOffset? lastCount = null,
        decimal? min = null, decimal? reorderPoint = null, string alert = "ok") =>
        Stock.New("loc_a", Now) with { OnHand = onHand, Reserved = reserved, InTransit = inTransit, LastCountAt = lastCount, Min = min, ReorderPoint = reorderPoint, Alert = alert };

    [Fact]
    public void A_client_timestamp_may_run_ahead_by_the_allowed_skew_only()
    {
        Assert.Equal(Now, StockRules.EffectiveAt(null, Now));
        Assert.Equal(Now.AddMinutes(5), StockRules.EffectiveAt(Now.AddMinutes(5), Now));
        Assert.Equal(TimeSpan.Zero, StockRules.EffectiveAt(new DateTimeOffset(2026, 5, 4, 14, 0, 0, TimeSpan.FromHours(2)), Now).Offset);
        var e = Assert.Throws<CloudFranException>(() => StockRules.EffectiveAt(Now.AddMinutes(5).AddTicks(1), Now));
        Assert.Equal(ErrorKind.Invalid, e.Kind);
        Assert.Contains(e.Details, d => d.Field == "clientTimestamp");
    }

    [Fact]
    public void The_fingerprint_tells_requests_apart_but_not_their_replays()
    {
        var a = StockRules.Fingerprint("adjustment", "loc_a", 1.50m, "sale", Now);
        Assert.Equal(a, StockRules.Fingerprint("adjustment", "loc_a", 1.50m, "sale", Now));
        Assert.Equal(64, a.Length);
        Assert.NotEqual(a, StockRules.Fingerprint("adjustment", "loc_a", 2m, "sale", Now));
        Assert.NotEqual(a, StockRules.Fingerprint("adjustment", "loc_a", 1.50m, "damage", Now));
        Assert.NotEqual(a, StockRules.Fingerprint("adjustment", "loc_a", 1.50m, "sale", null));
    }

    [Fact]
    public void An_adjustment_request_becomes_a_count_or_a_delta()
    {
        var count = StockRules.Adjustment(new AdjustmentRequest("loc_a", null, 12, "count", null, "k1", "n", "me"), Now);
        Assert.Equal(("count", 12m, "k1", "me", "n"), (count.Kind, count.Quantity, count.Key, count.Actor, count.Note));
        var delta = StockRules.Adjustment(new AdjustmentRequest("loc_a", -3, null, "sale", Now.AddMinutes(-1), "k2", null, null), Now.AddMinutes(-1));
        Assert.Equal(("adjustment", -3m, Now.AddMinutes(-1)), (delta.Kind, delta.Quantity, delta.ClientTimestamp));
        Assert.Null(delta.OtherLocationId);
    }

    [Fact]
    public void A_count_sets_on_hand_plus_the_changes_dated_after_it()
    {
        var outcome = StockRules.Count(At(10), 7, 2, Now);
        Assert.Equal(9, outcome.OnHandAfter);
        Assert.Equal(-1, outcome.AppliedDelta);
        Assert.Equal(Now, outcome.Stocks[0].LastCountAt);
        Assert.Equal("Count 7 plus 2 of changes dated after it.", outcome.Explanation);
        Assert.Null(StockRules.Count(At(10), 7, 0, Now).Explanation);
    }

    [Fact]
    public void An_older_count_is_recorded_only()
    {
        Assert.Null(StockRules.CountSuperseded(At(10, lastCount: Now), Now));
        var superseded = StockRules.CountSuperseded(At(10, lastCount: Now), Now.AddSeconds(-1));
        Assert.NotNull(superseded);
        Assert.False(superseded.Applied);
        Assert.Equal((0m, 10m), (superseded.AppliedDelta, superseded.OnHandAfter));
    }

    [Fact]
    public void A_change_dated_at_or_before_the_last_count_is_recorded_only()
    {
        Assert.False(StockRules.Adjust(At(10, lastCount: Now), -2, Now).Applied);
        var applied = StockRules.Adjust(At(10, lastCount: Now), -2, Now.AddTicks(1));
        Assert.True(applied.Applied);
        Assert.Equal((-2m, 8m), (applied.AppliedDelta, applied.OnHandAfter));
    }

    [Fact]
    public void Transfer_moves_carry_stock_through_in_transit()
    {
        var ship = StockRules.Ship(At(10), At(1, inTransit: 2) with { LocationId = "loc_b" }, 4);
        Assert.Equal((6m, 6m), (ship.Stocks[0].OnHand, ship.OnHandAfter));
        Assert.Equal(6m, ship.Stocks[1].InTransit);
        Assert.Equal(-4m, ship.AppliedDelta);

        var receive = StockRules.Receive(At(1, inTransit: 3), 4);
        Assert.Equal((5m, 0m), (receive.Stocks[0].OnHand, receive.Stocks[0].InTransit)); // never below zero in transit

        var back = StockRules.Return(At(6), At(1, inTransit: 4) with { LocationId = "loc_b" }, 4);
        Assert.Equal((10m, 0m), (back.Stocks[0].OnHand, back.Stocks[1].InTransit));
    }

    [Fact]
    public void Transfer_changes_name_both_ends()
    {
        var move = new TransferMove("trf_1", 1, "loc_a", "loc_b", 4, "k", "me");
        var ship = StockRules.Ship(move, Now);
        Assert.Equal(("transfer_out", "loc_a", -4m, "loc_b", "Shipped to loc_b"), (ship.Kind, ship.LocationId, ship.Quantity, ship.OtherLocationId, ship.Note));
        var receive = StockRules.Receive(move, Now);
        Assert.Equal(("transfer_in", "loc_b", 4m, (string?)null), (receive.Kind, receive.LocationId, receive.Quantity, receive.OtherLocationId));
        var undo = StockRules.Return(move, Now);
        Assert.Equal(("transfer_return", "loc_a", 4m, "loc_b"), (undo.Kind, undo.LocationId, undo.Quantity, undo.OtherLocationId));
        Assert.NotEqual(ship.Fingerprint, undo.Fingerprint);
    }

    [Fact]
    public void Only_a_change_that_lowers_stock_below_zero_is_refused()
    {
        Assert.True(StockRules.GoesNegative(2, -1));
        Assert.False(StockRules.GoesNegative(2, 0));
        Assert.False(StockRules.GoesNegative(-5, -3)); // raising a negative stock is fine
        var e = StockRules.InsufficientStock(2, -1, "loc_a");
        Assert.Equal((ErrorKind.Conflict, InventoryErrors.InsufficientStock), (e.Kind, e.Code));
    }

    [Fact]
    public void A_reused_key_must_carry_the_same_request()
    {
        StockRules.RequireSameChange("abc", "abc");
        var e = Assert.Throws<CloudFranException>(() => StockRules.RequireSameChange("abc", "abd"));
        Assert.Equal(InventoryErrors.IdempotencyKeyReused, e.Code);
    }

    [Fact]
    public void Thresholds_fire_once_per_worsening_crossing()
    {
        var ok = StockRules.Stamped(At(10, min: 3), Now);
        var low = StockRules.Stamped(At(3, min: 3), Now);
        var reservedOut = StockRules.Stamped(At(3, reserved: 3, min: 3), Now);
        Assert.Equal(("ok", "low", "out"), (ok.Alert, low.Alert, reservedOut.Alert));
        Assert.Equal("inventory.low_stock", Thresholds.CrossingEvent(ok, low));
        Assert.Equal("inventory.out_of_stock", Thresholds.CrossingEvent(ok, reservedOut));
        Assert.Equal("inventory.out_of_stock", Thresholds.CrossingEvent(low, reservedOut));
        Assert.Null(Thresholds.CrossingEvent(low, low));
        Assert.Null(Thresholds.CrossingEvent(reservedOut, low)); // better: re-arms, no event
        Assert.Null(Thresholds.CrossingEvent(reservedOut, reservedOut));
        Assert.Equal(5, StockRules.Stamped(At(5, reorderPoint: 5, min: 2), Now).ReorderPoint);
        Assert.Equal("low", StockRules.Stamped(At(5, reorderPoint: 5, min: 2), Now).Alert); // reorder point before min
        Assert.Equal("inventory.low_stock:itm_1:loc_a:e7", Thresholds.EventKey("inventory.low_stock", "itm_1", "loc_a", "e7"));
    }
}
