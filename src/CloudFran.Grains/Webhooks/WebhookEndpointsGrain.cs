using System.Text.Json;
using CloudFran.Abstractions.Errors;
using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Email;
using CloudFran.Abstractions.Messaging;
using CloudFran.Abstractions.Webhooks;
using CloudFran.Abstractions.Platform;
using CloudFran.Abstractions.Validation;
using CloudFran.Grains.Storage;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CloudFran.Grains.Webhooks;

/// <summary>See <see cref="IWebhookEndpointsGrain"/>. Rows in <c>webhook_endpoints</c> / <c>webhook_deliveries</c>.</summary>
public sealed class WebhookEndpointsGrain(PlatformDb db, TimeProvider clock, IOptions<WebhookOptions> options, WebhookDispatchSignal signal)
    : Grain, IWebhookEndpointsGrain
{
    private const int MaxEndpoints = 20;
    private const string EndpointColumns = "endpoint_id, url, events::text AS events, description, status, created_at, updated_at, format";

    private TenantScope Scope { get; set; }

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        Scope = ScopedKey.Parse(this.GetPrimaryKeyString()).Scope;
        return Task.CompletedTask;
    }

    public async Task<WebhookEndpointSecret> CreateAsync(WebhookEndpointInput input)
    {
        await ValidateAsync(input, create: true);
        var scope = Scope;
        var count = await db.ScalarAsync<long>("SELECT count(*) FROM webhook_endpoints WHERE tenant_id = @t AND env = @e",
            ("t", scope.TenantId), ("e", scope.EnvName));
        if (count >= MaxEndpoints)
        {
            throw CloudFranException.Invalid("url", $"A tenant may register at most {MaxEndpoints} endpoints.");
        }
        var secret = StandardWebhooks.NewSecret();
        var now = clock.GetUtcNow();
        var endpoint = (await db.QueryAsync(
            $"""
            INSERT INTO webhook_endpoints (endpoint_id, tenant_id, env, url, events, description, secret, status, format, created_at, updated_at)
            VALUES (@id, @t, @e, @url, @events::jsonb, @desc, @secret, 'active', @format, @now, @now)
            RETURNING {EndpointColumns}
            """,
            ReadEndpoint, ("id", Ids.New("we")), ("t", scope.TenantId), ("e", scope.EnvName), ("url", input.Url),
            ("events", JsonSerializer.Serialize(input.Events!.Distinct().ToList())), ("desc", input.Description),
            ("secret", secret), ("format", input.Format ?? "json"), ("now", now)))[0];
        return new WebhookEndpointSecret(endpoint, secret);
    }

    public async Task<IReadOnlyList<WebhookEndpointView>> ListAsync()
    {
        var scope = Scope;
        return await db.QueryAsync($"SELECT {EndpointColumns} FROM webhook_endpoints WHERE tenant_id = @t AND env = @e ORDER BY created_at, endpoint_id",
            ReadEndpoint, ("t", scope.TenantId), ("e", scope.EnvName));
    }

    public async Task<WebhookEndpointView> GetAsync(string endpointId)
    {
        var scope = Scope;
        return await db.QuerySingleAsync($"SELECT {EndpointColumns} FROM webhook_endpoints WHERE tenant_id = @t AND env = @e AND endpoint_id = @id",
                   ReadEndpoint, ("t", scope.TenantId), ("e", scope.EnvName), ("id", endpointId))
               ?? throw CloudFranException.NotFound("Webhook endpoint");
    }

    public async Task<WebhookEndpointView> UpdateAsync(string endpointId, WebhookEndpointInput patch)
    {
        await GetAsync(endpointId);
        await ValidateAsync(patch, create: false);
        var scope = Scope;
        return (await db.QueryAsync(
            $"""
            UPDATE webhook_endpoints SET url = coalesce(@url, url), events = coalesce(@events::jsonb, events),
                   description = coalesce(@desc, description), status = coalesce(@status, status),
                   format = coalesce(@format, format), updated_at = @now
             WHERE tenant_id = @t AND env = @e AND endpoint_id = @id
            RETURNING {EndpointColumns}
            """,
            ReadEndpoint, ("url", patch.Url), ("events", patch.Events is null ? null : JsonSerializer.Serialize(patch.Events.Distinct().ToList())),
            ("desc", patch.Description), ("status", patch.Status), ("format", patch.Format), ("now", clock.GetUtcNow()),
            ("t", scope.TenantId), ("e", scope.EnvName), ("id", endpointId)))[0];
    }

    public async Task DeleteAsync(string endpointId)
    {
        var scope = Scope;
        if (await db.ExecuteAsync("DELETE FROM webhook_endpoints WHERE tenant_id = @t AND env = @e AND endpoint_id = @id",
                ("t", scope.TenantId), ("e", scope.EnvName), ("id", endpointId)) == 0)
        {
            throw CloudFranException.NotFound("Webhook endpoint");
        }
    }

    public async Task<WebhookEndpointSecret> RotateSecretAsync(string endpointId)
    {
        await GetAsync(endpointId);
        var scope = Scope;
        var secret = StandardWebhooks.NewSecret();
        var now = clock.GetUtcNow();
        var endpoint = (await db.QueryAsync(
            $"""
            UPDATE webhook_endpoints SET previous_secret = secret, previous_secret_expires_at = @until, secret = @secret, updated_at = @now
             WHERE tenant_id = @t AND env = @e AND endpoint_id = @id
            RETURNING {EndpointColumns}
            """,
            ReadEndpoint, ("until", now + options.Value.RotationOverlap), ("secret", secret), ("now", now),
            ("t", scope.TenantId), ("e", scope.EnvName), ("id", endpointId)))[0];
        return new WebhookEndpointSecret(endpoint, secret);
    }

    public async Task<PagedList<WebhookDeliveryView>> ListDeliveriesAsync(string endpointId, int page, int pageSize)
    {
        await GetAsync(endpointId);
        return await db.PageAsync(
            """
            SELECT d.delivery_id, d.event_id, e.event_type, d.status, d.attempts, d.last_status_code, d.last_latency_ms, d.last_error,
                   d.next_attempt_at, d.created_at, count(*) OVER () AS total
              FROM webhook_deliveries d JOIN outbox_events e ON e.event_id = d.event_id
             WHERE d.endpoint_id = @id ORDER BY d.created_at DESC, d.delivery_id
            """,
            ReadDelivery, page, pageSize, ("id", endpointId));
    }

    public async Task<WebhookDeliveryView> RedeliverAsync(string deliveryId)
    {
        var scope = Scope;
        var rows = await db.QueryAsync(
            """
            WITH upd AS (
                UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = @now, updated_at = @now
                 WHERE tenant_id = @t AND env = @e AND delivery_id = @id RETURNING *)
            SELECT d.delivery_id, d.event_id, e.event_type, d.status, d.attempts, d.last_status_code, d.last_latency_ms, d.last_error,
                   d.next_attempt_at, d.created_at
              FROM upd d JOIN outbox_events e ON e.event_id = d.event_id
            """,
            ReadDelivery, ("now", clock.GetUtcNow()), ("t", scope.TenantId), ("e", scope.EnvName), ("id", deliveryId));
        signal.Wake();
        return rows.Count == 1 ? rows[0] : throw CloudFranException.NotFound("Webhook delivery");
    }

    public async Task<int> ReplayAsync(string endpointId, DateTimeOffset? since)
    {
        await GetAsync(endpointId);
        var count = await db.ExecuteAsync(
            """
            UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = @now, updated_at = @now
             WHERE endpoint_id = @id AND (CASE WHEN @since::timestamptz IS NULL THEN status <> 'succeeded' ELSE created_at >= @since::timestamptz END)
            """,
            ("now", clock.GetUtcNow()), ("id", endpointId), ("since", since?.ToUniversalTime()));
        signal.Wake();
        return count;
    }

    private async Task ValidateAsync(WebhookEndpointInput input, bool create)
    {
        var check = new Check();
        if (create)
        {
            check.Required("url", input.Url, 2000);
            if (input.Events is null) check.Missing("events");
        }
        check.Text("description", input.Description, 500).OneOf("status", input.Status, ["active", "disabled"])
            .OneOf("format", input.Format, ["json", "form"]);
        if (input.Events is { } events)
        {
            if (events.Count is 0 or > 100) check.Invalid("events", "events must list 1-100 event types, or \"*\".");
            for (var i = 0; i < events.Count; i++)
            {
                if (!WebhookEventTypes.IsSubscribable(events[i]))
                {
                    check.Invalid($"events[{i}]", $"Unknown event type '{events[i]}' (see GET /v1/webhooks/event-types).");
                }
            }
        }
        check.ThrowIfInvalid();
        if (input.Url is not null && await WebhookUrlGuard.CheckTargetAsync(input.Url, options.Value.AllowPrivateTargets) is { } problem)
        {
            throw CloudFranException.Invalid("url", problem);
        }
    }

    private static WebhookEndpointView ReadEndpoint(NpgsqlDataReader r) =>
        new(r.GetString(0), r.GetString(1), JsonSerializer.Deserialize<List<string>>(r.GetString(2)) ?? [],
            r.NullableString("description"), r.GetString(4), r.Time("created_at"), r.Time("updated_at"), r.GetString(7));

    private static WebhookDeliveryView ReadDelivery(NpgsqlDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetInt32(4),
            r.IsDBNull(5) ? null : r.GetInt32(5), r.IsDBNull(6) ? null : r.GetInt32(6), r.NullableString("last_error"),
            r.NullableTime("next_attempt_at"), r.Time("created_at"));
}
