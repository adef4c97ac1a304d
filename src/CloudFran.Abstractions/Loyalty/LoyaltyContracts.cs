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

// ---------------------------------------------------------------- grains

/// <summary>
/// One member's wallet: the single writer of their points, stored value, tier, streak and ledger entries.
/// Key: <c>tn_…/live|test/mem_…</c>. Each change is one ledger row + the balance row in one transaction.
/// </summary>
public interface IWalletGrain : IGrainWithStringKey
{
    Task<MemberView> GetAsync();
    Task<LedgerEntryView> EarnAsync(EarnRequest request);
    Task<LedgerEntryView> RedeemAsync(RedeemRequest request);
    Task<LedgerEntryView> RefundPointsAsync(PointsRefundRequest request);
    Task<LedgerEntryView> SpendAsync(WalletSpendRequest request);
    Task<CheckinView> CheckInAsync(string locationId, string idempotencyKey);

    /// <summary>A transfer step: takes points/amount out (never overdraws) under <paramref name="key"/>.</summary>
    Task<LedgerEntryView> TransferOutAsync(string transferId, string counterparty, long points, decimal amount, string key);

    /// <summary>A transfer step: puts points/amount in under <paramref name="key"/> (gift-card redemption included).</summary>
    Task<LedgerEntryView> TransferInAsync(string transferId, string counterparty, long points, decimal amount, string key, string kind);

    /// <summary>
    /// Tops the wallet up by card: checks the daily stored-value limit, saves the payment method and auto-reload
    /// settings and records a pending load (the wallet is the only writer of loads), charges it through Stripe with
    /// the load id as idempotency key, and credits it exactly once (ledger key <c>load:{loadId}</c>) when Stripe says
    /// succeeded. A retry with the same load id answers the same load. 402 PAYMENT_FAILED when the card is declined.
    /// </summary>
    Task<WalletLoadView> LoadAsync(string loadId, WalletLoadRequest request);

    /// <summary>Sends a load still pending or processing to Stripe again (auto-reloads, the recovery sweep) and credits it once it succeeded.</summary>
    Task<WalletLoadView> ProcessLoadAsync(string loadId);

    /// <summary>A verified Stripe webhook about one of this member's loads (succeeded credits once; failed/canceled fails it).</summary>
    Task<WalletLoadView> ApplyPaymentEventAsync(string loadId, string paymentIntentId, string status, long amountCents, string? failureCode);

    /// <summary>
    /// Refunds a succeeded load to the card through Stripe and debits the wallet once (replay by idempotency key
    /// returns the first result). Refused with 409 before Stripe is called when it would overdraw a program
    /// that does not allow negative balances after refunds.
    /// </summary>
    Task<WalletRefundView> RefundLoadAsync(WalletRefundRequest request);

    /// <summary>Records a refund or dispute Stripe reported by webhook once per Stripe id (may go negative: the money has left).
    /// Null when there is nothing (more) to record.</summary>
    Task<WalletRefundView?> ApplyStripeAdjustmentAsync(StripeAdjustment adjustment);

    /// <summary>Referral bonus for the referrer (key <c>referral:{referralId}</c>).</summary>
    Task<LedgerEntryView> AwardReferralAsync(string referralId, long points);

    /// <summary>Writes an expiry entry when the member has been inactive past the program's expiry.</summary>
    Task ExpireIfDueAsync();

    /// <summary>Drops the in-memory balances and reloads them from PostgreSQL on the next call (tests, operators).</summary>
    Task ReloadAsync();
}

/// <summary>Members of a tenant partition: create, search, lookups by QR code (stateless). Key: <c>tn_…/live|test/loyalty</c>.</summary>
public interface ILoyaltyDirectoryGrain : IGrainWithStringKey
{
    Task<MemberView> CreateMemberAsync(MemberInput input);
    [ReadOnly] Task<PagedList<MemberView>> SearchAsync(MemberSearch search);
    [ReadOnly] Task<string> QrTokenAsync(string memberId);
    Task<CheckinView> CheckInAsync(CheckinRequest request);
    [ReadOnly] Task<PagedList<LedgerEntryView>> HistoryAsync(string memberId, HistoryQuery query);
    [ReadOnly] Task<LocationStatsView> StatsAsync(string? locationId);
    Task<ReferralView> CreateReferralAsync(string memberId, string channel, string? recipientPhone);
    [ReadOnly] Task<TransferView> GetTransferAsync(string transferId);
    [ReadOnly] Task<WalletLoadView> GetLoadAsync(string memberId, string loadId);
    Task<GiftCardRedemptionView> RedeemGiftCardAsync(GiftCardRedeemRequest request);
    [ReadOnly] Task<GiftCardView> LookupGiftCardAsync(string code);
}

/// <summary>The tenant's program rules. Key: <c>tn_…/live|test/loyalty-program</c>.</summary>
public interface ILoyaltyProgramGrain : IGrainWithStringKey
{
    [ReadOnly] Task<LoyaltyProgram> GetAsync();
    Task<LoyaltyProgram> UpdateAsync(LoyaltyProgramPatch patch);
}

/// <summary>
/// Coordinator of one peer transfer or gift-card redemption into a wallet. Key: <c>tn_…/live|test/xfr_…</c>
/// (derived from the idempotency key, so a retry reaches the same coordinator). Step 1 debits the source under
/// <c>xfer:{id}:debit</c>, step 2 credits the destination under <c>xfer:{id}:credit</c>; both steps are idempotent,
/// so re-running the protocol after a crash completes it without moving anything twice.
/// </summary>
public interface ILoyaltyTransferGrain : IGrainWithStringKey
{
    Task<TransferView> TransferAsync(TransferRequest request);
    Task<TransferView> RedeemGiftCardAsync(string giftCardId, string memberId, decimal amount, string idempotencyKey);

    /// <summary>Completes a pending or debited transfer (the recovery sweep).</summary>
    Task<TransferView> ResumeAsync();
}

/// <summary>One gift card: the single writer of its balance. Key: <c>tn_…/live|test/gft_…</c>.</summary>
public interface IGiftCardGrain : IGrainWithStringKey
{
    Task<GiftCardView> IssueAsync(GiftCardInput input);
    [ReadOnly] Task<GiftCardView> GetAsync();
    Task<GiftCardView> ActivateAsync();
    Task<GiftCardView> VoidAsync();
    Task<LedgerEntryView> DebitAsync(decimal amount, string key, string? reference, string kind);
}

public static class LoyaltyGrainFactoryExtensions
{
    public static IWalletGrain GetWallet(this IGrainFactory factory, TenantScope scope, string memberId) =>
        factory.GetGrain<IWalletGrain>($"{scope}/{memberId}");

    public static ILoyaltyDirectoryGrain GetLoyaltyDirectory(this IGrainFactory factory, TenantScope scope) =>
        factory.GetGrain<ILoyaltyDirectoryGrain>($"{scope}/loyalty");

    public static ILoyaltyProgramGrain GetLoyaltyProgram(this IGrainFactory factory, TenantScope scope) =>
        factory.GetGrain<ILoyaltyProgramGrain>($"{scope}/loyalty-program");

    public static ILoyaltyTransferGrain GetLoyaltyTransfer(this IGrainFactory factory, TenantScope scope, string transferId) =>
        factory.GetGrain<ILoyaltyTransferGrain>($"{scope}/{transferId}");

    public static IGiftCardGrain GetGiftCard(this IGrainFactory factory, TenantScope scope, string giftCardId) =>
        factory.GetGrain<IGiftCardGrain>($"{scope}/{giftCardId}");
}

/// <summary>Deterministic ids derived from client idempotency keys (same key → same coordinator grain).</summary>
public static class LoyaltyIds
{
    public static string FromKey(string prefix, string scopeKey)
    {
        var hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(scopeKey));
        const string alphabet = "0123456789abcdefghijklmnopqrstuvwxyz";
        var chars = new char[24];
        for (var i = 0; i < chars.Length; i++)
        {
            chars[i] = alphabet[hash[i] % 36];
        }
        return prefix + "_" + new string(chars);
    }
}
