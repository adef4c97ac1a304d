using System.Text.Json;
using CloudFran.Abstractions.Errors;
using CloudFran.Abstractions.Loyalty;
using CloudFran.Grains.Loyalty;
using CloudFran.Grains.Storage;
using Stripe;
using Xunit;

namespace CloudFran.Tests.Loyalty;

/// <summary>The wallet's pure collaborators: earn, check-in and expiry rules, group commit, loads, refunds, Stripe events.</summary>
public sealed class WalletRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 4, 15, 0, 0, TimeSpan.Zero); // a Wednesday

    private static WalletState Member(long points = 0, long lifetime = 0, decimal wallet = 0) =>
        new("Ada", "+15550100", null, null, null, Now.AddDays(-30), points, lifetime, wallet, "bronze", 0, null, 0, [], null, null,
            null, null, null, 1, 0);

    private static EarnRequest Spend(decimal amount, string key = "k1", string? category = null) => new(amount, null, category, null, null, key);

    // ------------------------------------------------------------------ earn rules

    [Fact]
    public void Spend_earns_points_per_unit_times_tier_and_category_multipliers()
    {
        var program = LoyaltyProgram.Default with { CategoryMultipliers = new Dictionary<string, decimal> { ["coffee"] = 2m } };
        Assert.Equal((12L, "Purchase of 12.50"), EarnRules.Compute(program, Member(), Spend(12.50m), Now));
        Assert.Equal(25L, EarnRules.Compute(program, Member(), Spend(12.50m, category: "Coffee"), Now).Points);
        // Silver (1,000 lifetime points) earns 1.25×.
        Assert.Equal(125L, EarnRules.Compute(program, Member(lifetime: 1_000), Spend(100m), Now).Points);
        Assert.Equal((40L, "Points added"), EarnRules.Compute(program, Member(), new EarnRequest(null, 40, null, null, null, "k"), Now));
    }

    [Fact]
    public void Only_promotions_active_now_on_this_weekday_apply()
    {
        var program = LoyaltyProgram.Default with
        {
            Promotions =
            [
                new("Double Wednesday", 2m, 5, null, null, ["wednesday"], null, null),
                new("Tuesday only", 3m, 0, null, null, ["tuesday"], null, null),
                new("Over", 10m, 0, null, Now.AddDays(-1), null, null, null),
            ],
        };
        var (points, description) = EarnRules.Compute(program, Member(), Spend(10m), Now);
        Assert.Equal(25L, points);
        Assert.Equal("Purchase of 10.00 (Double Wednesday)", description);
    }

    [Fact]
    public void An_earn_moves_lifetime_tier_and_first_purchase_but_negative_points_never_lower_lifetime()
    {
        var program = LoyaltyProgram.Default;
        var next = EarnRules.Earn(program, Member(points: 990, lifetime: 990), Spend(10m), 10, Now);
        Assert.Equal((1_000L, 1_000L, "silver", (DateTimeOffset?)Now), (next.Points, next.Lifetime, next.Tier, next.FirstPurchaseAt));
        var direct = EarnRules.Earn(program, Member(points: 50, lifetime: 50), new EarnRequest(null, -20, null, null, null, "k"), -20, Now);
        Assert.Equal((30L, 50L, (DateTimeOffset?)null), (direct.Points, direct.Lifetime, direct.FirstPurchaseAt));
    }

    [Fact]
    public void Consecutive_check_ins_grow_the_streak_and_award_badges_once()
    {
        var program = LoyaltyProgram.Default;
        var s = Member() with { Streak = 2, LastCheckin = new DateOnly(2026, 3, 3), Checkins = 2, Badges = ["first_visit"] };
        var (next, streak, badges) = EarnRules.CheckIn(program, s, new DateOnly(2026, 3, 4), Now);
        Assert.Equal(3, streak);
        Assert.Equal(["streak_3"], badges);
        Assert.Equal(["first_visit", "streak_3"], next.Badges);
        Assert.Equal((10L, 3), (next.Points, next.Checkins));
        var (_, broken, _) = EarnRules.CheckIn(program, s, new DateOnly(2026, 3, 6), Now);
        Assert.Equal(1, broken);
    }

    [Fact]
    public void Points_expire_only_after_the_inactivity_period()
    {
        var program = LoyaltyProgram.Default with { PointsExpiryDays = 30 };
        Assert.True(EarnRules.ExpiryDue(program, Member(points: 5) with { LastActivity = Now.AddDays(-30) }, Now));
        Assert.False(EarnRules.ExpiryDue(program, Member(points: 5) with { LastActivity = Now.AddDays(-29) }, Now));
        Assert.False(EarnRules.ExpiryDue(program, Member(points: 0) with { LastActivity = Now.AddDays(-90) }, Now));
        Assert.False(EarnRules.ExpiryDue(LoyaltyProgram.Default, Member(points: 5) with { LastActivity = Now.AddDays(-900) }, Now));
    }

    // ------------------------------------------------------------------ group commit

    [Fact]
    public void A_batch_applies_earns_in_order_and_answers_replays_and_duplicate_keys_without_writing_them()
    {
        var stored = new Dictionary<string, (string, string)>
        {
            ["old"] = (EarnRules.Fingerprint(Spend(1m, "old")), JsonSerializer.Serialize(
                new LedgerEntryView("led_old", "mem_1", "earn", 1, 0, 1, 0, "old", null, null, null, Now), Json.Options)),
        };
        var ids = 0;
        var plan = EarnBatch.Plan(LoyaltyProgram.Default, Member(), "mem_1",
            [Spend(10m, "a"), Spend(1m, "old"), Spend(10m, "a"), Spend(11m, "a"), Spend(5m, "b"), Spend(2m, "old")], stored, Now, () => $"led_{ids++}");
        Assert.Equal([0, 4], plan.Accepted.Select(a => a.Index));
        Assert.Equal([10L, 15L], plan.Accepted.Select(a => a.Entry.PointsBalance));
        Assert.Equal(15L, plan.Final.Points);
        Assert.Equal(2L, plan.Final.Seq);
        Assert.True(plan.Answers[1].Replay is { Replayed: true, EntryId: "led_old" });
        Assert.Equal(0, plan.Answers[2].SameAs);
        Assert.Equal(LoyaltyErrors.IdempotencyKeyReused, Assert.IsType<CloudFranException>(plan.Answers[3].Error).Code);
        Assert.NotNull(plan.Answers[5].Error);
    }

    // ------------------------------------------------------------------ loads

    [Fact]
    public void Load_settings_save_the_payment_method_and_the_auto_reload_rule()
    {
        var s = Member() with { PaymentMethod = "pm_saved", ReloadThreshold = 5, ReloadAmount = 20 };
        Assert.Equal("pm_saved", WalletLoadRules.WithLoadSettings(s, new WalletLoadRequest("mem_1", 10, null, null, "k")).PaymentMethod);
        var changed = WalletLoadRules.WithLoadSettings(s, new WalletLoadRequest("mem_1", 10, "pm_new", new AutoReloadInput(10, 30), "k"));
        Assert.Equal(("pm_new", (decimal?)10, (decimal?)30), (changed.PaymentMethod, changed.ReloadThreshold, changed.ReloadAmount));
        var disabled = WalletLoadRules.WithLoadSettings(s, new WalletLoadRequest("mem_1", 10, null, null, "k", DisableAutoReload: true));
        Assert.Null(disabled.ReloadThreshold);
        var error = Assert.Throws<CloudFranException>(() => WalletLoadRules.WithLoadSettings(Member(), new WalletLoadRequest("mem_1", 10, null, null, "k")));
        Assert.Equal(ErrorKind.Invalid, error.Kind);
    }

    [Fact]
    public void The_daily_limit_counts_what_was_loaded_today()
    {
        Assert.True(WalletLoadRules.WithinDailyLimit(80m, 20m, 100m));
        Assert.False(WalletLoadRules.WithinDailyLimit(80m, 20.01m, 100m));
        Assert.Equal(LoyaltyErrors.DailyLimitExceeded, WalletLoadRules.DailyLimitExceeded(80m, 20.01m, 100m).Code);
    }

    [Fact]
    public void Auto_reload_starts_only_for_a_debit_below_the_threshold_with_a_saved_card()
    {
        var s = Member(wallet: 15) with { ReloadThreshold = 20, ReloadAmount = 30, PaymentMethod = "pm" };
        Assert.True(WalletLoadRules.WantsAutoReload(s, -5));
        Assert.False(WalletLoadRules.WantsAutoReload(s, 5));
        Assert.False(WalletLoadRules.WantsAutoReload(s with { Wallet = 20 }, -5));
        Assert.False(WalletLoadRules.WantsAutoReload(s with { PaymentMethod = null }, -5));
    }

    [Fact]
    public void Stripe_answers_decide_the_next_step_of_a_load()
    {
        Assert.Equal(LoadStep.Credit, WalletLoadRules.AfterCharge(new PaymentOutcome("pi_1", "succeeded", null, null, false)));
        Assert.Equal(LoadStep.Fail, WalletLoadRules.AfterCharge(new PaymentOutcome("pi_1", "failed", "card_declined", "no", false)));
        Assert.Equal(LoadStep.Processing, WalletLoadRules.AfterCharge(new PaymentOutcome("pi_1", "processing", null, null, false)));
        Assert.Equal(LoadStep.Pending, WalletLoadRules.AfterCharge(new PaymentOutcome(null, "pending", "stripe_unavailable", "down", true)));

        var load = new WalletLoadView("wld_1", "mem_1", 25.50m, "usd", "processing", false, "pi_1", null, null, 0, Now, "k");
        Assert.Equal(LoadStep.Credit, WalletLoadRules.AfterPaymentEvent(load, "pi_1", "succeeded", 2550));
        Assert.Equal(LoadStep.Fail, WalletLoadRules.AfterPaymentEvent(load, "pi_1", "canceled", 2550));
        Assert.Equal(LoadStep.None, WalletLoadRules.AfterPaymentEvent(load with { Status = "succeeded" }, "pi_1", "succeeded", 2550));
        Assert.Throws<CloudFranException>(() => WalletLoadRules.AfterPaymentEvent(load, "pi_1", "succeeded", 2500));
        Assert.Throws<CloudFranException>(() => WalletLoadRules.AfterPaymentEvent(load, "pi_other", "succeeded", 2550));
    }

    // ------------------------------------------------------------------ refunds and disputes

    [Fact]
    public void A_refund_takes_at_most_what_the_card_still_holds()
    {
        var load = new WalletLoadView("wld_1", "mem_1", 50m, "usd", "succeeded", false, "pi_1", null, null, 0, Now, "k");
        Assert.Equal(30m, WalletRefundRules.Amount(load, 20m, null));
        Assert.Equal(10m, WalletRefundRules.Amount(load, 20m, 10m));
        Assert.Equal(WalletRefundRules.RefundExceedsLoad, Assert.Throws<CloudFranException>(() => WalletRefundRules.Amount(load, 20m, 30.01m)).Code);
        Assert.Equal(WalletRefundRules.LoadNotRefundable,
            Assert.Throws<CloudFranException>(() => WalletRefundRules.Refundable(load with { Status = "processing" }, "mem_1")).Code);
        Assert.Equal(ErrorKind.NotFound, Assert.Throws<CloudFranException>(() => WalletRefundRules.Refundable(load, "mem_2")).Kind);
        Assert.Equal(LoyaltyErrors.InsufficientFunds, Assert.Throws<CloudFranException>(() => WalletRefundRules.CheckBalance(5m, 10m, false)).Code);
        WalletRefundRules.CheckBalance(5m, 10m, allowNegative: true);
    }

    [Fact]
    public void Stripe_refund_answers_become_an_amount_or_an_error()
    {
        Assert.Equal(10m, WalletRefundRules.Refunded(new RefundOutcome("re_1", "succeeded", 1000, null, null), 10m));
        Assert.Equal(7m, WalletRefundRules.Refunded(new RefundOutcome("re_1", "pending", 700, null, null), 10m));
        Assert.Equal(WalletRefundRules.StripeUnavailable,
            Assert.Throws<CloudFranException>(() => WalletRefundRules.Refunded(new RefundOutcome(null, "unavailable", 0, null, null), 10m)).Code);
        Assert.Equal(LoyaltyErrors.IdempotencyKeyReused,
            Assert.Throws<CloudFranException>(() => WalletRefundRules.Refunded(new RefundOutcome(null, "rejected", 0, "idempotency_error", null), 10m)).Code);
        Assert.Equal(WalletRefundRules.RefundRejected,
            Assert.Throws<CloudFranException>(() => WalletRefundRules.Refunded(new RefundOutcome(null, "failed", 0, null, null), 10m)).Code);
        Assert.Equal(("wallet_dispute_won", 5m), (WalletRefundRules.Movement("dispute_won", 5m).LedgerKind, WalletRefundRules.Movement("dispute_won", 5m).Delta));
        Assert.Equal(-5m, WalletRefundRules.Movement("dispute", 5m).Delta);
    }

    // ------------------------------------------------------------------ Stripe events

    private static Event Parse(string type, string objectJson) => EventUtility.ParseEvent(
        $$$"""{"id":"evt_1","object":"event","api_version":"2024-06-20","created":1,"type":"{{{type}}}","data":{"object":{{{objectJson}}}}}""",
        throwOnApiVersionMismatch: false);

    [Fact]
    public void Payment_intent_events_are_routed_by_the_load_metadata()
    {
        var intent = """{"id":"pi_1","object":"payment_intent","amount":2550,"status":"succeeded","metadata":{"cf_tenant_id":"tn_abcdefghijkl","cf_env":"test","cf_load_id":"wld_abcdefghijklmnopqrstuvwx","cf_member_id":"mem_abcdefghijkl"}}""";
        var read = Assert.IsType<PaymentEvent>(StripeEventReader.Read(Parse("payment_intent.succeeded", intent)));
        Assert.Equal(("succeeded", 2550L, "pi_1"), (read.Status, read.AmountCents, read.PaymentIntentId));
        Assert.Equal("tn_abcdefghijkl/test", read.Scope.ToString());
        Assert.Equal("canceled", Assert.IsType<PaymentEvent>(StripeEventReader.Read(Parse("payment_intent.canceled", intent))).Status);
        Assert.Null(StripeEventReader.Read(Parse("payment_intent.created", intent)));
        Assert.Null(StripeEventReader.Read(Parse("payment_intent.succeeded", """{"id":"pi_2","object":"payment_intent","amount":1,"metadata":{}}""")));
    }

    [Fact]
    public void Charge_refunds_and_disputes_become_adjustments_of_the_load()
    {
        var charge = """{"id":"ch_1","object":"charge","payment_intent":"pi_1","amount":5000,"amount_refunded":1500,"refunds":{"object":"list","data":[{"id":"re_1","object":"refund","amount":1000,"status":"succeeded"},{"id":"re_2","object":"refund","amount":500,"status":"failed"}]}}""";
        var refunded = Assert.IsType<AdjustmentEvent>(StripeEventReader.Read(Parse("charge.refunded", charge)));
        Assert.Equal([("refund", "re_1", 1000L, false)], refunded.Adjustments.Select(a => (a.Kind, a.StripeId, a.AmountCents, a.Cumulative)));
        var cumulative = Assert.IsType<AdjustmentEvent>(StripeEventReader.Read(Parse("charge.refunded",
            """{"id":"ch_1","object":"charge","payment_intent":"pi_1","amount":5000,"amount_refunded":3000}""")));
        Assert.Equal([("ch_1:3000", 3000L, true)], cumulative.Adjustments.Select(a => (a.StripeId, a.AmountCents, a.Cumulative)));

        var dispute = """{"id":"dp_1","object":"dispute","payment_intent":"pi_1","amount":5000,"status":"won"}""";
        Assert.Equal("dispute", Assert.IsType<AdjustmentEvent>(StripeEventReader.Read(Parse("charge.dispute.created", dispute))).Adjustments[0].Kind);
        Assert.Equal("dispute_won", Assert.IsType<AdjustmentEvent>(StripeEventReader.Read(Parse("charge.dispute.closed", dispute))).Adjustments[0].Kind);
        Assert.Null(StripeEventReader.Read(Parse("charge.dispute.closed", dispute.Replace("\"won\"", "\"lost\""))));
        Assert.Null(StripeEventReader.Read(Parse("customer.created", """{"id":"cus_1","object":"customer"}""")));
    }
}
