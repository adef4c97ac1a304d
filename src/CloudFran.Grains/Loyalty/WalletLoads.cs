using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Loyalty;
using CloudFran.Grains.Storage;

namespace CloudFran.Grains.Loyalty;

/// <summary>
/// The rows of loyalty_wallet_loads. Only the member's wallet grain writes them (reserve, auto-reload, Stripe's
/// answer, the credit); the directory, the Stripe event router and the recovery sweep only read.
/// </summary>
public static class WalletLoads
{
    private const string Columns =
        "load_id, member_id, amount, currency, status, auto_reload, payment_intent_id, failure_code, failure_message, created_at, idempotency_key, payment_method_id";

    public static async Task<WalletLoadView?> ReadAsync(PlatformDb db, TenantScope scope, string loadId) =>
        (await ReadRowAsync(db, scope, loadId))?.View;

    /// <summary>The load and the payment method it charges.</summary>
    public static async Task<(WalletLoadView View, string? PaymentMethod)?> ReadRowAsync(PlatformDb db, TenantScope scope, string loadId)
    {
        var rows = await db.QueryAsync(
            $"""
            SELECT {Columns}, (SELECT wallet_balance FROM loyalty_members m WHERE m.tenant_id = l.tenant_id AND m.env = l.env AND m.member_id = l.member_id)
              FROM loyalty_wallet_loads l WHERE tenant_id = @t AND env = @e AND load_id = @id
            """,
            r => (new WalletLoadView(r.GetString(0), r.GetString(1), r.GetDecimal(2), r.GetString(3), r.GetString(4), r.GetBoolean(5),
                r.IsDBNull(6) ? null : r.GetString(6), r.IsDBNull(7) ? null : r.GetString(7), r.IsDBNull(8) ? null : r.GetString(8),
                r.IsDBNull(12) ? null : r.GetDecimal(12), r.Time("created_at"), r.GetString(10)), r.IsDBNull(11) ? null : r.GetString(11)),
            ("t", scope.TenantId), ("e", scope.EnvName), ("id", loadId));
        return rows.Count == 0 ? null : rows[0];
    }

    /// <summary>The wallet load a PaymentIntent paid for, across tenants (only for signed Stripe webhooks).</summary>
    public static async Task<(TenantScope Scope, string LoadId, string MemberId)?> FindByIntentAsync(PlatformDb db, string paymentIntentId)
    {
        var rows = await db.QueryAsync(
            "SELECT tenant_id, env, load_id, member_id FROM loyalty_wallet_loads WHERE payment_intent_id = @pi",
            r => (TenantScope.Of(r.GetString(0), r.GetString(1)), r.GetString(2), r.GetString(3)),
            ("pi", paymentIntentId));
        return rows.Count == 0 ? null : rows[0];
    }

    /// <summary>The member a load belongs to (a webhook whose metadata does not name it).</summary>
    public static Task<string?> MemberOfAsync(PlatformDb db, TenantScope scope, string loadId) =>
        db.ScalarAsync<string>("SELECT member_id FROM loyalty_wallet_loads WHERE tenant_id = @t AND env = @e AND load_id = @id",
            ("t", scope.TenantId), ("e", scope.EnvName), ("id", loadId));

    public static async Task<decimal> LoadedTodayAsync(PlatformDb db, TenantScope scope, string memberId, DateTimeOffset now)
    {
        var dayStart = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero);
        return await db.ScalarAsync<decimal>(
            """
            SELECT coalesce(sum(amount), 0) FROM loyalty_wallet_loads
             WHERE tenant_id = @t AND env = @e AND member_id = @m AND status <> 'failed' AND created_at >= @day
            """,
            ("t", scope.TenantId), ("e", scope.EnvName), ("m", memberId), ("day", dayStart));
    }

    /// <summary>Records a pending load; false when the id already exists (nothing written).</summary>
    public static async Task<bool> InsertAsync(PlatformTransaction tx, TenantScope scope, string memberId, string loadId,
        decimal amount, string paymentMethod, bool autoReload, string idempotencyKey, DateTimeOffset now) =>
        await tx.ExecuteAsync(
            """
            INSERT INTO loyalty_wallet_loads (tenant_id, env, load_id, member_id, amount, payment_method_id, auto_reload, idempotency_key,
                                              status, created_at, updated_at)
            VALUES (@t, @e, @id, @m, @amount, @pm, @auto, @key, 'pending', @now, @now)
            ON CONFLICT DO NOTHING
            """,
            ("t", scope.TenantId), ("e", scope.EnvName), ("id", loadId), ("m", memberId), ("amount", amount), ("pm", paymentMethod),
            ("auto", autoReload), ("key", idempotencyKey), ("now", now)) == 1;

    private const string SetSql =
        """
        UPDATE loyalty_wallet_loads SET status = @s, payment_intent_id = coalesce(@pi, payment_intent_id), failure_code = @code,
               failure_message = @msg, updated_at = @now
         WHERE tenant_id = @t AND env = @e AND load_id = @id AND status NOT IN ('succeeded', 'failed')
        """;

    /// <summary>Moves a load that is not final yet to <paramref name="status"/>.</summary>
    public static Task SetAsync(PlatformDb db, TenantScope scope, string loadId, string status, string? paymentIntentId, string? code,
        string? message, DateTimeOffset now) =>
        db.ExecuteAsync(SetSql, ("s", status), ("pi", paymentIntentId), ("code", code), ("msg", message), ("now", now),
            ("t", scope.TenantId), ("e", scope.EnvName), ("id", loadId));

    /// <summary>Marks a load succeeded in the transaction that credits it.</summary>
    public static Task SetSucceededAsync(PlatformTransaction tx, TenantScope scope, string loadId, string? paymentIntentId,
        DateTimeOffset now) =>
        tx.ExecuteAsync(SetSql, ("s", "succeeded"), ("pi", paymentIntentId), ("code", null), ("msg", null), ("now", now),
            ("t", scope.TenantId), ("e", scope.EnvName), ("id", loadId));
}
