using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CloudFran.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace CloudFran.Tests.Loyalty;

/// <summary>
/// Stripe's PaymentIntents resource on 127.0.0.1 in its wire format: form-encoded POST /v1/payment_intents with
/// Bearer secret key and Idempotency-Key; answers a payment_intent object (or a card_error), and replays the first
/// answer for a repeated Idempotency-Key like Stripe does. The payment method picks the outcome:
/// pm_card_visa → succeeded, pm_card_chargeDeclined → requires_payment_method (declined),
/// pm_card_processing → processing (the webhook completes it later).
/// Refunds: form-encoded POST /v1/refunds (payment_intent, amount in cents, metadata) answers a refund object
/// (re_…) or Stripe's errors (amount above what is left → 400 charge_already_refunded; same Idempotency-Key with
/// other parameters → 400 idempotency_error); <see cref="RefundMode"/> per PaymentIntent simulates a failed refund
/// ("failed"), an outage ("outage": 503 before Stripe processed anything, nothing saved for the key) or a lost
/// answer ("lost_response": the refund is made and saved for the key, but every answer is a 503 until the mode changes).
/// </summary>
public sealed class FakeStripe : IAsyncDisposable
{
    public const string SecretKey = "sk_test_fakeStripeKey000000000000";
    public const string WebhookSecret = "whsec_test_loyalty_webhook_secret";
    private readonly LocalHttpServer _server;
    private readonly ConcurrentDictionary<string, (int Status, string Body)> _replays = new();
    private int _sequence;

    private FakeStripe(LocalHttpServer server)
    {
        _server = server;
        server.Handler = HandleAsync;
    }

    public string BaseUrl => _server.BaseUrl;
    public IEnumerable<RecordedRequest> PaymentIntentRequests => _server.Requests.Where(r => r.Path == "/v1/payment_intents");
    public ConcurrentDictionary<string, JsonElement> Intents { get; } = new();
    public IEnumerable<RecordedRequest> RefundRequests => _server.Requests.Where(r => r.Path == "/v1/refunds");
    public ConcurrentDictionary<string, JsonElement> Refunds { get; } = new();
    public ConcurrentDictionary<string, string> RefundMode { get; } = new();
    private readonly ConcurrentDictionary<string, string> _replayParameters = new();
    private readonly object _refundLock = new();

    public static async Task<FakeStripe> StartAsync() => new(await LocalHttpServer.StartAsync());

    private async Task HandleAsync(RecordedRequest request, HttpResponse response)
    {
        response.ContentType = "application/json";
        if (request.Method == "POST" && request.Path == "/v1/refunds" && request.Headers.GetValueOrDefault("authorization") == $"Bearer {SecretKey}")
        {
            var (code, json) = Refund(request);
            response.StatusCode = code;
            await response.WriteAsync(json);
            return;
        }
        if (request.Method != "POST" || request.Path != "/v1/payment_intents")
        {
            response.StatusCode = 404;
            await response.WriteAsync("""{"error":{"type":"invalid_request_error","message":"Unrecognized request URL."}}""");
            return;
        }
        if (request.Headers.GetValueOrDefault("authorization") != $"Bearer {SecretKey}")
        {
            response.StatusCode = 401;
            await response.WriteAsync("""{"error":{"type":"invalid_request_error","message":"Invalid API Key provided."}}""");
            return;
        }
        var key = request.Headers.GetValueOrDefault("idempotency-key");
        if (key is not null && _replays.TryGetValue(key, out var replay))
        {
            response.StatusCode = replay.Status;
            response.Headers["Idempotent-Replayed"] = "true";
            await response.WriteAsync(replay.Body);
            return;
        }
        var amount = long.Parse(request.FormValue("amount") ?? "0", CultureInfo.InvariantCulture);
        var method = request.FormValue("payment_method") ?? "";
        var status = method switch
        {
            "pm_card_chargeDeclined" => "requires_payment_method",
            "pm_card_processing" => "processing",
            _ => "succeeded",
        };
        var id = $"pi_fake{Interlocked.Increment(ref _sequence):D20}";
        var metadata = request.Form.Where(p => p.Key.StartsWith("metadata[", StringComparison.Ordinal))
            .ToDictionary(p => p.Key["metadata[".Length..^1], p => p.Value);
        var body = IntentJson(id, amount, request.FormValue("currency") ?? "usd", status, method, metadata);
        Intents[id] = JsonDocument.Parse(body).RootElement.Clone();
        if (key is not null)
        {
            _replays[key] = (200, body);
        }
        response.StatusCode = 200;
        await response.WriteAsync(body);
    }

    private (int Status, string Body) Refund(RecordedRequest request)
    {
        var pi = request.FormValue("payment_intent") ?? "";
        var key = request.Headers.GetValueOrDefault("idempotency-key");
        var parameters = string.Join('&', request.Form.Select(p => $"{p.Key}={p.Value}"));
        lock (_refundLock)
        {
            var lost = (503, Error("api_error", null, "Service unavailable."));
            if (key is not null && _replays.TryGetValue(key, out var replay))
            {
                if (RefundMode.GetValueOrDefault(pi) == "lost_response") return lost;
                return _replayParameters.GetValueOrDefault(key) == parameters
                    ? replay
                    : (400, Error("idempotency_error", null, $"Keys for idempotent requests can only be used with the same parameters they were first used with."));
            }
            if (RefundMode.GetValueOrDefault(pi) == "outage")
            {
                return (503, Error("api_error", null, "Service unavailable."));
            }
            (int, string) answer;
            if (!Intents.TryGetValue(pi, out var intent) || intent.GetProperty("status").GetString() != "succeeded")
            {
                answer = (400, Error("invalid_request_error", "resource_missing", $"No such payment_intent: '{pi}'"));
            }
            else
            {
                var charged = intent.GetProperty("amount").GetInt64();
                var refunded = Refunds.Values.Where(r => r.GetProperty("payment_intent").GetString() == pi && r.GetProperty("status").GetString() != "failed")
                    .Sum(r => r.GetProperty("amount").GetInt64());
                var amount = request.FormValue("amount") is { } a ? long.Parse(a, CultureInfo.InvariantCulture) : charged - refunded;
                if (amount <= 0 || amount > charged - refunded)
                {
                    answer = (400, Error("invalid_request_error", "charge_already_refunded",
                        $"Refund amount ({amount}) is greater than unrefunded amount on charge ({charged - refunded})."));
                }
                else
                {
                    var id = $"re_fake{Interlocked.Increment(ref _sequence):D20}";
                    var status = RefundMode.GetValueOrDefault(pi) == "failed" ? "failed" : "succeeded";
                    var metadata = request.Form.Where(p => p.Key.StartsWith("metadata[", StringComparison.Ordinal))
                        .ToDictionary(p => p.Key["metadata[".Length..^1], p => p.Value);
                    var body = RefundJson(id, pi, amount, status, metadata);
                    Refunds[id] = JsonDocument.Parse(body).RootElement.Clone();
                    answer = (200, body);
                }
            }
            if (key is not null)
            {
                _replays[key] = answer;
                _replayParameters[key] = parameters;
            }
            return RefundMode.GetValueOrDefault(pi) == "lost_response" ? lost : answer;
        }
    }

    private static string Error(string type, string? code, string message) =>
        JsonSerializer.Serialize(new { error = new { type, code, message } });

    public static string RefundJson(string id, string paymentIntentId, long amount, string status, Dictionary<string, string>? metadata = null) =>
        JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["id"] = id, ["object"] = "refund", ["amount"] = amount, ["currency"] = "usd", ["status"] = status,
            ["payment_intent"] = paymentIntentId, ["charge"] = "ch_" + paymentIntentId[3..], ["reason"] = null,
            ["created"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(), ["metadata"] = metadata ?? new Dictionary<string, string>(),
            ["failure_reason"] = status == "failed" ? "expired_or_canceled_card" : null,
        });

    /// <summary>The charge of a PaymentIntent as charge.refunded carries it; <paramref name="refunds"/> null leaves the list out
    /// (recent API versions do not expand it), so only amount_refunded tells what was refunded.</summary>
    public static string ChargeJson(string paymentIntentId, long amount, long amountRefunded, IEnumerable<(string Id, long Amount)>? refunds) =>
        JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["id"] = "ch_" + paymentIntentId[3..], ["object"] = "charge", ["amount"] = amount, ["amount_captured"] = amount,
            ["amount_refunded"] = amountRefunded, ["refunded"] = amountRefunded == amount, ["currency"] = "usd", ["status"] = "succeeded",
            ["paid"] = true, ["captured"] = true, ["payment_intent"] = paymentIntentId, ["livemode"] = false,
            ["created"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(), ["metadata"] = new Dictionary<string, string>(),
            ["refunds"] = refunds is null ? null : new Dictionary<string, object?>
            {
                ["object"] = "list", ["has_more"] = false, ["url"] = $"/v1/charges/ch_{paymentIntentId[3..]}/refunds",
                ["data"] = refunds.Select(r => JsonDocument.Parse(RefundJson(r.Id, paymentIntentId, r.Amount, "succeeded")).RootElement).ToList(),
            },
        });

    public static string DisputeJson(string id, string paymentIntentId, long amount, string status) =>
        JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["id"] = id, ["object"] = "dispute", ["amount"] = amount, ["currency"] = "usd", ["status"] = status, ["reason"] = "fraudulent",
            ["charge"] = "ch_" + paymentIntentId[3..], ["payment_intent"] = paymentIntentId, ["livemode"] = false, ["is_charge_refundable"] = false,
            ["created"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(), ["metadata"] = new Dictionary<string, string>(),
        });

    /// <summary>A Stripe event envelope around any object's JSON.</summary>
    public static string EventJson(string type, string objectJson) => EventJson(type, JsonDocument.Parse(objectJson).RootElement);

    public static string IntentJson(string id, long amount, string currency, string status, string method, Dictionary<string, string> metadata) =>
        JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["id"] = id, ["object"] = "payment_intent", ["amount"] = amount, ["amount_received"] = status == "succeeded" ? amount : 0,
            ["currency"] = currency, ["status"] = status, ["payment_method"] = method, ["livemode"] = false,
            ["created"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(), ["capture_method"] = "automatic", ["confirmation_method"] = "automatic",
            ["client_secret"] = id + "_secret_fake", ["metadata"] = metadata,
            ["last_payment_error"] = status == "requires_payment_method"
                ? new Dictionary<string, object?>
                {
                    ["type"] = "card_error", ["code"] = "card_declined", ["decline_code"] = "generic_decline", ["message"] = "Your card was declined.",
                }
                : null,
        });

    /// <summary>A Stripe event envelope around a PaymentIntent, as Stripe posts it to webhook endpoints.</summary>
    public static string EventJson(string type, JsonElement intent) =>
        JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["id"] = "evt_fake" + Guid.NewGuid().ToString("N")[..20], ["object"] = "event", ["api_version"] = Stripe.StripeConfiguration.ApiVersion,
            ["created"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(), ["type"] = type, ["livemode"] = false, ["pending_webhooks"] = 1,
            ["data"] = new Dictionary<string, object?> { ["object"] = intent },
            ["request"] = new Dictionary<string, object?> { ["id"] = null, ["idempotency_key"] = null },
        });

    /// <summary>Stripe-Signature: t=…,v1=hex(HMAC-SHA256(secret, "{t}.{body}")).</summary>
    public static string Sign(string body, string secret = WebhookSecret, DateTimeOffset? at = null)
    {
        var t = (at ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{t}.{body}"));
        return $"t={t},v1={Convert.ToHexStringLower(mac)}";
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
