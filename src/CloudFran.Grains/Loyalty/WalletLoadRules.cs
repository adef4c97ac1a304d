using System.Globalization;
using CloudFran.Abstractions.Errors;
using CloudFran.Abstractions.Loyalty;

namespace CloudFran.Grains.Loyalty;

/// <summary>What a wallet load does next, decided from what Stripe said (a charge's outcome or a signed webhook).</summary>
public enum LoadStep
{
    /// <summary>Nothing to change: the load is already succeeded or failed, or the event says nothing final.</summary>
    None,
    /// <summary>Stripe says succeeded: credit the wallet (once, ledger key <c>load:{loadId}</c>) and mark the load succeeded.</summary>
    Credit,
    /// <summary>The payment failed: mark the load failed, never credit.</summary>
    Fail,
    /// <summary>Stripe is still confirming: the load is processing (the webhook or the sweep completes it).</summary>
    Processing,
    /// <summary>Stripe could not be reached: the load stays pending; the sweep retries with the same idempotency key.</summary>
    Pending,
}

/// <summary>Stored-value rules of the wallet, without I/O: load settings, the daily limit, auto-reload, Stripe answers.</summary>
public static class WalletLoadRules
{
    public static string Money(decimal amount) => amount.ToString("0.00", CultureInfo.InvariantCulture);

    /// <summary>The member's settings after a load request: the payment method used (saved) and the auto-reload rule.</summary>
    public static WalletState WithLoadSettings(WalletState s, WalletLoadRequest request)
    {
        var paymentMethod = request.PaymentMethodId ?? s.PaymentMethod
            ?? throw CloudFranException.Invalid("paymentMethodId", "paymentMethodId is required (no saved payment method).");
        return s with
        {
            PaymentMethod = paymentMethod,
            ReloadThreshold = request.DisableAutoReload ? null : request.AutoReload?.Threshold ?? s.ReloadThreshold,
            ReloadAmount = request.DisableAutoReload ? null : request.AutoReload?.ReloadAmount ?? s.ReloadAmount,
        };
    }

    /// <summary>True when loading <paramref name="amount"/> keeps the day's loads within the program's limit.</summary>
    public static bool WithinDailyLimit(decimal loadedToday, decimal amount, decimal limit) => loadedToday + amount <= limit;

    public static CloudFranException DailyLimitExceeded(decimal loadedToday, decimal amount, decimal limit) =>
        new(ErrorKind.Conflict, LoyaltyErrors.DailyLimitExceeded,
            $"Loading {Money(amount)} would exceed the daily stored-value limit of {Money(limit)} ({Money(loadedToday)} loaded today).");

    /// <summary>A debit that leaves the balance below the member's threshold starts an automatic reload (if one is set up).</summary>
    public static bool WantsAutoReload(WalletState next, decimal amountDelta) =>
        amountDelta < 0 && next.ReloadThreshold is { } threshold && next.ReloadAmount is not null && next.PaymentMethod is not null
        && next.Wallet < threshold;

    /// <summary>The step after charging the card.</summary>
    public static LoadStep AfterCharge(PaymentOutcome outcome) => outcome.Status switch
    {
        "succeeded" => LoadStep.Credit,
        "failed" => LoadStep.Fail,
        "processing" => LoadStep.Processing,
        _ => LoadStep.Pending,
    };

    /// <summary>
    /// The step for a verified webhook about <paramref name="load"/>'s PaymentIntent. Throws when the event does not
    /// belong to the load (another PaymentIntent, another amount).
    /// </summary>
    public static LoadStep AfterPaymentEvent(WalletLoadView load, string paymentIntentId, string status, long amountCents)
    {
        if (load.PaymentIntentId is not null && load.PaymentIntentId != paymentIntentId)
        {
            throw CloudFranException.Invalid("data.object.id", "The PaymentIntent does not belong to this wallet load.");
        }
        if (load.Status is "succeeded" or "failed")
        {
            return LoadStep.None;
        }
        if (status == "succeeded")
        {
            return amountCents == Cents(load.Amount)
                ? LoadStep.Credit
                : throw CloudFranException.Invalid("data.object.amount", "The PaymentIntent amount does not match the wallet load.");
        }
        return status is "requires_payment_method" or "canceled" or "payment_failed" ? LoadStep.Fail : LoadStep.None;
    }

    public static long Cents(decimal amount) => (long)decimal.Round(amount * 100m);

    /// <summary>402 PAYMENT_FAILED for a load Stripe declined.</summary>
    public static CloudFranException PaymentFailed(WalletLoadView load) =>
        new(ErrorKind.PaymentRequired, LoyaltyErrors.PaymentFailed,
            $"The payment failed ({load.FailureCode}): {load.FailureMessage} The wallet was not credited.",
            [new FieldError("paymentMethodId", load.FailureMessage ?? "The payment failed.")]);

    /// <summary>A time as PostgreSQL stores it (microseconds), so a view built in memory equals the row read back.</summary>
    public static DateTimeOffset Stored(DateTimeOffset t) => new(t.UtcTicks - t.UtcTicks % 10, TimeSpan.Zero);
}
