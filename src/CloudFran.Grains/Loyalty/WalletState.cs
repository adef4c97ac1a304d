namespace CloudFran.Grains.Loyalty;

/// <summary>The member row as the wallet grain caches it between calls.</summary>
public sealed record WalletState(
    string Name, string Phone, string? Email, string? LocationId, string? ReferredBy, DateTimeOffset CreatedAt,
    long Points, long Lifetime, decimal Wallet, string Tier, int Streak, DateOnly? LastCheckin, int Checkins,
    IReadOnlyList<string> Badges, DateTimeOffset? FirstPurchaseAt, DateTimeOffset? LastActivity,
    decimal? ReloadThreshold, decimal? ReloadAmount, string? PaymentMethod, long Version, long Seq);
