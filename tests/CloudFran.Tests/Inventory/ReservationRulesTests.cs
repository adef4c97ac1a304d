using CloudFran.Abstractions.Inventory;
using CloudFran.Grains.Inventory;
using Xunit;

namespace CloudFran.Tests.Inventory;

/// <summary>Reservations without storage: holds on available stock, released or fulfilled exactly once.</summary>
public sealed class ReservationRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 5, 4, 12, 0, 0, TimeSpan.Zero);

    private static ReservationView Reservation(string status, DateTimeOffset? expires = null, string itemId = "itm_1", string? reference = null) =>
        new("rsv_1", itemId, "loc_a", 2, reference, status, expires, Now, null, null, null, null, Now);

    [Fact]
    public void A_hold_may_take_only_what_is_available()
    {
        var stock = Stock.New("loc_a", Now) with { OnHand = 5, Reserved = 3 };
        Assert.False(ReservationRules.ExceedsAvailable(stock, 2));
        Assert.True(ReservationRules.ExceedsAvailable(stock, 2.01m));
        var e = ReservationRules.InsufficientStock(stock, 3, "loc_a");
        Assert.Equal((ErrorKind.Conflict, InventoryErrors.InsufficientStock), (e.Kind, e.Code));
        Assert.Equal("Only 2 available at loc_a (5 on hand, 3 reserved).", e.Message);
    }

    [Fact]
    public void Hold_release_and_fulfil_move_reserved_and_on_hand()
    {
        var stock = Stock.New("loc_a", Now) with { OnHand = 5, Reserved = 1 };
        Assert.Equal((5m, 3m), (ReservationRules.Hold(stock, 2).OnHand, ReservationRules.Hold(stock, 2).Reserved));
        Assert.Equal(0m, ReservationRules.Release(stock, 2).Reserved); // never below zero
        var fulfilled = ReservationRules.Fulfil(stock with { Reserved = 3 }, 2);
        Assert.Equal((3m, 1m), (fulfilled.OnHand, fulfilled.Reserved));
    }

    [Fact]
    public void A_new_hold_expires_after_its_minutes_when_given()
    {
        var request = new ReservationRequest("rsv_1", "loc_a", 2, "order 7", 30, "k", "me");
        var held = ReservationRules.Held(request, "itm_1", Now);
        Assert.Equal(("held", Now.AddMinutes(30), "itm_1", "order 7"), (held.Status, held.ExpiresAt, held.ItemId, held.Reference));
        Assert.Null(ReservationRules.Held(request with { ExpiresInMinutes = null }, "itm_1", Now).ExpiresAt);
        Assert.NotEqual(ReservationRules.Fingerprint(request), ReservationRules.Fingerprint(request with { ExpiresInMinutes = 31 }));
    }

    [Fact]
    public void A_replay_answers_the_earlier_reservation_only_for_the_same_request()
    {
        var earlier = new ReservationRecord(Reservation("held"), "fp");
        var replay = ReservationRules.Replay(earlier, "fp");
        Assert.True(replay.Replayed);
        Assert.Same(earlier.View, replay.Reservation);
        Assert.Equal(InventoryErrors.IdempotencyKeyReused, Assert.Throws<CloudFranException>(() => ReservationRules.Replay(earlier, "other")).Code);
    }

    [Theory]
    [InlineData("held", "released", false)]
    [InlineData("released", "released", true)]
    [InlineData("held", "fulfilled", false)]
    [InlineData("fulfilled", "fulfilled", true)]
    public void Asking_for_the_state_already_reached_answers_it(string status, string wanted, bool already) =>
        Assert.Equal(already, ReservationRules.AlreadyIn(Reservation(status), wanted));

    [Theory]
    [InlineData("fulfilled", "released")]
    [InlineData("released", "fulfilled")]
    public void A_finished_reservation_cannot_move_on(string status, string wanted)
    {
        var e = Assert.Throws<CloudFranException>(() => ReservationRules.AlreadyIn(Reservation(status), wanted));
        Assert.Equal((ErrorKind.Conflict, InventoryErrors.InvalidTransition), (e.Kind, e.Code));
        Assert.Equal($"The reservation is {status}; only a held reservation can be {wanted}.", e.Message);
        Assert.Equal(InventoryErrors.InvalidTransition, Assert.Throws<CloudFranException>(() => ReservationRules.Reached(Reservation(status), wanted)).Code);
        Assert.Equal(status, ReservationRules.Reached(Reservation(status), status).Status);
    }

    [Fact]
    public void Only_a_held_reservation_of_this_item_past_its_expiry_is_swept()
    {
        Assert.True(ReservationRules.IsExpiredHold(Reservation("held", Now), "itm_1", Now));
        Assert.False(ReservationRules.IsExpiredHold(Reservation("held", Now.AddTicks(1)), "itm_1", Now));
        Assert.False(ReservationRules.IsExpiredHold(Reservation("held"), "itm_1", Now)); // no expiry
        Assert.False(ReservationRules.IsExpiredHold(Reservation("released", Now), "itm_1", Now));
        Assert.False(ReservationRules.IsExpiredHold(Reservation("held", Now, itemId: "itm_2"), "itm_1", Now));
        Assert.False(ReservationRules.IsExpiredHold(null, "itm_1", Now));
    }

    [Fact]
    public void A_fulfilment_is_one_sale_per_reservation()
    {
        Assert.Equal(InventoryValues.ReservationKeyPrefix + "rsv_1:fulfill", ReservationRules.FulfilKey("rsv_1"));
        Assert.Equal("Reservation rsv_1", ReservationRules.FulfilNote(Reservation("held")));
        Assert.Equal("Reservation rsv_1 (order 7)", ReservationRules.FulfilNote(Reservation("held", reference: "order 7")));
    }
}
