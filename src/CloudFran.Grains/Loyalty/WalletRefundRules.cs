using CloudFran.Abstractions.Errors;
using CloudFran.Abstractions.Loyalty;

namespace CloudFran.Grains.Loyalty;

/// <summary>
/// Refund and dispute rules of the wallet, without I/O: what can still be refunded, whether the wallet may go
/// below zero, how Stripe's answer to a refund is read, and what each Stripe movement writes.
/// </summary>
public static class WalletRefundRules
{
    public const string LoadNotRefundable = "LOAD_NOT_REFUNDABLE";
    public const string RefundExceedsLoad = "REFUND_EXCEEDS_LOAD";
    public const string RefundRejected = "REFUND_REJECTED";
    public const string StripeUnavailable = "STRIPE_UNAVAILABLE";

    private static string Money(decimal amount) => WalletLoadRules.Money(amount);

    /// <summary>The load must be the member's and succeeded with a PaymentIntent.</summary>
    public static WalletLoadView Refundable(WalletLoadView? load, string memberId)
    {
        if (load is null || load.MemberId != memberId)
        {
            throw CloudFranException.NotFound("Wallet load");
        }
        if (load.Status != "succeeded" || load.PaymentIntentId is null)
        {
            throw new CloudFranException(ErrorKind.Conflict, LoadNotRefundable, $"Only a succeeded load can be refunded; this load is {load.Status}.");
        }
        return load;
    }

    /// <summary>The amount to refund: the request's, else the remainder; never more than what the card still holds.</summary>
    public static decimal Amount(WalletLoadView load, decimal taken, decimal? requested)
    {
        var remaining = load.Amount - taken;
        var amount = requested ?? remaining;
        if (remaining <= 0 || amount > remaining)
        {
            throw new CloudFranException(ErrorKind.Conflict, RefundExceedsLoad,
                $"At most {Money(Math.Max(0, remaining))} of this load ({Money(load.Amount)}) can still be refunded.",
                [new FieldError("amount", $"amount must be at most {Money(Math.Max(0, remaining))}.")]);
        }
        return amount;
    }

    /// <summary>Refused before Stripe is called when the refund would overdraw a program that forbids it.</summary>
    public static void CheckBalance(decimal wallet, decimal amount, bool allowNegative)
    {
        if (wallet - amount < 0 && !allowNegative)
        {
            throw new CloudFranException(ErrorKind.Conflict, LoyaltyErrors.InsufficientFunds,
                $"Refunding {Money(amount)} would take the wallet ({Money(wallet)}) below zero; "
                + "the program does not allow negative balances after refunds. Nothing was refunded.");
        }
    }

    /// <summary>The amount Stripe actually refunded, or the error to answer when it refused or could not be reached.</summary>
    public static decimal Refunded(RefundOutcome outcome, decimal amount)
    {
        switch (outcome.Status)
        {
            case "unavailable":
                throw new CloudFranException(ErrorKind.UpstreamFailed, StripeUnavailable,
                    "Stripe could not be reached or failed; the wallet was not debited. Retry with the same idempotency key.");
            case "rejected" when outcome.ErrorCode == "idempotency_error":
                throw LoyaltyErrors.KeyReused();
            case "rejected" or "failed" or "canceled":
                throw new CloudFranException(ErrorKind.Conflict, RefundRejected,
                    $"Stripe refused the refund ({outcome.ErrorCode ?? outcome.Status}): {outcome.ErrorMessage ?? "the refund failed."} The wallet was not debited.");
        }
        // Stripe replayed a refund made for the same key with another amount: record what Stripe actually refunded.
        return outcome.AmountCents != WalletLoadRules.Cents(amount) ? outcome.AmountCents / 100m : amount;
    }

    /// <summary>The ledger kind, description and event of a Stripe movement (refund, dispute, dispute_won) and its signed delta.</summary>
    public static (string LedgerKind, string Description, string EventType, decimal Delta) Movement(string kind, decimal amount) => kind switch
    {
        "refund" => ("wallet_refund", "Wallet load refunded to card", "wallet.refunded", -amount),
        "dispute" => ("wallet_dispute", "Wallet load disputed (chargeback)", "wallet.disputed", -amount),
        _ => ("wallet_dispute_won", "Dispute won: funds restored", "wallet.dispute_won", amount),
    };
}
