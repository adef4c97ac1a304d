using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Loyalty;
using CloudFran.Grains.Background;
using CloudFran.Grains.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CloudFran.Grains.Loyalty;

public sealed class LoyaltyRecoverySignal : WakeSignal;

public sealed class LoyaltyOptions
{
    /// <summary>How often the sweep looks for unfinished work (CLOUDFRAN_LOYALTY_SWEEP_SECONDS).</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Age after which a transfer, load or referral still in flight is considered abandoned (CLOUDFRAN_LOYALTY_STALE_SECONDS).</summary>
    public TimeSpan StaleAfter { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>
/// Finishes what a crash, a lost one-way call or an unreachable Stripe left half done: transfers still pending or
/// debited, wallet loads not yet answered, completed referrals whose bonus was not credited, and expiry of points
/// of inactive members. Every action is an idempotent grain call, so several nodes may run it at once.
/// </summary>
public sealed partial class LoyaltyRecoveryWorker(PlatformDb db, IGrainFactory grains, TimeProvider clock, IOptions<LoyaltyOptions> options,
    LoyaltyRecoverySignal signal, ILogger<LoyaltyRecoveryWorker> logger) : PollingWorker(signal, logger)
{
    protected override TimeSpan PollInterval => options.Value.SweepInterval;

    private static TenantScope Scope(string tenant, string env) => TenantScope.Of(tenant, env);

    public override async Task<int> RunOnceAsync(CancellationToken ct)
    {
        var cutoff = clock.GetUtcNow() - options.Value.StaleAfter;
        var handled = 0;
        var transfers = await db.QueryAsync(
            "SELECT tenant_id, env, transfer_id FROM loyalty_transfers WHERE status IN ('pending', 'debited') AND updated_at < @cutoff ORDER BY updated_at LIMIT 100",
            r => (Scope(r.GetString(0), r.GetString(1)), r.GetString(2)), ("cutoff", cutoff));
        foreach (var (scope, id) in transfers)
        {
            await TryAsync(() => grains.GetLoyaltyTransfer(scope, id).ResumeAsync(), id);
        }
        handled += transfers.Count;

        var loads = await db.QueryAsync(
            "SELECT tenant_id, env, load_id, member_id FROM loyalty_wallet_loads WHERE status IN ('pending', 'processing') AND updated_at < @cutoff ORDER BY updated_at LIMIT 100",
            r => (Scope(r.GetString(0), r.GetString(1)), r.GetString(2), r.GetString(3)), ("cutoff", cutoff));
        foreach (var (scope, id, member) in loads)
        {
            await TryAsync(() => grains.GetWallet(scope, member).ProcessLoadAsync(id), id);
        }

        var referrals = await db.QueryAsync(
            """
            SELECT r.tenant_id, r.env, r.referral_id, r.referrer_member_id, coalesce((p.rules->>'referralBonusPoints')::bigint, 100)
              FROM loyalty_referrals r LEFT JOIN loyalty_programs p ON p.tenant_id = r.tenant_id AND p.env = r.env
             WHERE r.status = 'completed' AND r.updated_at < @cutoff ORDER BY r.updated_at LIMIT 100
            """,
            r => (Scope(r.GetString(0), r.GetString(1)), r.GetString(2), r.GetString(3), r.GetInt64(4)), ("cutoff", cutoff));
        foreach (var (scope, id, referrer, points) in referrals)
        {
            await TryAsync(() => grains.GetWallet(scope, referrer).AwardReferralAsync(id, points), id);
        }
        handled += referrals.Count;

        var expiring = await db.QueryAsync(
            """
            SELECT m.tenant_id, m.env, m.member_id FROM loyalty_members m
              JOIN loyalty_programs p ON p.tenant_id = m.tenant_id AND p.env = m.env AND p.rules ? 'pointsExpiryDays'
                                     AND jsonb_typeof(p.rules->'pointsExpiryDays') = 'number'
             WHERE m.points_balance > 0
               AND m.last_activity_at < @now - make_interval(days => (p.rules->>'pointsExpiryDays')::int)
             LIMIT 100
            """,
            r => (Scope(r.GetString(0), r.GetString(1)), r.GetString(2)), ("now", clock.GetUtcNow()));
        foreach (var (scope, member) in expiring)
        {
            await TryAsync(() => grains.GetWallet(scope, member).ExpireIfDueAsync(), member);
        }
        // Loads still waiting on Stripe are retried each sweep but do not keep the loop spinning.
        return handled + expiring.Count;
    }

    private async Task TryAsync(Func<Task> action, string id)
    {
        try
        {
            await action();
        }
        catch (Exception e)
        {
            LogRecoveryFailed(logger, id, e);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Loyalty recovery of {Id} failed; will retry")]
    private static partial void LogRecoveryFailed(ILogger logger, string id, Exception e);
}
