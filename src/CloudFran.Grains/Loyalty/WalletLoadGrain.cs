using CloudFran.Abstractions.Errors;
using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Loyalty;
using CloudFran.Grains.Storage;
using Npgsql;

namespace CloudFran.Grains.Loyalty;

/// <summary>
/// See <see cref="IWalletLoadGrain"/>. A load is reserved by the member's wallet (daily limit, settings), charged
/// through Stripe with the load id as idempotency key, and credited to the wallet under the ledger key
/// <c>load:{loadId}</c> only once Stripe says succeeded — synchronously or through the signed webhook, whichever
/// comes first; the other finds the credit already there.
/// </summary>
public sealed class WalletLoadGrain(PlatformDb db, TimeProvider clock, StripePayments stripe) : Grain, IWalletLoadGrain
{
    private const string Columns =
        "load_id, member_id, amount, currency, status, auto_reload, payment_intent_id, failure_code, failure_message, created_at, idempotency_key, payment_method_id";

    private TenantScope _scope;
    private string _loadId = "";

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var key = this.GetPrimaryKeyString();
        var cut = key.LastIndexOf('/');
        (_scope, _loadId) = (TenantScope.Parse(key[..cut]), key[(cut + 1)..]);
        return Task.CompletedTask;
    }

    public static async Task<WalletLoadView?> ReadAsync(PlatformDb db, TenantScope scope, string loadId) =>
        (await ReadRowAsync(db, scope, loadId))?.View;

    private static async Task<(WalletLoadView View, string? PaymentMethod)?> ReadRowAsync(PlatformDb db, TenantScope scope, string loadId)
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

    public async Task<WalletLoadView> StartAsync(WalletLoadRequest request)
    {
        var reserved = await GrainFactory.GetWallet(_scope, request.MemberId).ReserveLoadAsync(_loadId, request);
        if (reserved.MemberId != request.MemberId || reserved.Amount != request.Amount)
        {
            throw LoyaltyErrors.KeyReused();
        }
        var result = await ProcessAsync();
        if (result.Status == "failed")
        {
            throw new CloudFranException(ErrorKind.PaymentRequired, LoyaltyErrors.PaymentFailed,
                $"The payment failed ({result.FailureCode}): {result.FailureMessage} The wallet was not credited.",
                [new FieldError("paymentMethodId", result.FailureMessage ?? "The payment failed.")]);
        }
        return result;
    }

    public async Task<WalletLoadView> ProcessAsync()
    {
        var row = await ReadRowAsync(db, _scope, _loadId) ?? throw CloudFranException.NotFound("Wallet load");
        var load = row.View;
        if (load.Status is "succeeded" or "failed")
        {
            return load;
        }
        var outcome = await stripe.ChargeAsync(_loadId, _scope.TenantId, _scope.EnvName, load.MemberId, load.Amount, row.PaymentMethod ?? "",
            offSession: load.AutoReload);
        switch (outcome.Status)
        {
            case "succeeded":
                await SetAsync("processing", outcome.PaymentIntentId, null, null);
                return await CreditAsync(load);
            case "failed":
                await SetAsync("failed", outcome.PaymentIntentId, outcome.FailureCode, outcome.FailureMessage);
                break;
            case "processing":
                await SetAsync("processing", outcome.PaymentIntentId, null, null);
                break;
            default:
                // Stripe unreachable: stays pending; the recovery sweep retries with the same idempotency key.
                await SetAsync("pending", null, outcome.FailureCode, outcome.FailureMessage);
                break;
        }
        return (await ReadAsync(db, _scope, _loadId))!;
    }

    public async Task<WalletLoadView> ApplyPaymentEventAsync(string paymentIntentId, string status, long amountCents, string? failureCode)
    {
        var load = await ReadAsync(db, _scope, _loadId) ?? throw CloudFranException.NotFound("Wallet load");
        if (load.PaymentIntentId is not null && load.PaymentIntentId != paymentIntentId)
        {
            throw CloudFranException.Invalid("data.object.id", "The PaymentIntent does not belong to this wallet load.");
        }
        if (load.Status is "succeeded" or "failed")
        {
            return load;
        }
        if (status == "succeeded")
        {
            if (amountCents != (long)decimal.Round(load.Amount * 100m))
            {
                throw CloudFranException.Invalid("data.object.amount", "The PaymentIntent amount does not match the wallet load.");
            }
            await SetAsync("processing", paymentIntentId, null, null);
            return await CreditAsync(load);
        }
        if (status is "requires_payment_method" or "canceled" or "payment_failed")
        {
            await SetAsync("failed", paymentIntentId, failureCode ?? status, "The payment failed.");
        }
        return (await ReadAsync(db, _scope, _loadId))!;
    }

    private async Task<WalletLoadView> CreditAsync(WalletLoadView load)
    {
        await GrainFactory.GetWallet(_scope, load.MemberId).CreditLoadAsync(_loadId, load.Amount);
        await SetAsync("succeeded", null, null, null);
        return (await ReadAsync(db, _scope, _loadId))!;
    }

    private Task SetAsync(string status, string? paymentIntentId, string? code, string? message) =>
        db.ExecuteAsync(
            """
            UPDATE loyalty_wallet_loads SET status = @s, payment_intent_id = coalesce(@pi, payment_intent_id), failure_code = @code,
                   failure_message = @msg, updated_at = @now
             WHERE tenant_id = @t AND env = @e AND load_id = @id AND status NOT IN ('succeeded', 'failed')
            """,
            ("s", status), ("pi", paymentIntentId), ("code", code), ("msg", message), ("now", clock.GetUtcNow()),
            ("t", _scope.TenantId), ("e", _scope.EnvName), ("id", _loadId));
}
