using Stripe;

namespace CloudFran.Grains.Loyalty;

/// <summary>Stripe settings: CLOUDFRAN_STRIPE_SECRET_KEY, CLOUDFRAN_STRIPE_BASE_URL (a local server in tests). The webhook
/// secret (CLOUDFRAN_STRIPE_WEBHOOK_SECRET) is Web's: it verifies Stripe-Signature before an event reaches a grain.</summary>
public sealed class StripeOptions
{
    public string SecretKey { get; set; } = "sk_test_unconfigured";
    public string? BaseUrl { get; set; }
    public string Currency { get; set; } = "usd";
}

/// <summary>The outcome of creating and confirming one PaymentIntent.</summary>
public sealed record PaymentOutcome(string? PaymentIntentId, string Status, string? FailureCode, string? FailureMessage, bool Retryable);

/// <summary>The outcome of creating one Refund: Status is Stripe's (succeeded, pending, failed, canceled…), or
/// "rejected" (Stripe answered 4xx; ErrorCode idempotency_error when the key was used with other parameters) or
/// "unavailable" (network error, timeout or 5xx: unknown outcome, retry with the same key).</summary>
public sealed record RefundOutcome(string? RefundId, string Status, long AmountCents, string? ErrorCode, string? ErrorMessage);

/// <summary>
/// Wallet top-ups through Stripe PaymentIntents (Stripe.net, base URL configurable). The idempotency key is the
/// load id, so a retry after a crash or a timeout replays Stripe's first answer instead of charging twice.
/// </summary>
public sealed class StripePayments
{
    private readonly StripeClient _client;
    private readonly StripeOptions _options;

    public StripePayments(Microsoft.Extensions.Options.IOptions<StripeOptions> options, IHttpClientFactory httpClients)
    {
        _options = options.Value;
        var http = new SystemNetHttpClient(httpClients.CreateClient(nameof(StripePayments)), maxNetworkRetries: 1);
        _client = new StripeClient(new StripeClientOptions
        {
            ApiKey = _options.SecretKey,
            ApiBase = _options.BaseUrl is { Length: > 0 } b ? b.TrimEnd('/') : null,
            HttpClient = http,
        });
    }

    public async Task<PaymentOutcome> ChargeAsync(string loadId, string tenantId, string env, string memberId, decimal amount,
        string paymentMethodId, bool offSession, CancellationToken ct = default)
    {
        var options = new PaymentIntentCreateOptions
        {
            Amount = (long)decimal.Round(amount * 100m),
            Currency = _options.Currency,
            PaymentMethod = paymentMethodId,
            Confirm = true,
            OffSession = offSession ? true : null,
            AutomaticPaymentMethods = new PaymentIntentAutomaticPaymentMethodsOptions { Enabled = true, AllowRedirects = "never" },
            Description = "Wallet top-up",
            Metadata = new Dictionary<string, string>
            {
                ["cf_tenant_id"] = tenantId, ["cf_env"] = env, ["cf_member_id"] = memberId, ["cf_load_id"] = loadId,
            },
        };
        try
        {
            var intent = await _client.V1.PaymentIntents.CreateAsync(options, new RequestOptions { IdempotencyKey = $"cf-wallet-load-{loadId}" }, ct);
            return intent.Status switch
            {
                "succeeded" => new PaymentOutcome(intent.Id, "succeeded", null, null, false),
                "requires_payment_method" or "canceled" => new PaymentOutcome(intent.Id, "failed",
                    intent.LastPaymentError?.Code ?? intent.Status, intent.LastPaymentError?.Message ?? "The payment was declined.", false),
                _ => new PaymentOutcome(intent.Id, "processing", null, null, false),
            };
        }
        catch (StripeException e) when (e.HttpStatusCode is System.Net.HttpStatusCode.PaymentRequired or System.Net.HttpStatusCode.BadRequest)
        {
            // Card errors (402) and invalid requests (400) are final answers: Stripe replays them for this key.
            return new PaymentOutcome(e.StripeError?.PaymentIntent?.Id, "failed", e.StripeError?.DeclineCode ?? e.StripeError?.Code ?? "card_error",
                e.StripeError?.Message ?? e.Message, false);
        }
        catch (Exception e) when (e is StripeException or HttpRequestException or TaskCanceledException)
        {
            return new PaymentOutcome(null, "pending", "stripe_unavailable", e.Message, true);
        }
    }

    /// <summary>
    /// Refunds <paramref name="amount"/> of a load's PaymentIntent. The Stripe idempotency key is derived from the
    /// refund's own id (itself derived from the caller's key), so retrying after a timeout or a crash gets Stripe's
    /// first answer back instead of a second refund.
    /// </summary>
    public async Task<RefundOutcome> RefundAsync(string refundKey, string paymentIntentId, decimal amount, string tenantId, string env,
        string memberId, string loadId, CancellationToken ct = default)
    {
        var options = new RefundCreateOptions
        {
            PaymentIntent = paymentIntentId,
            Amount = (long)decimal.Round(amount * 100m),
            Metadata = new Dictionary<string, string>
            {
                ["cf_tenant_id"] = tenantId, ["cf_env"] = env, ["cf_member_id"] = memberId, ["cf_load_id"] = loadId,
            },
        };
        try
        {
            var refund = await _client.V1.Refunds.CreateAsync(options, new RequestOptions { IdempotencyKey = $"cf-wallet-refund-{refundKey}" }, ct);
            return new RefundOutcome(refund.Id, refund.Status ?? "pending", refund.Amount, refund.FailureReason, null);
        }
        catch (StripeException e) when ((int)e.HttpStatusCode is >= 400 and < 500 and not 409 and not 429)
        {
            return new RefundOutcome(null, "rejected", 0, e.StripeError?.Type == "idempotency_error" ? "idempotency_error" : e.StripeError?.Code ?? "invalid_request",
                e.StripeError?.Message ?? e.Message);
        }
        catch (Exception e) when (e is StripeException or HttpRequestException or TaskCanceledException)
        {
            return new RefundOutcome(null, "unavailable", 0, "stripe_unavailable", e.Message);
        }
    }
}
