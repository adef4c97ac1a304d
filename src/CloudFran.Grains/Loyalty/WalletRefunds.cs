using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Loyalty;
using CloudFran.Grains.Storage;

namespace CloudFran.Grains.Loyalty;

/// <summary>The rows of loyalty_wallet_refunds: one per Stripe refund or dispute movement of a wallet load (written by the wallet grain).</summary>
public static class WalletRefunds
{
    private const string Columns =
        "r.stripe_id, r.kind, r.load_id, r.member_id, r.amount, r.reason, r.source, r.entry_id, l.amount_after, r.created_at, r.fingerprint";

    public static async Task<(WalletRefundView View, string? Fingerprint)?> FindAsync(PlatformDb db, TenantScope scope, string where,
        params (string, object?)[] parameters)
    {
        var rows = await db.QueryAsync(
            $"""
            SELECT {Columns} FROM loyalty_wallet_refunds r
              JOIN loyalty_ledger l ON l.tenant_id = r.tenant_id AND l.env = r.env AND l.entry_id = r.entry_id
             WHERE r.tenant_id = @t AND r.env = @e AND {where}
            """,
            r => (new WalletRefundView(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetDecimal(4),
                r.IsDBNull(5) ? null : r.GetString(5), r.GetString(6), r.GetString(7), r.GetDecimal(8), r.Time("created_at")),
                r.IsDBNull(10) ? null : r.GetString(10)),
            [("t", scope.TenantId), ("e", scope.EnvName), .. parameters]);
        return rows.Count == 0 ? null : rows[0];
    }

    /// <summary>Amount of the load no longer held by the customer's card: refunds plus disputes not won back.</summary>
    public static Task<decimal> TakenAsync(PlatformDb db, TenantScope scope, string loadId) =>
        db.ScalarAsync<decimal>(
            """
            SELECT coalesce(sum(CASE kind WHEN 'dispute_won' THEN -amount ELSE amount END), 0)
              FROM loyalty_wallet_refunds WHERE tenant_id = @t AND env = @e AND load_id = @l
            """,
            ("t", scope.TenantId), ("e", scope.EnvName), ("l", loadId));

    public static Task<decimal> RefundedAsync(PlatformDb db, TenantScope scope, string loadId) =>
        db.ScalarAsync<decimal>(
            "SELECT coalesce(sum(amount), 0) FROM loyalty_wallet_refunds WHERE tenant_id = @t AND env = @e AND load_id = @l AND kind = 'refund'",
            ("t", scope.TenantId), ("e", scope.EnvName), ("l", loadId));

    /// <summary>The movement row, in the transaction of its ledger entry.</summary>
    public static Task InsertAsync(PlatformTransaction tx, TenantScope scope, string stripeId, string kind, string loadId,
        string memberId, decimal amount, string source, string? reason, string? idempotencyKey, string? fingerprint, string entryId, DateTimeOffset now) =>
        tx.ExecuteAsync(
            """
            INSERT INTO loyalty_wallet_refunds (tenant_id, env, stripe_id, kind, load_id, member_id, amount, source, reason, idempotency_key,
                                                fingerprint, entry_id, created_at)
            VALUES (@t, @e, @s, @k, @l, @m, @a, @src, @r, @key, @fp, @entry, @now)
            """,
            ("t", scope.TenantId), ("e", scope.EnvName), ("s", stripeId), ("k", kind), ("l", loadId), ("m", memberId), ("a", amount),
            ("src", source), ("r", reason), ("key", idempotencyKey), ("fp", fingerprint), ("entry", entryId), ("now", now));

    /// <summary>The webhook recorded this Stripe refund first (e.g. after a crash between Stripe and the debit): attach the API's key to it.</summary>
    public static Task AttachKeyAsync(PlatformDb db, TenantScope scope, string stripeId, string kind, string idempotencyKey, string? fingerprint,
        string? reason) =>
        db.ExecuteAsync(
            """
            UPDATE loyalty_wallet_refunds SET idempotency_key = @key, fingerprint = @fp, reason = coalesce(reason, @r::varchar)
             WHERE tenant_id = @t AND env = @e AND stripe_id = @s AND kind = @k AND idempotency_key IS NULL
            """,
            ("key", idempotencyKey), ("fp", fingerprint), ("r", reason), ("t", scope.TenantId), ("e", scope.EnvName), ("s", stripeId), ("k", kind));
}
