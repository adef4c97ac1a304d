using System.Text.Json;
using CloudFran.Abstractions.Errors;
using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Messaging;
using CloudFran.Abstractions.Validation;
using CloudFran.Grains.Storage;
using Orleans.Concurrency;

namespace CloudFran.Grains.Messaging;

/// <summary>
/// The single send path. Validates, refuses a recipient already opted out, and writes the message to the
/// outbox (<c>sms_messages</c>, status queued) before answering — an acknowledged send survives a crash. The
/// dispatcher then hands it to the recipient's grain, which checks consent again at the moment of sending.
/// </summary>
// Stateless: calls may interleave, so one worker overlaps many database round-trips.
[StatelessWorker, Reentrant]
public sealed class SmsSenderGrain(PlatformDb db, TimeProvider clock, SmsDispatchSignal signal) : Grain, ISmsSenderGrain
{
    public async Task<SmsMessageView> SendAsync(SmsSendRequest request)
    {
        var scope = TenantScope.Parse(this.GetPrimaryKeyString());
        var check = new Check()
            .Required("to", request.To, 20).Phone("to", request.To)
            .Required("message", request.Body, 1600)
            .OneOf("category", request.Category, ["transactional", "marketing"])
            .Text("idempotencyKey", request.IdempotencyKey, 200);
        var media = request.MediaUrls ?? [];
        if (media.Count > 10)
        {
            check.Invalid("mediaUrl", "At most 10 media URLs.");
        }
        for (var i = 0; i < media.Count; i++)
        {
            if (!Uri.TryCreate(media[i], UriKind.Absolute, out var u) || u.Scheme is not ("https" or "http") || media[i].Length > 2000)
            {
                check.Invalid(media.Count == 1 ? "mediaUrl" : $"mediaUrl[{i}]", "mediaUrl must be an absolute http(s) URL.");
            }
        }
        if (request.LocationId is not null && !Ids.IsValid(request.LocationId, "loc"))
        {
            check.Invalid("locationId", "locationId must be a location id (loc_…).");
        }
        check.ThrowIfInvalid();

        var optedOut = await db.ScalarAsync<string>(
            "SELECT status FROM sms_consent WHERE tenant_id = @t AND env = @e AND phone = @p",
            ("t", scope.TenantId), ("e", scope.EnvName), ("p", request.To)) == "opted_out";
        if (optedOut)
        {
            throw SmsStatus.OptedOut(request.To);
        }

        var now = clock.GetUtcNow();
        var messageId = Ids.New("msg", 20);
        var rows = await db.QueryAsync(
            $"""
            WITH ins AS (
                INSERT INTO sms_messages (message_id, tenant_id, env, direction, contact_phone, body, media_urls, category,
                                          location_id, status, status_rank, idempotency_key, next_attempt_at, created_at, updated_at)
                VALUES (@id, @t, @e, 'outbound', @to, @body, @media::jsonb, @cat, @loc, 'queued', 0, @key, @now, @now, @now)
                ON CONFLICT (tenant_id, env, idempotency_key) DO NOTHING
                RETURNING {SmsStatus.Columns})
            SELECT * FROM ins
            UNION ALL
            SELECT {SmsStatus.Columns} FROM sms_messages
             WHERE tenant_id = @t AND env = @e AND idempotency_key = @key AND NOT EXISTS (SELECT 1 FROM ins)
            """,
            SmsStatus.Read,
            ("id", messageId), ("t", scope.TenantId), ("e", scope.EnvName), ("to", request.To), ("body", request.Body),
            ("media", JsonSerializer.Serialize(media)), ("cat", request.Category), ("loc", request.LocationId),
            ("key", request.IdempotencyKey), ("now", now));
        var message = rows[0];
        signal.Wake();
        return new SmsMessageView(message.MessageId, message.Status, message.Phone, message.PlatformPhone, message.Body,
            message.CreatedAt, message.ErrorCode);
    }
}

/// <summary>Wakes this node's SMS dispatcher when a message was queued here (no wait for the next poll).</summary>
public sealed class SmsDispatchSignal : Background.WakeSignal;
