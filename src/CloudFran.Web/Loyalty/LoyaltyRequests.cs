using CloudFran.Abstractions.Loyalty;

namespace CloudFran.Web.Loyalty;

// The public JSON bodies of the loyalty endpoints; each is mapped to its wire record by the endpoint.

public sealed record LoyaltyTierBody(string Name, long MinLifetimePoints, decimal EarnMultiplier = 1m);

public sealed record LoyaltyPromotionBody(string Name, decimal Multiplier, long BonusPoints, DateTimeOffset? StartsAt, DateTimeOffset? EndsAt,
    IReadOnlyList<string>? DaysOfWeek, IReadOnlyList<string>? Categories, IReadOnlyList<string>? LocationIds);

public sealed record LoyaltyRewardBody(string RewardId, string Name, long Points);

/// <summary>PATCH /v1/loyalty/program: the fields to change (the same names as the program's rules).</summary>
public sealed record UpdateLoyaltyProgramRequest(decimal? PointsPerCurrencyUnit, long? VisitBonusPoints,
    IReadOnlyDictionary<string, decimal>? CategoryMultipliers, IReadOnlyList<LoyaltyPromotionBody>? Promotions, IReadOnlyList<LoyaltyTierBody>? Tiers,
    int? PointsExpiryDays, decimal? DailyStoredValueLimit, bool? AllowNegativeBalanceAfterRefund, IReadOnlyList<LoyaltyRewardBody>? Rewards,
    long? ReferralBonusPoints, long? ReferredBonusPoints, string? Timezone, bool ClearPointsExpiry = false)
{
    public LoyaltyProgramPatch ToPatch() => new(PointsPerCurrencyUnit, VisitBonusPoints, CategoryMultipliers,
        Promotions?.Select(p => new LoyaltyPromotion(p.Name, p.Multiplier, p.BonusPoints, p.StartsAt, p.EndsAt, p.DaysOfWeek, p.Categories, p.LocationIds))
            .ToList(),
        Tiers?.Select(t => new LoyaltyTier(t.Name, t.MinLifetimePoints, t.EarnMultiplier)).ToList(), PointsExpiryDays, DailyStoredValueLimit,
        AllowNegativeBalanceAfterRefund, Rewards?.Select(r => new LoyaltyReward(r.RewardId, r.Name, r.Points)).ToList(), ReferralBonusPoints,
        ReferredBonusPoints, Timezone, ClearPointsExpiry);
}

public sealed record CreateMemberRequest(string? Name, string? Phone, string? Email, string? LocationId, string? ReferralCode);

public sealed record EarnPointsRequest(decimal? Amount, long? Points, string? Category, string? Reference, string? LocationId, string? IdempotencyKey);

public sealed record RedeemPointsRequest(long? Points, string? RewardId, string? Reference, string? LocationId, string? IdempotencyKey);

public sealed record RefundPointsRequest(long? Points, string? Reference, string? IdempotencyKey);

public sealed record SpendWalletRequest(decimal? Amount, string? Reference, string? LocationId, string? IdempotencyKey);

public sealed record AutoReloadRequest(decimal? Threshold, decimal? ReloadAmount);

public sealed record LoadWalletRequest(decimal? Amount, string? PaymentMethodId, AutoReloadRequest? AutoReload, bool? DisableAutoReload, string? IdempotencyKey);

public sealed record RefundWalletLoadRequest(decimal? Amount, string? Reason, string? IdempotencyKey);

public sealed record CreateTransferRequest(string? From, string? To, long? Points, decimal? Amount, string? Note, string? IdempotencyKey);

public sealed record CreateCheckinRequest(string? QrCode, string? LocationId);

public sealed record CreateReferralRequest(string? MemberId, string? Channel, string? RecipientPhone);

public sealed record CreateGiftCardRequest(decimal? Amount, string? RecipientName, string? RecipientPhone, string? RecipientEmail, string? Message,
    bool? Activate, string? LocationId);

public sealed record RedeemGiftCardRequest(string? Code, string? MemberId, decimal? Amount, string? Reference, string? IdempotencyKey);

public sealed record LookupGiftCardRequest(string? Code);
