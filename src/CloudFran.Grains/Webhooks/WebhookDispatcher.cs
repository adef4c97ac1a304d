using System.Diagnostics;
using System.Text;
using CloudFran.Grains.Storage;
using CloudFran.Grains.Background;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CloudFran.Grains.Webhooks;

/// <summary>Wakes this node's webhook dispatcher early (redeliver, replay).</summary>
public sealed class WebhookDispatchSignal : Background.WakeSignal;

/// <summary>
/// Delivers outbox events to webhook endpoints, at least once, on every node: (1) fan-out turns each new
/// <c>outbox_events</c> row into one pending delivery per subscribed endpoint; (2) due deliveries are claimed with
/// <c>FOR UPDATE SKIP LOCKED</c> and a lease, POSTed with Standard Webhooks headers (<c>webhook-id</c> = the
/// event id, stable across retries), and rescheduled on failure per <see cref="WebhookOptions.RetrySchedule"/>.
/// </summary>
public sealed partial class WebhookDispatcher(
    PlatformDb db,
    IHttpClientFactory httpFactory,
    TimeProvider clock,
    WebhookDispatchSignal signal,
    IOptions<WebhookOptions> options,
    ILogger<WebhookDispatcher> logger) : PollingWorker(signal, logger)
{
    public const string HttpClientName = "webhooks";
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(60);

    protected override TimeSpan PollInterval => options.Value.PollInterval;

    public override async Task<int> RunOnceAsync(CancellationToken ct) => await FanOutAsync() + await DeliverDueAsync(ct);

    /// <summary>Creates pending deliveries for new events; returns how many events it processed.</summary>
    public async Task<int> FanOutAsync()
    {
        var now = clock.GetUtcNow();
        return await db.ScalarAsync<int>(
            """
            WITH ev AS (
                SELECT event_id, tenant_id, env, event_type FROM outbox_events
                 WHERE NOT fanned_out ORDER BY created_at LIMIT 500 FOR UPDATE SKIP LOCKED),
            ins AS (
                INSERT INTO webhook_deliveries (delivery_id, tenant_id, env, endpoint_id, event_id, status, next_attempt_at)
                SELECT 'dlv_' || substr(md5(e.event_id || '/' || w.endpoint_id), 1, 24), e.tenant_id, e.env, w.endpoint_id,
                       e.event_id, 'pending', @now
                  FROM ev e JOIN webhook_endpoints w
                    ON w.tenant_id = e.tenant_id AND w.env = e.env AND w.status <> 'disabled'
                   AND (w.events ? '*' OR w.events ? e.event_type OR w.events ? (split_part(e.event_type, '.', 1) || '.*'))
                ON CONFLICT (endpoint_id, event_id) DO NOTHING),
            upd AS (UPDATE outbox_events SET fanned_out = true WHERE event_id IN (SELECT event_id FROM ev) RETURNING 1)
            SELECT count(*)::int FROM upd
            """,
            ("now", now));
    }

    /// <summary>Claims due deliveries and sends them; returns how many it claimed.</summary>
    public async Task<int> DeliverDueAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var batch = await db.QueryAsync(
            """
            WITH due AS (
                SELECT delivery_id FROM webhook_deliveries
                 WHERE status = 'pending' AND next_attempt_at <= @now
                 ORDER BY next_attempt_at LIMIT 64 FOR UPDATE SKIP LOCKED),
            claimed AS (
                UPDATE webhook_deliveries d SET next_attempt_at = @lease, attempts = attempts + 1, updated_at = @now
                  FROM due WHERE d.delivery_id = due.delivery_id
                RETURNING d.delivery_id, d.endpoint_id, d.event_id, d.attempts)
            SELECT c.delivery_id, c.endpoint_id, c.attempts, w.url, w.secret, w.previous_secret, w.previous_secret_expires_at,
                   e.event_id, e.event_type, e.tenant_id, e.created_at, e.payload::text, w.format
              FROM claimed c
              JOIN webhook_endpoints w ON w.endpoint_id = c.endpoint_id
              JOIN outbox_events e ON e.event_id = c.event_id
            """,
            r => new Claimed(r.GetString(0), r.GetString(1), r.GetInt32(2), r.GetString(3), r.GetString(4),
                r.NullableString("previous_secret"), r.NullableTime("previous_secret_expires_at"), r.GetString(7), r.GetString(8),
                r.GetString(9), r.Time("created_at"), r.GetString(11), r.GetString(12)),
            ("now", now), ("lease", now + Lease));
        await Parallel.ForEachAsync(batch, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = ct },
            async (d, token) => await DeliverAsync(d, token));
        return batch.Count;
    }

    private async Task DeliverAsync(Claimed d, CancellationToken ct)
    {
        var createdAt = d.CreatedAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture);
        var (body, contentType) = d.Format == "form"
            ? (FormBody(d, createdAt), "application/x-www-form-urlencoded")
            : ($$"""{"id":{{Quote(d.EventId)}},"type":{{Quote(d.EventType)}},"created_at":{{Quote(createdAt)}},"tenant_id":{{Quote(d.TenantId)}},"data":{{d.Payload}}}""", "application/json");
        int? status = null;
        string? error = null;
        TimeSpan? retryAfter = null;
        var watch = Stopwatch.StartNew();
        if (await WebhookUrlGuard.CheckTargetAsync(d.Url, options.Value.AllowPrivateTargets, ct) is { } refused)
        {
            error = "Refused: " + refused;
        }
        else
        {
            var timestamp = clock.GetUtcNow().ToUnixTimeSeconds();
            var signature = StandardWebhooks.Sign(d.Secret, d.EventId, timestamp, body);
            if (d.PreviousSecret is not null && d.PreviousSecretExpiresAt > clock.GetUtcNow())
            {
                signature += " " + StandardWebhooks.Sign(d.PreviousSecret, d.EventId, timestamp, body);
            }
            using var request = new HttpRequestMessage(HttpMethod.Post, d.Url) { Content = new StringContent(body, Encoding.UTF8, contentType) };
            request.Headers.Add("webhook-id", d.EventId);
            request.Headers.Add("webhook-timestamp", timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
            request.Headers.Add("webhook-signature", signature);
            request.Headers.UserAgent.ParseAdd("CloudFran-Webhooks/1.0");
            try
            {
                using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
                cts.CancelAfter(options.Value.Timeout);
                using var response = await httpFactory.CreateClient(HttpClientName).SendAsync(request, cts.Token);
                status = (int)response.StatusCode;
                if (response.Headers.RetryAfter is { } ra && status is 429 or 502 or 503 or 504)
                {
                    retryAfter = ra.Delta ?? (ra.Date is { } date ? date - clock.GetUtcNow() : null);
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                error = e is TaskCanceledException ? "Timed out." : e.Message;
            }
        }
        var latency = (int)watch.ElapsedMilliseconds;
        await RecordAsync(d, status, error, retryAfter, latency);
    }

    private async Task RecordAsync(Claimed d, int? status, string? error, TimeSpan? retryAfter, int latency)
    {
        var now = clock.GetUtcNow();
        var succeeded = status is >= 200 and < 300;
        var gone = status == 410;
        var schedule = options.Value.RetrySchedule;
        var exhausted = d.Attempts > schedule.Length;
        string state;
        DateTimeOffset? next = null;
        if (succeeded)
        {
            state = "succeeded";
        }
        else if (gone || exhausted || error?.StartsWith("Refused", StringComparison.Ordinal) == true)
        {
            state = "failed";
        }
        else
        {
            state = "pending";
            var delay = retryAfter is { } ra && ra > TimeSpan.Zero ? ra : schedule[d.Attempts - 1];
            var jitter = TimeSpan.FromMilliseconds(delay.TotalMilliseconds * 0.1 * Random.Shared.NextDouble());
            next = now + delay + jitter;
        }
        await db.ExecuteAsync(
            """
            UPDATE webhook_deliveries SET status = @s, next_attempt_at = @next, last_status_code = @code, last_latency_ms = @lat,
                   last_error = @err, updated_at = @now
             WHERE delivery_id = @id
            """,
            ("s", state), ("next", next), ("code", status), ("lat", latency),
            ("err", error is null ? (succeeded ? null : $"HTTP {status}") : error.Length > 500 ? error[..500] : error),
            ("now", now), ("id", d.DeliveryId));
        if (gone)
        {
            await db.ExecuteAsync("UPDATE webhook_endpoints SET status = 'disabled', updated_at = @now WHERE endpoint_id = @id",
                ("now", now), ("id", d.EndpointId));
            LogDisabled(logger, d.EndpointId);
        }
        else if (state == "failed" && exhausted)
        {
            await db.ExecuteAsync("UPDATE webhook_endpoints SET status = 'failing', updated_at = @now WHERE endpoint_id = @id AND status = 'active'",
                ("now", now), ("id", d.EndpointId));
            LogFailing(logger, d.EndpointId, d.EventId);
        }
    }

    private static string Quote(string s) => System.Text.Json.JsonSerializer.Serialize(s);

    /// <summary>Key-value body (Push API "form" format): envelope fields plus data[field] per top-level data field.</summary>
    private static string FormBody(Claimed d, string createdAt)
    {
        var pairs = new List<KeyValuePair<string, string>>
        {
            new("id", d.EventId), new("type", d.EventType), new("created_at", createdAt), new("tenant_id", d.TenantId),
        };
        using var data = System.Text.Json.JsonDocument.Parse(d.Payload);
        if (data.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object)
        {
            foreach (var p in data.RootElement.EnumerateObject())
            {
                var value = p.Value.ValueKind switch
                {
                    System.Text.Json.JsonValueKind.String => p.Value.GetString()!,
                    System.Text.Json.JsonValueKind.Null => "",
                    _ => p.Value.GetRawText(),
                };
                pairs.Add(new($"data[{p.Name}]", value));
            }
        }
        return string.Join('&', pairs.Select(p => Uri.EscapeDataString(p.Key) + "=" + Uri.EscapeDataString(p.Value)));
    }

    private sealed record Claimed(string DeliveryId, string EndpointId, int Attempts, string Url, string Secret,
        string? PreviousSecret, DateTimeOffset? PreviousSecretExpiresAt, string EventId, string EventType, string TenantId,
        DateTimeOffset CreatedAt, string Payload, string Format);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook endpoint {EndpointId} answered 410 Gone and was disabled")]
    private static partial void LogDisabled(ILogger logger, string endpointId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Webhook endpoint {EndpointId} exhausted its retries for event {EventId}; marked failing")]
    private static partial void LogFailing(ILogger logger, string endpointId, string eventId);
}
