using System.Text.Json;
using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Loyalty;
using CloudFran.Grains.Storage;

namespace CloudFran.Grains.Loyalty;

/// <summary>
/// The member's balance row (loyalty_members) and the referral rows the wallet grain changes with it. Only the
/// wallet grain calls these; every write checks the row's version (its single writer).
/// </summary>
public static class WalletRows
{
    public static Task<WalletState?> ReadAsync(PlatformDb db, TenantScope scope, string memberId) =>
        db.QuerySingleAsync(
            """
            SELECT m.name, m.phone, m.email, m.location_id, m.referred_by, m.created_at, m.points_balance, m.lifetime_points,
                   m.wallet_balance, m.tier, m.streak_days, m.last_checkin_date, m.checkins_total, m.badges::text, m.first_purchase_at,
                   m.last_activity_at, m.auto_reload_threshold, m.auto_reload_amount, m.payment_method_id, m.version,
                   (SELECT coalesce(max(seq), 0) FROM loyalty_ledger l WHERE l.tenant_id = m.tenant_id AND l.env = m.env AND l.member_id = m.member_id)
              FROM loyalty_members m WHERE m.tenant_id = @t AND m.env = @e AND m.member_id = @m
            """,
            r => new WalletState(r.GetString(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3),
                r.IsDBNull(4) ? null : r.GetString(4), new DateTimeOffset(r.GetDateTime(5), TimeSpan.Zero), r.GetInt64(6), r.GetInt64(7),
                r.GetDecimal(8), r.GetString(9), r.GetInt32(10), r.IsDBNull(11) ? null : DateOnly.FromDateTime(r.GetDateTime(11)), r.GetInt32(12),
                JsonSerializer.Deserialize<List<string>>(r.GetString(13)) ?? [],
                r.IsDBNull(14) ? null : new DateTimeOffset(r.GetDateTime(14), TimeSpan.Zero),
                r.IsDBNull(15) ? null : new DateTimeOffset(r.GetDateTime(15), TimeSpan.Zero),
                r.IsDBNull(16) ? null : r.GetDecimal(16), r.IsDBNull(17) ? null : r.GetDecimal(17), r.IsDBNull(18) ? null : r.GetString(18),
                r.GetInt64(19), r.GetInt64(20)),
            ("t", scope.TenantId), ("e", scope.EnvName), ("m", memberId));

    /// <summary>One ledger entry and the balance row it leads to; false for a replayed key (nothing written).</summary>
    public static Task<bool> InsertEntryAsync(PlatformTransaction tx, TenantScope scope, string memberId, WalletState s,
        WalletState next, LedgerEntryView entry, string fingerprint, string resultJson) =>
        LedgerWriter.InsertAsync(tx, scope, memberId, entry, s.Seq + 1, fingerprint, resultJson,
            """
            UPDATE loyalty_members SET points_balance = @pb, lifetime_points = @lp, wallet_balance = @wb, tier = @tier, streak_days = @streak,
                   last_checkin_date = @lcd, checkins_total = @ct, badges = @badges::jsonb, first_purchase_at = @fpa, last_activity_at = @la,
                   version = version + 1, updated_at = @now
             WHERE tenant_id = @t AND env = @e AND member_id = @acct AND version = @v
            """,
            ("pb", next.Points), ("lp", next.Lifetime), ("wb", next.Wallet), ("tier", next.Tier), ("streak", next.Streak),
            ("lcd", next.LastCheckin), ("ct", next.Checkins), ("badges", JsonSerializer.Serialize(next.Badges)),
            ("fpa", next.FirstPurchaseAt), ("la", next.LastActivity), ("v", s.Version));

    /// <summary>The balance row after a batch of earns (its ledger rows are inserted in the same transaction).</summary>
    public static async Task UpdateAfterEarnsAsync(PlatformTransaction tx, TenantScope scope, string memberId, WalletState work,
        long version, DateTimeOffset now)
    {
        var updated = await tx.ExecuteAsync(
            """
            UPDATE loyalty_members SET points_balance = @pb, lifetime_points = @lp, tier = @tier, first_purchase_at = @fpa,
                   last_activity_at = @la, version = version + 1, updated_at = @now
             WHERE tenant_id = @t AND env = @e AND member_id = @m AND version = @v
            """,
            ("pb", work.Points), ("lp", work.Lifetime), ("tier", work.Tier), ("fpa", work.FirstPurchaseAt), ("la", work.LastActivity),
            ("now", now), ("t", scope.TenantId), ("e", scope.EnvName), ("m", memberId), ("v", version));
        if (updated != 1)
        {
            throw new InvalidOperationException($"The balance row of {memberId} changed under its single writer (version mismatch).");
        }
    }

    /// <summary>Payment method and auto-reload settings; false when the row changed under its single writer.</summary>
    public static async Task<bool> SaveSettingsAsync(PlatformTransaction tx, TenantScope scope, string memberId,
        WalletState next, DateTimeOffset now) =>
        await tx.ExecuteAsync(
            """
            UPDATE loyalty_members SET auto_reload_threshold = @th, auto_reload_amount = @amt, payment_method_id = @pm,
                   version = version + 1, updated_at = @now
             WHERE tenant_id = @t AND env = @e AND member_id = @m AND version = @v
            """,
            ("th", next.ReloadThreshold), ("amt", next.ReloadAmount), ("pm", next.PaymentMethod), ("now", now),
            ("t", scope.TenantId), ("e", scope.EnvName), ("m", memberId), ("v", next.Version)) == 1;

    /// <summary>The referral of a referred member still waiting for their first purchase.</summary>
    public static Task<string?> JoinedReferralAsync(PlatformDb db, TenantScope scope, string memberId) =>
        db.ScalarAsync<string>(
            "SELECT referral_id FROM loyalty_referrals WHERE tenant_id = @t AND env = @e AND referred_member_id = @m AND status = 'joined'",
            ("t", scope.TenantId), ("e", scope.EnvName), ("m", memberId));

    public static Task CompleteReferralAsync(PlatformTransaction tx, TenantScope scope, string referralId, DateTimeOffset now) =>
        tx.ExecuteAsync(
            "UPDATE loyalty_referrals SET status = 'completed', updated_at = @now WHERE tenant_id = @t AND env = @e AND referral_id = @r AND status = 'joined'",
            ("now", now), ("t", scope.TenantId), ("e", scope.EnvName), ("r", referralId));

    public static Task RewardReferralAsync(PlatformTransaction tx, TenantScope scope, string referralId, DateTimeOffset now) =>
        tx.ExecuteAsync(
            "UPDATE loyalty_referrals SET status = 'rewarded', updated_at = @now WHERE tenant_id = @t AND env = @e AND referral_id = @r",
            ("now", now), ("t", scope.TenantId), ("e", scope.EnvName), ("r", referralId));

    /// <summary>A replayed bonus: the entry exists, make sure the referral says so.</summary>
    public static Task RewardReferralAsync(PlatformDb db, TenantScope scope, string referralId) =>
        db.ExecuteAsync(
            "UPDATE loyalty_referrals SET status = 'rewarded' WHERE tenant_id = @t AND env = @e AND referral_id = @r",
            ("t", scope.TenantId), ("e", scope.EnvName), ("r", referralId));
}
