using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Loyalty;
using CloudFran.Grains.Events;
using CloudFran.Grains.Storage;

namespace CloudFran.Grains.Loyalty;

/// <summary>The events a wallet change appends to the outbox, in the transaction of its ledger entry.</summary>
public static class WalletEvents
{
    public static Task PointsEarnedAsync(PlatformTransaction tx, TenantScope scope, string memberId, LedgerEntryView e,
        EarnRequest request, long? lifetime) =>
        lifetime is { } lp
            ? EventOutbox.AppendAsync(tx, scope, "loyalty.points_earned", new
            {
                memberId, points = e.PointsDelta, balance = e.PointsBalance, lifetimePoints = lp, amount = request.Amount,
                category = request.Category, reference = request.Reference, locationId = request.LocationId, entryId = e.EntryId,
            }, $"loyalty.points_earned:{e.EntryId}")
            : EventOutbox.AppendAsync(tx, scope, "loyalty.points_earned", new
            {
                memberId, points = e.PointsDelta, balance = e.PointsBalance, amount = request.Amount,
                category = request.Category, reference = request.Reference, locationId = request.LocationId, entryId = e.EntryId,
            }, $"loyalty.points_earned:{e.EntryId}");

    public static async Task TierChangedAsync(PlatformTransaction tx, TenantScope scope, string memberId, string from,
        string to, string entryId)
    {
        if (from != to)
        {
            await EventOutbox.AppendAsync(tx, scope, "loyalty.tier_changed", new { memberId, from, to, entryId },
                $"loyalty.tier_changed:{entryId}");
        }
    }

    public static Task ReferralCompleteAsync(PlatformTransaction tx, TenantScope scope, string referralId,
        string? referrerMemberId, string referredMemberId, string entryId) =>
        EventOutbox.AppendAsync(tx, scope, "loyalty.referral_complete", new { referralId, referrerMemberId, referredMemberId, entryId },
            $"loyalty.referral_complete:{referralId}");

    public static Task RewardRedeemedAsync(PlatformTransaction tx, TenantScope scope, string memberId, long points,
        RedeemRequest request, LedgerEntryView e) =>
        EventOutbox.AppendAsync(tx, scope, "loyalty.reward_redeemed", new
        {
            memberId, points, rewardId = request.RewardId, balance = e.PointsBalance, reference = request.Reference,
            locationId = request.LocationId, entryId = e.EntryId,
        }, $"loyalty.reward_redeemed:{e.EntryId}");

    public static Task CheckinAsync(PlatformTransaction tx, TenantScope scope, string memberId, string locationId, long points,
        int streak, IReadOnlyList<string> newBadges, string entryId) =>
        EventOutbox.AppendAsync(tx, scope, "loyalty.checkin", new { memberId, locationId, points, streak, newBadges, entryId },
            $"loyalty.checkin:{entryId}");

    public static Task FundsLoadedAsync(PlatformTransaction tx, TenantScope scope, string memberId, string loadId,
        decimal amount, LedgerEntryView e) =>
        EventOutbox.AppendAsync(tx, scope, "wallet.funds_loaded", new
        {
            memberId, loadId, amount, balance = e.WalletBalance, entryId = e.EntryId,
        }, $"wallet.funds_loaded:{loadId}");

    public static Task StripeMovementAsync(PlatformTransaction tx, TenantScope scope, string eventType, string memberId,
        string loadId, decimal amount, string stripeId, string source, string? reason, LedgerEntryView e) =>
        EventOutbox.AppendAsync(tx, scope, eventType, new
        {
            memberId, loadId, amount, balance = e.WalletBalance, stripeId, source, reason, entryId = e.EntryId,
        }, $"{eventType}:{stripeId}");
}
