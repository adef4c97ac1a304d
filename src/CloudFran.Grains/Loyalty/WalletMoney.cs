using CloudFran.Abstractions.Errors;
using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Loyalty;
using CloudFran.Grains.Storage;
using Microsoft.Extensions.Logging;

namespace CloudFran.Grains.Loyalty;

/// <summary>
/// The stored-value operations of one wallet: spend, transfer steps, auto-reload, card top-ups (the only writer of
/// loyalty_wallet_loads), refunds to the card and Stripe refunds/disputes. Rules from <see cref="WalletLoadRules"/>
/// and <see cref="WalletRefundRules"/>; every balance change is one ledger entry through the grain's write path.
/// A top-up holds the gate to reserve and to credit, not while Stripe answers.
/// </summary>
internal sealed class WalletMoney(WalletGrain wallet, PlatformDb db, TimeProvider clock, StripePayments stripe, ILogger logger)
{
    private TenantScope Scope => wallet.Scope;
    private string MemberId => wallet.MemberId;

    public async Task<LedgerEntryView> SpendAsync(WalletSpendRequest request)
    {
        var fp = LedgerWriter.Fingerprint("spend", request.Amount, request.Reference, request.LocationId);
        var s = await wallet.StateAsync();
        if (request.Amount > s.Wallet)
        {
            return await wallet.ReplayOrThrowAsync(request.IdempotencyKey, fp, new CloudFranException(ErrorKind.Conflict, LoyaltyErrors.InsufficientFunds,
                $"The wallet holds {WalletLoadRules.Money(s.Wallet)}; {WalletLoadRules.Money(request.Amount)} is needed."));
        }
        var next = s with { Wallet = s.Wallet - request.Amount, LastActivity = clock.GetUtcNow() };
        return await DebitAsync(next, new LedgerChange("wallet_spend", 0, -request.Amount, request.IdempotencyKey, fp,
            request.Reference, request.LocationId, "Paid from wallet"));
    }

    public async Task<LedgerEntryView> TransferOutAsync(string transferId, string counterparty, long points, decimal amount, string key)
    {
        var fp = LedgerWriter.Fingerprint("xfer-out", transferId, counterparty, points, amount);
        var s = await wallet.StateAsync();
        if (points > s.Points)
        {
            return await wallet.ReplayOrThrowAsync(key, fp, new CloudFranException(ErrorKind.Conflict, LoyaltyErrors.InsufficientPoints,
                $"The sender has {s.Points} points; {points} are needed."));
        }
        if (amount > s.Wallet)
        {
            return await wallet.ReplayOrThrowAsync(key, fp, new CloudFranException(ErrorKind.Conflict, LoyaltyErrors.InsufficientFunds,
                $"The sender's wallet holds {WalletLoadRules.Money(s.Wallet)}."));
        }
        var next = s with { Points = s.Points - points, Wallet = s.Wallet - amount, LastActivity = clock.GetUtcNow() };
        return await DebitAsync(next, new LedgerChange("transfer_out", -points, -amount, key, fp, transferId, null, $"Transfer to {counterparty}"));
    }

    public async Task<LedgerEntryView> TransferInAsync(string transferId, string counterparty, long points, decimal amount, string key, string kind)
    {
        var fp = LedgerWriter.Fingerprint("xfer-in", transferId, counterparty, points, amount, kind);
        var s = await wallet.StateAsync();
        var next = s with { Points = s.Points + points, Wallet = s.Wallet + amount, LastActivity = clock.GetUtcNow() };
        var description = kind == "gift_redeem" ? $"Gift card {counterparty} redeemed" : $"Transfer from {counterparty}";
        return await wallet.WriteAsync(next, new LedgerChange(kind, points, amount, key, fp, transferId, null, description), null);
    }

    /// <summary>A wallet debit that, when it leaves the balance below the auto-reload threshold, records exactly one
    /// automatic reload in the same transaction (a partial unique index allows one in flight per member).</summary>
    private async Task<LedgerEntryView> DebitAsync(WalletState next, LedgerChange change)
    {
        string? reloadId = null;
        var wantsReload = WalletLoadRules.WantsAutoReload(next, change.AmountDelta);
        if (wantsReload)
        {
            var program = await wallet.ProgramAsync();
            if (!WalletLoadRules.WithinDailyLimit(await WalletLoads.LoadedTodayAsync(db, Scope, MemberId, clock.GetUtcNow()), next.ReloadAmount!.Value,
                    program.DailyStoredValueLimit))
            {
                WalletGrain.LogReloadOverLimit(logger, Scope.TenantId, MemberId);
                wantsReload = false;
            }
        }
        var entry = await wallet.WriteAsync(next, change, async (tx, e) =>
        {
            var id = Ids.New("wld");
            if (wantsReload && await WalletLoads.InsertAsync(tx, Scope, MemberId, id, next.ReloadAmount!.Value, next.PaymentMethod!, true,
                    $"auto:{e.EntryId}", e.CreatedAt))
            {
                reloadId = id;
            }
        });
        if (reloadId is not null)
        {
            wallet.Self.ProcessLoadAsync(reloadId).Ignore();
        }
        return entry;
    }

    // ------------------------------------------------------------------ card top-ups

    /// <summary>Reserve (under the gate), charge (outside it), record Stripe's answer and credit (under the gate).</summary>
    public async Task<WalletLoadView> LoadAsync(string loadId, WalletLoadRequest request)
    {
        var (load, paymentMethod) = await wallet.Serial(() => ReserveAsync(loadId, request));
        if (load.MemberId != request.MemberId || load.Amount != request.Amount)
        {
            throw LoyaltyErrors.KeyReused();
        }
        var result = load.Status is "succeeded" or "failed" ? load : await ChargeAsync(load, paymentMethod);
        return result.Status == "failed" ? throw WalletLoadRules.PaymentFailed(result) : result;
    }

    /// <summary>Sends a load not yet answered to Stripe again (auto-reloads, the sweep) with the same idempotency key.</summary>
    public async Task<WalletLoadView> ProcessLoadAsync(string loadId)
    {
        var row = await WalletLoads.ReadRowAsync(db, Scope, loadId);
        if (row is not { } found || found.View.MemberId != MemberId)
        {
            throw CloudFranException.NotFound("Wallet load");
        }
        return found.View.Status is "succeeded" or "failed" ? found.View : await ChargeAsync(found.View, found.PaymentMethod);
    }

    private async Task<(WalletLoadView Load, string? PaymentMethod)> ReserveAsync(string loadId, WalletLoadRequest request)
    {
        var s = await wallet.StateAsync();
        if (await WalletLoads.ReadRowAsync(db, Scope, loadId) is { } existing)
        {
            return existing;
        }
        var program = await wallet.ProgramAsync();
        var next = WalletLoadRules.WithLoadSettings(s, request);
        var now = WalletLoadRules.Stored(clock.GetUtcNow());
        var loadedToday = await WalletLoads.LoadedTodayAsync(db, Scope, MemberId, now);
        if (!WalletLoadRules.WithinDailyLimit(loadedToday, request.Amount, program.DailyStoredValueLimit))
        {
            throw WalletLoadRules.DailyLimitExceeded(loadedToday, request.Amount, program.DailyStoredValueLimit);
        }
        await using var tx = await db.BeginAsync();
        if (!await WalletLoads.InsertAsync(tx, Scope, MemberId, loadId, request.Amount, next.PaymentMethod!, false, request.IdempotencyKey, now))
        {
            await tx.RollbackAsync();
            return await WalletLoads.ReadRowAsync(db, Scope, loadId) ?? throw LoyaltyErrors.KeyReused();
        }
        if (!await WalletRows.SaveSettingsAsync(tx, Scope, MemberId, next, now))
        {
            wallet.Saved(null);
            throw new InvalidOperationException("The member row changed under its single writer.");
        }
        await tx.CommitAsync();
        wallet.Saved(next with { Version = next.Version + 1 });
        return (new WalletLoadView(loadId, MemberId, request.Amount, "usd", "pending", false, null, null, null, s.Wallet, now, request.IdempotencyKey),
            next.PaymentMethod);
    }

    private async Task<WalletLoadView> ChargeAsync(WalletLoadView load, string? paymentMethod)
    {
        var outcome = await stripe.ChargeAsync(load.LoadId, Scope.TenantId, Scope.EnvName, load.MemberId, load.Amount, paymentMethod ?? "",
            offSession: load.AutoReload);
        return await wallet.Serial(async () =>
        {
            var step = WalletLoadRules.AfterCharge(outcome);
            if (step == LoadStep.Credit)
            {
                return await CreditAsync(load, outcome.PaymentIntentId);
            }
            var (status, pi) = step switch
            {
                LoadStep.Fail => ("failed", outcome.PaymentIntentId),
                LoadStep.Processing => ("processing", outcome.PaymentIntentId),
                _ => ("pending", null),
            };
            await WalletLoads.SetAsync(db, Scope, load.LoadId, status, pi, step == LoadStep.Processing ? null : outcome.FailureCode,
                step == LoadStep.Processing ? null : outcome.FailureMessage, clock.GetUtcNow());
            return (await WalletLoads.ReadAsync(db, Scope, load.LoadId))!;
        });
    }

    /// <summary>A verified Stripe webhook about one of this member's loads.</summary>
    public async Task<WalletLoadView> ApplyPaymentEventAsync(string loadId, string paymentIntentId, string status, long amountCents, string? failureCode)
    {
        var load = await WalletLoads.ReadAsync(db, Scope, loadId);
        if (load is null || load.MemberId != MemberId)
        {
            throw CloudFranException.NotFound("Wallet load");
        }
        switch (WalletLoadRules.AfterPaymentEvent(load, paymentIntentId, status, amountCents))
        {
            case LoadStep.Credit:
                return await CreditAsync(load, paymentIntentId);
            case LoadStep.Fail:
                await WalletLoads.SetAsync(db, Scope, loadId, "failed", paymentIntentId, failureCode ?? status, "The payment failed.", clock.GetUtcNow());
                return (await WalletLoads.ReadAsync(db, Scope, loadId))!;
            default:
                return load.Status is "succeeded" or "failed" ? load : (await WalletLoads.ReadAsync(db, Scope, loadId))!;
        }
    }

    /// <summary>Credits a succeeded load once (ledger key <c>load:{loadId}</c>) and marks it succeeded in the same transaction.</summary>
    private async Task<WalletLoadView> CreditAsync(WalletLoadView load, string? paymentIntentId)
    {
        var s = await wallet.StateAsync();
        var now = clock.GetUtcNow();
        var next = s with { Wallet = s.Wallet + load.Amount, LastActivity = now };
        var entry = await wallet.WriteAsync(next,
            new LedgerChange("wallet_load", 0, load.Amount, $"load:{load.LoadId}", LedgerWriter.Fingerprint("load", load.LoadId, load.Amount),
                load.LoadId, null, "Wallet loaded by card"),
            async (tx, e) =>
            {
                await WalletEvents.FundsLoadedAsync(tx, Scope, MemberId, load.LoadId, load.Amount, e);
                await WalletLoads.SetSucceededAsync(tx, Scope, load.LoadId, paymentIntentId, now);
            },
            afterReplay: () => WalletLoads.SetAsync(db, Scope, load.LoadId, "succeeded", paymentIntentId, null, null, now));
        return entry.Replayed
            ? (await WalletLoads.ReadAsync(db, Scope, load.LoadId))!
            : load with
            {
                Status = "succeeded", PaymentIntentId = paymentIntentId ?? load.PaymentIntentId, FailureCode = null, FailureMessage = null,
                WalletBalance = entry.WalletBalance,
            };
    }

    // ------------------------------------------------------------------ refunds and disputes

    /// <summary>
    /// Runs under the wallet's gate from the balance check to the debit, Stripe call included, so nothing can spend
    /// the funds in between and a charge.refunded webhook for this refund waits until the debit is committed.
    /// </summary>
    public async Task<WalletRefundView> RefundLoadAsync(WalletRefundRequest request)
    {
        var fp = LedgerWriter.Fingerprint("wallet-refund", request.LoadId, request.Amount, request.Reason);
        var s = await wallet.StateAsync();
        if (await WalletRefunds.FindAsync(db, Scope, "r.load_id = @l AND r.idempotency_key = @k", ("l", request.LoadId), ("k", request.IdempotencyKey))
            is { } first)
        {
            return first.Fingerprint == fp ? first.View with { Replayed = true } : throw LoyaltyErrors.KeyReused();
        }
        var load = WalletRefundRules.Refundable(await WalletLoads.ReadAsync(db, Scope, request.LoadId), MemberId);
        var amount = WalletRefundRules.Amount(load, await WalletRefunds.TakenAsync(db, Scope, load.LoadId), request.Amount);
        var program = await wallet.ProgramAsync();
        WalletRefundRules.CheckBalance(s.Wallet, amount, program.AllowNegativeBalanceAfterRefund);
        var refundKey = LoyaltyIds.FromKey("wrf", $"{Scope}|{load.LoadId}|{request.IdempotencyKey}");
        // Answer well inside the grain call's 30 s response timeout: a slow Stripe is "unavailable" (502) and the retry
        // with the same key gets whatever Stripe did.
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var outcome = await stripe.RefundAsync(refundKey, load.PaymentIntentId!, amount, Scope.TenantId, Scope.EnvName, MemberId, load.LoadId,
            deadline.Token);
        amount = WalletRefundRules.Refunded(outcome, amount);
        return await RecordStripeMovementAsync("refund", outcome.RefundId!, load.LoadId, amount, "api", request.Reason, request.IdempotencyKey, fp);
    }

    public async Task<WalletRefundView?> ApplyStripeAdjustmentAsync(StripeAdjustment a)
    {
        await wallet.StateAsync();
        var load = await WalletLoads.ReadAsync(db, Scope, a.LoadId);
        if (load is null || load.MemberId != MemberId)
        {
            return null;
        }
        var amount = a.AmountCents / 100m;
        switch (a.Kind)
        {
            case "refund" when a.Cumulative:
                amount -= await WalletRefunds.RefundedAsync(db, Scope, load.LoadId);
                break;
            case "dispute_won":
                // Credit back only what was debited for this dispute.
                if (await WalletRefunds.FindAsync(db, Scope, "r.stripe_id = @s AND r.kind = 'dispute'", ("s", a.StripeId)) is not { } opened)
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
        var s = await wallet.StateAsync();
        var (ledgerKind, description, eventType, delta) = WalletRefundRules.Movement(kind, amount);
        var next = s with { Wallet = s.Wallet + delta, LastActivity = clock.GetUtcNow() };
        var change = new LedgerChange(ledgerKind, 0, delta, $"stripe-{kind}:{stripeId}", LedgerWriter.Fingerprint("stripe", kind, stripeId, loadId),
            loadId, null, description);
        var written = await wallet.WriteAsync(next, change, async (tx, e) =>
        {
            await WalletRefunds.InsertAsync(tx, Scope, stripeId, kind, loadId, MemberId, amount, source, reason, idempotencyKey, fingerprint,
                e.EntryId, e.CreatedAt);
            await WalletEvents.StripeMovementAsync(tx, Scope, eventType, MemberId, loadId, amount, stripeId, source, reason, e);
        });
        if (idempotencyKey is not null)
        {
            // The webhook recorded this Stripe refund first (e.g. after a crash between Stripe and the debit): attach our key to it.
            await WalletRefunds.AttachKeyAsync(db, Scope, stripeId, kind, idempotencyKey, fingerprint, reason);
        }
        var stored = await WalletRefunds.FindAsync(db, Scope, "r.stripe_id = @s AND r.kind = @k", ("s", stripeId), ("k", kind));
        return stored!.Value.View with { Replayed = written.Replayed };
    }
}
