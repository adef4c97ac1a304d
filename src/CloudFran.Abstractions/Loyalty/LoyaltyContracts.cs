using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Platform;
using Orleans.Concurrency;

namespace CloudFran.Abstractions.Loyalty;

// ---------------------------------------------------------------- program rules

[GenerateSerializer, Immutable, Alias("cf.LoyaltyTier")]
public sealed record LoyaltyTier(
    [property: Id(0)] string Name,
    [property: Id(1)] long MinLifetimePoints,
    /// <summary>Multiplier applied to points earned from spend by members of this tier.</summary>
    [property: Id(2)] decimal EarnMultiplier = 1m);

/// <summary>A time-boxed promotion: a multiplier and/or bonus on earn, optionally only on some weekdays, categories or locations.</summary>
[GenerateSerializer, Immutable, Alias("cf.LoyaltyPromotion")]
public sealed record LoyaltyPromotion(
    [property: Id(0)] string Name,
    [property: Id(1)] decimal Multiplier,
    [property: Id(2)] long BonusPoints,
    [property: Id(3)] DateTimeOffset? StartsAt,
    [property: Id(4)] DateTimeOffset? EndsAt,
    /// <summary>monday … sunday in the program time zone; empty = every day.</summary>
    [property: Id(5)] IReadOnlyList<string>? DaysOfWeek,
    [property: Id(6)] IReadOnlyList<string>? Categories,
    [property: Id(7)] IReadOnlyList<string>? LocationIds);

[GenerateSerializer, Immutable, Alias("cf.LoyaltyReward")]
public sealed record LoyaltyReward(
    [property: Id(0)] string RewardId,
    [property: Id(1)] string Name,
    [property: Id(2)] long Points);

[GenerateSerializer, Immutable, Alias("cf.LoyaltyProgram")]
public sealed record LoyaltyProgram(
    [property: Id(0)] decimal PointsPerCurrencyUnit,
    [property: Id(1)] long VisitBonusPoints,
    [property: Id(2)] IReadOnlyDictionary<string, decimal> CategoryMultipliers,
    [property: Id(3)] IReadOnlyList<LoyaltyPromotion> Promotions,
    [property: Id(4)] IReadOnlyList<LoyaltyTier> Tiers,
    /// <summary>Points expire after this many days without any activity; null = never.</summary>
    [property: Id(5)] int? PointsExpiryDays,
    [property: Id(6)] decimal DailyStoredValueLimit,
    /// <summary>Refunds may take points or wallet balances below zero (otherwise a refund that would overdraw is refused).</summary>
    [property: Id(7)] bool AllowNegativeBalanceAfterRefund,
    [property: Id(8)] IReadOnlyList<LoyaltyReward> Rewards,
    [property: Id(9)] long ReferralBonusPoints,
    [property: Id(10)] long ReferredBonusPoints,
    [property: Id(11)] string Timezone,
    [property: Id(12)] int Version = 0)
{
    public static LoyaltyProgram Default { get; } = new(1m, 10, new Dictionary<string, decimal>(), [],
        [new("bronze", 0), new("silver", 1_000, 1.25m), new("gold", 5_000, 1.5m), new("platinum", 15_000, 2m)],
        null, 2_000.00m, false, [], 100, 50, "UTC");

    public LoyaltyTier TierFor(long lifetimePoints) =>
        Tiers.Where(t => t.MinLifetimePoints <= lifetimePoints).OrderByDescending(t => t.MinLifetimePoints).FirstOrDefault()
        ?? new LoyaltyTier("member", 0);
}

/// <summary>A partial update of the program: null fields keep their value.</summary>
[GenerateSerializer, Immutable, Alias("cf.LoyaltyProgramPatch")]
public sealed record LoyaltyProgramPatch(
    [property: Id(0)] decimal? PointsPerCurrencyUnit,
    [property: Id(1)] long? VisitBonusPoints,
    [property: Id(2)] IReadOnlyDictionary<string, decimal>? CategoryMultipliers,
    [property: Id(3)] IReadOnlyList<LoyaltyPromotion>? Promotions,
    [property: Id(4)] IReadOnlyList<LoyaltyTier>? Tiers,
    [property: Id(5)] int? PointsExpiryDays,
    [property: Id(6)] decimal? DailyStoredValueLimit,
    [property: Id(7)] bool? AllowNegativeBalanceAfterRefund,
    [property: Id(8)] IReadOnlyList<LoyaltyReward>? Rewards,
    [property: Id(9)] long? ReferralBonusPoints,
    [property: Id(10)] long? ReferredBonusPoints,
    [property: Id(11)] string? Timezone,
    [property: Id(12)] bool ClearPointsExpiry = false);

// ---------------------------------------------------------------- members

[GenerateSerializer, Immutable, Alias("cf.MemberInput")]
public sealed record MemberInput(
    [property: Id(0)] string Name,
    [property: Id(1)] string Phone,
    [property: Id(2)] string? Email,
    [property: Id(3)] string? LocationId,
    [property: Id(4)] string? ReferralCode);

[GenerateSerializer, Immutable, Alias("cf.AutoReloadView")]
public sealed record AutoReloadView(
    [property: Id(0)] decimal Threshold,
    [property: Id(1)] decimal ReloadAmount,
    [property: Id(2)] string? PaymentMethodId);

[GenerateSerializer, Immutable, Alias("cf.MemberView")]
public sealed record MemberView(
    [property: Id(0)] string MemberId,
    [property: Id(1)] string Name,
    [property: Id(2)] string Phone,
    [property: Id(3)] string? Email,
    [property: Id(4)] string? LocationId,
    [property: Id(5)] long Points,
    [property: Id(6)] long LifetimePoints,
    [property: Id(7)] string Tier,
    [property: Id(8)] decimal WalletBalance,
    [property: Id(9)] int Streak,
    [property: Id(10)] IReadOnlyList<string> Badges,
    [property: Id(11)] int Checkins,
    [property: Id(12)] AutoReloadView? AutoReload,
    [property: Id(13)] DateTimeOffset CreatedAt,
    [property: Id(14)] DateTimeOffset? LastActivityAt,
    [property: Id(15)] string? ReferredBy);

[GenerateSerializer, Immutable, Alias("cf.MemberSearch")]
public sealed record MemberSearch(
    [property: Id(0)] string? Phone,
    [property: Id(1)] string? Email,
    [property: Id(2)] string? Name,
    [property: Id(3)] string? LocationId,
    [property: Id(4)] int Page,
    [property: Id(5)] int PageSize);

// ---------------------------------------------------------------- ledger operations

[GenerateSerializer, Immutable, Alias("cf.EarnRequest")]
public sealed record EarnRequest(
    [property: Id(0)] decimal? Amount,
    [property: Id(1)] long? Points,
    [property: Id(2)] string? Category,
    [property: Id(3)] string? Reference,
    [property: Id(4)] string? LocationId,
    [property: Id(5)] string IdempotencyKey);

[GenerateSerializer, Immutable, Alias("cf.RedeemRequest")]
public sealed record RedeemRequest(
    [property: Id(0)] long? Points,
    [property: Id(1)] string? RewardId,
    [property: Id(2)] string? Reference,
    [property: Id(3)] string? LocationId,
    [property: Id(4)] string IdempotencyKey);

/// <summary>Reverses points (a refunded purchase); may go negative only when the program allows it.</summary>
[GenerateSerializer, Immutable, Alias("cf.PointsRefundRequest")]
public sealed record PointsRefundRequest(
    [property: Id(0)] long Points,
    [property: Id(1)] string? Reference,
    [property: Id(2)] string IdempotencyKey);

/// <summary>Pays from the stored-value wallet (checkout), or refunds such a payment back (negative = refund).</summary>
[GenerateSerializer, Immutable, Alias("cf.WalletSpendRequest")]
public sealed record WalletSpendRequest(
    [property: Id(0)] decimal Amount,
    [property: Id(1)] string? Reference,
    [property: Id(2)] string? LocationId,
    [property: Id(3)] string IdempotencyKey);

/// <summary>One committed ledger entry and the balances right after it. Replays return the original.</summary>
[GenerateSerializer, Immutable, Alias("cf.LedgerEntryView")]
public sealed record LedgerEntryView(
    [property: Id(0)] string EntryId,
    [property: Id(1)] string MemberId,
    [property: Id(2)] string Kind,
    [property: Id(3)] long PointsDelta,
    [property: Id(4)] decimal AmountDelta,
    [property: Id(5)] long PointsBalance,
    [property: Id(6)] decimal WalletBalance,
    [property: Id(7)] string IdempotencyKey,
    [property: Id(8)] string? Reference,
    [property: Id(9)] string? LocationId,
    [property: Id(10)] string? Description,
    [property: Id(11)] DateTimeOffset CreatedAt,
    [property: Id(12)] string? Tier = null,
    [property: Id(13)] bool Replayed = false);

[GenerateSerializer, Immutable, Alias("cf.CheckinRequest")]
public sealed record CheckinRequest(
    [property: Id(0)] string QrCode,
    [property: Id(1)] string LocationId);

[GenerateSerializer, Immutable, Alias("cf.CheckinView")]
public sealed record CheckinView(
    [property: Id(0)] string MemberId,
    [property: Id(1)] string LocationId,
    [property: Id(2)] long PointsAwarded,
    [property: Id(3)] long PointsBalance,
    [property: Id(4)] int Streak,
    [property: Id(5)] IReadOnlyList<string> NewBadges,
    [property: Id(6)] IReadOnlyList<string> Badges,
    [property: Id(7)] string EntryId,
    [property: Id(8)] bool AlreadyCheckedInToday);

[GenerateSerializer, Immutable, Alias("cf.HistoryQuery")]
public sealed record HistoryQuery(
    [property: Id(0)] string Type,
    [property: Id(1)] int Page,
    [property: Id(2)] int PageSize);

[GenerateSerializer, Immutable, Alias("cf.LocationStatsView")]
public sealed record LocationStatsView(
    [property: Id(0)] string? LocationId,
    [property: Id(1)] long Members,
    [property: Id(2)] long PointsEarned,
    [property: Id(3)] long PointsRedeemed,
    [property: Id(4)] long Checkins,
    [property: Id(5)] decimal WalletLoaded,
    [property: Id(6)] decimal WalletSpent,
    [property: Id(7)] long EarnTransactions,
    [property: Id(8)] IReadOnlyDictionary<string, long> MembersByTier);

// ---------------------------------------------------------------- transfers

[GenerateSerializer, Immutable, Alias("cf.TransferRequest")]
public sealed record TransferRequest(
    [property: Id(0)] string FromMemberId,
    [property: Id(1)] string ToMemberId,
    [property: Id(2)] long Points,
    [property: Id(3)] decimal Amount,
    [property: Id(4)] string? Note,
    [property: Id(5)] string IdempotencyKey);

[GenerateSerializer, Immutable, Alias("cf.TransferView")]
public sealed record TransferView(
    [property: Id(0)] string TransferId,
    [property: Id(1)] string Kind,
    [property: Id(2)] string From,
    [property: Id(3)] string To,
    [property: Id(4)] long Points,
    [property: Id(5)] decimal Amount,
    [property: Id(6)] string Status,
    [property: Id(7)] string IdempotencyKey,
    [property: Id(8)] string? FailureCode,
    [property: Id(9)] string? FailureMessage,
    [property: Id(10)] DateTimeOffset CreatedAt,
    [property: Id(11)] DateTimeOffset UpdatedAt,
    [property: Id(12)] string? Note = null);

// ---------------------------------------------------------------- wallet loads

[GenerateSerializer, Immutable, Alias("cf.AutoReloadInput")]
public sealed record AutoReloadInput(
    [property: Id(0)] decimal Threshold,
    [property: Id(1)] decimal ReloadAmount);

[GenerateSerializer, Immutable, Alias("cf.WalletLoadRequest")]
public sealed record WalletLoadRequest(
    [property: Id(0)] string MemberId,
    [property: Id(1)] decimal Amount,
    [property: Id(2)] string? PaymentMethodId,
    [property: Id(3)] AutoReloadInput? AutoReload,
    [property: Id(4)] string IdempotencyKey,
    [property: Id(5)] bool DisableAutoReload = false);

[GenerateSerializer, Immutable, Alias("cf.WalletLoadView")]
public sealed record WalletLoadView(
    [property: Id(0)] string LoadId,
    [property: Id(1)] string MemberId,
    [property: Id(2)] decimal Amount,
    [property: Id(3)] string Currency,
    /// <summary>pending (not yet sent to Stripe), processing (awaiting Stripe), succeeded (credited), failed.</summary>
    [property: Id(4)] string Status,
    [property: Id(5)] bool AutoReload,
    [property: Id(6)] string? PaymentIntentId,
    [property: Id(7)] string? FailureCode,
    [property: Id(8)] string? FailureMessage,
    [property: Id(9)] decimal? WalletBalance,
    [property: Id(10)] DateTimeOffset CreatedAt,
    [property: Id(11)] string IdempotencyKey);

/// <summary>Refund part or all of a succeeded wallet load to the card (Stripe Refund); Amount null = the unrefunded remainder.</summary>
[GenerateSerializer, Immutable, Alias("cf.WalletRefundRequest")]
public sealed record WalletRefundRequest(
    [property: Id(0)] string LoadId,
    [property: Id(1)] decimal? Amount,
    [property: Id(2)] string? Reason,
    [property: Id(3)] string IdempotencyKey);

/// <summary>
/// A Stripe-side change to a wallet load reported by a signed webhook: a refund (re_…), a dispute opened or won
/// (dp_…). <see cref="Cumulative"/>: <see cref="AmountCents"/> is the charge's total refunded so far (no refund
/// ids in the event), so only the part not yet recorded is debited.
/// </summary>
[GenerateSerializer, Immutable, Alias("cf.StripeAdjustment")]
public sealed record StripeAdjustment(
    [property: Id(0)] string Kind,
    [property: Id(1)] string StripeId,
    [property: Id(2)] string LoadId,
    [property: Id(3)] long AmountCents,
    [property: Id(4)] bool Cumulative = false);

/// <summary>One refund or dispute movement of a wallet load and the wallet balance right after it.</summary>
[GenerateSerializer, Immutable, Alias("cf.WalletRefundView")]
public sealed record WalletRefundView(
    /// <summary>The Stripe object: re_… for a refund, dp_… for a dispute.</summary>
    [property: Id(0)] string StripeId,
    /// <summary>refund, dispute (debit) or dispute_won (credit back).</summary>
    [property: Id(1)] string Kind,
    [property: Id(2)] string LoadId,
    [property: Id(3)] string MemberId,
    [property: Id(4)] decimal Amount,
    [property: Id(5)] string? Reason,
    /// <summary>api (refunded through this API) or webhook (reported by Stripe).</summary>
    [property: Id(6)] string Source,
    [property: Id(7)] string EntryId,
    [property: Id(8)] decimal WalletBalance,
    [property: Id(9)] DateTimeOffset CreatedAt,
    [property: Id(10)] bool Replayed = false);

// ---------------------------------------------------------------- gift cards

[GenerateSerializer, Immutable, Alias("cf.GiftCardInput")]
public sealed record GiftCardInput(
    [property: Id(0)] decimal Amount,
    [property: Id(1)] string? RecipientName,
    [property: Id(2)] string? RecipientPhone,
    [property: Id(3)] string? RecipientEmail,
    [property: Id(4)] string? Message,
    [property: Id(5)] bool Activate,
    [property: Id(6)] string? LocationId);

[GenerateSerializer, Immutable, Alias("cf.GiftCardView")]
public sealed record GiftCardView(
    [property: Id(0)] string GiftCardId,
    [property: Id(1)] string Status,
    [property: Id(2)] decimal InitialAmount,
    [property: Id(3)] decimal Balance,
    [property: Id(4)] string CodeLast4,
    [property: Id(5)] string? RecipientName,
    [property: Id(6)] string? RecipientPhone,
    [property: Id(7)] string? RecipientEmail,
    [property: Id(8)] string? Message,
    [property: Id(9)] string DeliveryStatus,
    [property: Id(10)] DateTimeOffset CreatedAt,
    /// <summary>The full code: only in the response that created the card.</summary>
    [property: Id(11)] string? Code = null);

[GenerateSerializer, Immutable, Alias("cf.GiftCardRedeemRequest")]
public sealed record GiftCardRedeemRequest(
    [property: Id(0)] string Code,
    /// <summary>Into this member's wallet; null = paid at checkout.</summary>
    [property: Id(1)] string? MemberId,
    /// <summary>null = the whole remaining balance.</summary>
    [property: Id(2)] decimal? Amount,
    [property: Id(3)] string? Reference,
    [property: Id(4)] string IdempotencyKey);

[GenerateSerializer, Immutable, Alias("cf.GiftCardRedemptionView")]
public sealed record GiftCardRedemptionView(
    [property: Id(0)] string GiftCardId,
    [property: Id(1)] decimal Amount,
    [property: Id(2)] decimal GiftCardBalance,
    [property: Id(3)] string GiftCardStatus,
    [property: Id(4)] string? MemberId,
    [property: Id(5)] decimal? WalletBalance,
    [property: Id(6)] string? TransferId);

// ---------------------------------------------------------------- referrals

[GenerateSerializer, Immutable, Alias("cf.ReferralView")]
public sealed record ReferralView(
    [property: Id(0)] string ReferralId,
    [property: Id(1)] string MemberId,
    [property: Id(2)] string Channel,
    [property: Id(3)] string Code,
    [property: Id(4)] string Link,
    [property: Id(5)] string Status,
    [property: Id(6)] string? ReferredMemberId,
    [property: Id(7)] string Delivery,
    [property: Id(8)] DateTimeOffset CreatedAt);
