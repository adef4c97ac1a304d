using System.Globalization;
using CloudFran.Abstractions.Errors;
using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Loyalty;
using CloudFran.Grains.Events;
using CloudFran.Grains.Storage;
using Npgsql;

namespace CloudFran.Grains.Loyalty;

/// <summary>Reads of loyalty_wallet_refunds: one row per Stripe refund or dispute movement of a wallet load.</summary>
public static class WalletRefunds
{
    public const string LoadNotRefundable = "LOAD_NOT_REFUNDABLE";
    public const string RefundExceedsLoad = "REFUND_EXCEEDS_LOAD";
    public const string RefundRejected = "REFUND_REJECTED";
    public const string StripeUnavailable = "STRIPE_UNAVAILABLE";

    private const string Columns =
        "r.stripe_id, r.kind, r.load_id, r.member_id, r.amount, r.reason, r.source, r.entry_id, l.amount_after, r.created_at, r.fingerprint";

    internal static async Task<(WalletRefundView View, string? Fingerprint)?> FindAsync(PlatformDb db, TenantScope scope, string where,
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
    internal static Task<decimal> TakenAsync(PlatformDb db, TenantScope scope, string loadId) =>
        db.ScalarAsync<decimal>(
            """
            SELECT coalesce(sum(CASE kind WHEN 'dispute_won' THEN -amount ELSE amount END), 0)
              FROM loyalty_wallet_refunds WHERE tenant_id = @t AND env = @e AND load_id = @l
            """,
            ("t", scope.TenantId), ("e", scope.EnvName), ("l", loadId));

    internal static Task<decimal> RefundedAsync(PlatformDb db, TenantScope scope, string loadId) =>
        db.ScalarAsync<decimal>(
            "SELECT coalesce(sum(amount), 0) FROM loyalty_wallet_refunds WHERE tenant_id = @t AND env = @e AND load_id = @l AND kind = 'refund'",
            ("t", scope.TenantId), ("e", scope.EnvName), ("l", loadId));

    /// <summary>The wallet load a PaymentIntent paid for, across tenants (only for signed Stripe webhooks).</summary>
    public static async Task<(TenantScope Scope, string LoadId, string MemberId)?> FindLoadByIntentAsync(PlatformDb db, string paymentIntentId)
    {
        var rows = await db.QueryAsync(
            "SELECT tenant_id, env, load_id, member_id FROM loyalty_wallet_loads WHERE payment_intent_id = @pi",
            r => (new TenantScope(r.GetString(0), r.GetString(1) == "test" ? DataEnv.Test : DataEnv.Live), r.GetString(2), r.GetString(3)),
            ("pi", paymentIntentId));
        return rows.Count == 0 ? null : rows[0];
    }

    internal static string Money(decimal amount) => amount.ToString("0.00", CultureInfo.InvariantCulture);
}

/// <summary>Wallet refunds to the card and Stripe refunds/disputes reported by webhook.</summary>
public sealed partial class WalletGrain
{
    public Task<WalletRefundView> RefundLoadAsync(WalletRefundRequest request) => Serial(() => RefundLoadCoreAsync(request));

    public Task<WalletRefundView?> ApplyStripeAdjustmentAsync(StripeAdjustment adjustment) => Serial(() => ApplyStripeAdjustmentCoreAsync(adjustment));

    /// <summary>
    /// Runs under the wallet's gate from the balance check to the debit, Stripe call included, so nothing can spend
    /// the funds in between and a charge.refunded webhook for this refund waits until the debit is committed.
    /// </summary>
    private async Task<WalletRefundView> RefundLoadCoreAsync(WalletRefundRequest request)
    {
        var fp = LedgerWriter.Fingerprint("wallet-refund", request.LoadId, request.Amount, request.Reason);
        var s = await StateAsync();
        if (await WalletRefunds.FindAsync(db, _scope, "r.load_id = @l AND r.idempotency_key = @k", ("l", request.LoadId), ("k", request.IdempotencyKey))
            is { } first)
        {
            return first.Fingerprint == fp ? first.View with { Replayed = true } : throw LoyaltyErrors.KeyReused();
        }
        var load = await WalletLoadGrain.ReadAsync(db, _scope, request.LoadId);
        if (load is null || load.MemberId != _memberId)
        {
            throw CloudFranException.NotFound("Wallet load");
        }
        if (load.Status != "succeeded" || load.PaymentIntentId is null)
        {
            throw new CloudFranException(ErrorKind.Conflict, WalletRefunds.LoadNotRefundable,
                $"Only a succeeded load can be refunded; this load is {load.Status}.");
        }
        var remaining = load.Amount - await WalletRefunds.TakenAsync(db, _scope, load.LoadId);
        var amount = request.Amount ?? remaining;
        if (remaining <= 0 || amount > remaining)
        {
            throw new CloudFranException(ErrorKind.Conflict, WalletRefunds.RefundExceedsLoad,
                $"At most {WalletRefunds.Money(Math.Max(0, remaining))} of this load ({WalletRefunds.Money(load.Amount)}) can still be refunded.",
                [new FieldError("amount", $"amount must be at most {WalletRefunds.Money(Math.Max(0, remaining))}.")]);
        }
        var program = await ProgramAsync();
        if (s.Wallet - amount < 0 && !program.AllowNegativeBalanceAfterRefund)
        {
            throw new CloudFranException(ErrorKind.Conflict, LoyaltyErrors.InsufficientFunds,
                $"Refunding {WalletRefunds.Money(amount)} would take the wallet ({WalletRefunds.Money(s.Wallet)}) below zero; "
                + "the program does not allow negative balances after refunds. Nothing was refunded.");
        }
        var refundKey = LoyaltyIds.FromKey("wrf", $"{_scope}|{load.LoadId}|{request.IdempotencyKey}");
        // Answer well inside the grain call's 30 s response timeout: a slow Stripe is "unavailable" (502) and the retry
        // with the same key gets whatever Stripe did.
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var outcome = await stripe.RefundAsync(refundKey, load.PaymentIntentId, amount, _scope.TenantId, _scope.EnvName, _memberId, load.LoadId,
            deadline.Token);
        switch (outcome.Status)
        {
            case "unavailable":
                throw new CloudFranException(ErrorKind.UpstreamFailed, WalletRefunds.StripeUnavailable,
                    "Stripe could not be reached or failed; the wallet was not debited. Retry with the same idempotency key.");
            case "rejected" when outcome.ErrorCode == "idempotency_error":
                throw LoyaltyErrors.KeyReused();
            case "rejected" or "failed" or "canceled":
                throw new CloudFranException(ErrorKind.Conflict, WalletRefunds.RefundRejected,
                    $"Stripe refused the refund ({outcome.ErrorCode ?? outcome.Status}): {outcome.ErrorMessage ?? "the refund failed."} The wallet was not debited.");
        }
        if (outcome.AmountCents != (long)decimal.Round(amount * 100m))
        {
            // Stripe replayed a refund made for the same key with another amount: record what Stripe actually refunded.
            amount = outcome.AmountCents / 100m;
        }
        return await RecordStripeMovementAsync("refund", outcome.RefundId!, load.LoadId, amount, "api", request.Reason, request.IdempotencyKey, fp);
    }

    private async Task<WalletRefundView?> ApplyStripeAdjustmentCoreAsync(StripeAdjustment a)
    {
        await StateAsync();
        var load = await WalletLoadGrain.ReadAsync(db, _scope, a.LoadId);
        if (load is null || load.MemberId != _memberId)
        {
            return null;
        }
        var amount = a.AmountCents / 100m;
        switch (a.Kind)
        {
            case "refund" when a.Cumulative:
                amount -= await WalletRefunds.RefundedAsync(db, _scope, load.LoadId);
                break;
            case "dispute_won":
                // Credit back only what was debited for this dispute.
                if (await WalletRefunds.FindAsync(db, _scope, "r.stripe_id = @s AND r.kind = 'dispute'", ("s", a.StripeId)) is not { } opened)
                {
                    return null;
                }
                amount = opened.View.Amount;
                break;
        }
        if (amount <= 0)
        {
            return null;
        }
        return await RecordStripeMovementAsync(a.Kind, a.StripeId, load.LoadId, amount, "webhook", null, null, null);
    }

    /// <summary>
    /// One ledger entry (key <c>stripe-{kind}:{stripeId}</c>) + the movement row + its event in one transaction.
    /// Either path (API or webhook) arriving second finds the entry and writes nothing.
    /// </summary>
    private async Task<WalletRefundView> RecordStripeMovementAsync(string kind, string stripeId, string loadId, decimal amount, string source,
        string? reason, string? idempotencyKey, string? fingerprint)
    {
        var s = await StateAsync();
        var delta = kind == "dispute_won" ? amount : -amount;
        var (ledgerKind, description, eventType) = kind switch
        {
            "refund" => ("wallet_refund", "Wallet load refunded to card", "wallet.refunded"),
            "dispute" => ("wallet_dispute", "Wallet load disputed (chargeback)", "wallet.disputed"),
            _ => ("wallet_dispute_won", "Dispute won: funds restored", "wallet.dispute_won"),
        };
        var next = s with { Wallet = s.Wallet + delta, LastActivity = clock.GetUtcNow() };
        var change = new LedgerChange(ledgerKind, 0, delta, $"stripe-{kind}:{stripeId}", LedgerWriter.Fingerprint("stripe", kind, stripeId, loadId),
            loadId, null, description);
        var written = await WriteAsync(next, change, async (conn, tx, e) =>
        {
            await using (var insert = new NpgsqlCommand(
                """
                INSERT INTO loyalty_wallet_refunds (tenant_id, env, stripe_id, kind, load_id, member_id, amount, source, reason, idempotency_key,
                                                    fingerprint, entry_id, created_at)
                VALUES (@t, @e, @s, @k, @l, @m, @a, @src, @r, @key, @fp, @entry, @now)
                """, conn, tx))
            {
                var p = insert.Parameters;
                p.AddWithValue("t", _scope.TenantId);
                p.AddWithValue("e", _scope.EnvName);
                p.AddWithValue("s", stripeId);
                p.AddWithValue("k", kind);
                p.AddWithValue("l", loadId);
                p.AddWithValue("m", _memberId);
                p.AddWithValue("a", amount);
                p.AddWithValue("src", source);
                p.AddWithValue("r", (object?)reason ?? DBNull.Value);
                p.AddWithValue("key", (object?)idempotencyKey ?? DBNull.Value);
                p.AddWithValue("fp", (object?)fingerprint ?? DBNull.Value);
                p.AddWithValue("entry", e.EntryId);
                p.AddWithValue("now", e.CreatedAt);
                await insert.ExecuteNonQueryAsync();
            }
            await EventOutbox.AppendAsync(conn, tx, _scope, eventType, new
            {
                memberId = _memberId, loadId, amount, balance = e.WalletBalance, stripeId, source, reason, entryId = e.EntryId,
            }, $"{eventType}:{stripeId}");
        });
        if (idempotencyKey is not null)
        {
            // The webhook recorded this Stripe refund first (e.g. after a crash between Stripe and the debit): attach our key to it.
            await db.ExecuteAsync(
                """
                UPDATE loyalty_wallet_refunds SET idempotency_key = @key, fingerprint = @fp, reason = coalesce(reason, @r::varchar)
                 WHERE tenant_id = @t AND env = @e AND stripe_id = @s AND kind = @k AND idempotency_key IS NULL
                """,
                ("key", idempotencyKey), ("fp", fingerprint), ("r", reason), ("t", _scope.TenantId), ("e", _scope.EnvName), ("s", stripeId), ("k", kind));
        }
        var stored = await WalletRefunds.FindAsync(db, _scope, "r.stripe_id = @s AND r.kind = @k", ("s", stripeId), ("k", kind));
        return stored!.Value.View with { Replayed = written.Replayed };
    }
}
