using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Platform;
using Orleans.Concurrency;

namespace CloudFran.Abstractions.Loyalty;

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
        factory.GetGrain<IWalletGrain>(new ScopedKey(scope, memberId).ToString());

    public static ILoyaltyDirectoryGrain GetLoyaltyDirectory(this IGrainFactory factory, TenantScope scope) =>
        factory.GetGrain<ILoyaltyDirectoryGrain>(new ScopedKey(scope, "loyalty").ToString());

    public static ILoyaltyProgramGrain GetLoyaltyProgram(this IGrainFactory factory, TenantScope scope) =>
        factory.GetGrain<ILoyaltyProgramGrain>(new ScopedKey(scope, "loyalty-program").ToString());

    public static ILoyaltyTransferGrain GetLoyaltyTransfer(this IGrainFactory factory, TenantScope scope, string transferId) =>
        factory.GetGrain<ILoyaltyTransferGrain>(new ScopedKey(scope, transferId).ToString());

    public static IGiftCardGrain GetGiftCard(this IGrainFactory factory, TenantScope scope, string giftCardId) =>
        factory.GetGrain<IGiftCardGrain>(new ScopedKey(scope, giftCardId).ToString());
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
