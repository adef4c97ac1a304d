using System.Text.Json;
using CloudFran.Abstractions.Errors;
using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Email;
using CloudFran.Abstractions.Messaging;
using CloudFran.Abstractions.Webhooks;
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
    private TenantScope _scope;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _scope = TenantScope.Parse(this.GetPrimaryKeyString());
        return Task.CompletedTask;
    }

    public async Task<SmsMessageView> SendAsync(SmsSendRequest request)
    {
        var scope = _scope;
        Validate(request).ThrowIfInvalid();

        var optedOut = await db.ScalarAsync<string>(
            "SELECT status FROM sms_consent WHERE tenant_id = @t AND env = @e AND phone = @p",
            ("t", scope.TenantId), ("e", scope.EnvName), ("p", request.To)) == "opted_out";
        if (optedOut)
        {
            throw SmsStatus.OptedOut(request.To);
        }

        var now = clock.GetUtcNow();
        var messageId = Ids.New("msg", 20);
        var rows = await db.InsertOrGetAsync(
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
            ("media", JsonSerializer.Serialize(request.MediaUrls ?? [])), ("cat", request.Category), ("loc", request.LocationId),
            ("key", request.IdempotencyKey), ("now", now));
        var message = rows[0];
        signal.Wake();
        return View(message);
    }

    private const int MaxBatch = 1000;

    private static Check Validate(SmsSendRequest request)
    {
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
        return check;
    }

    public async Task<IReadOnlyList<SmsSendResult>> SendManyAsync(IReadOnlyList<SmsSendRequest> requests)
    {
        if (requests.Count > MaxBatch)
        {
            throw CloudFranException.Invalid("requests", $"At most {MaxBatch} messages per batch.");
        }
        var scope = _scope;
        var results = new SmsSendResult?[requests.Count];
        for (var i = 0; i < requests.Count; i++)
        {
            try
            {
                Validate(requests[i]).ThrowIfInvalid();
            }
            catch (CloudFranException e)
            {
                results[i] = new SmsSendResult(null, e.Kind, e.Code, e.Message);
            }
        }

        var phones = Enumerable.Range(0, requests.Count).Where(i => results[i] is null).Select(i => requests[i].To).Distinct().ToArray();
        var optedOut = (await db.QueryAsync(
            "SELECT phone FROM sms_consent WHERE tenant_id = @t AND env = @e AND phone = ANY(@p) AND status = 'opted_out'",
            r => r.GetString(0), ("t", scope.TenantId), ("e", scope.EnvName), ("p", phones))).ToHashSet(StringComparer.Ordinal);
        var queue = new List<int>();
        for (var i = 0; i < requests.Count; i++)
        {
            if (results[i] is not null) continue;
            if (optedOut.Contains(requests[i].To))
            {
                var e = SmsStatus.OptedOut(requests[i].To);
                results[i] = new SmsSendResult(null, e.Kind, e.Code, e.Message);
                continue;
            }
            queue.Add(i);
        }
        if (queue.Count > 0)
        {
            var now = clock.GetUtcNow();
            var ids = queue.Select(_ => Ids.New("msg", 20)).ToArray();
            var keys = queue.Select(i => requests[i].IdempotencyKey).ToArray();
            // Inserted rows come back under their new ids; a reused idempotency key returns the row stored before.
            var rows = await db.QueryAsync(
                $"""
                WITH x AS (SELECT * FROM unnest(@ids::text[], @to::text[], @body::text[], @media::text[], @cat::text[], @loc::text[], @key::text[])
                                      AS x(id, phone, body, media, cat, loc, key)),
                     ins AS (
                    INSERT INTO sms_messages (message_id, tenant_id, env, direction, contact_phone, body, media_urls, category,
                                              location_id, status, status_rank, idempotency_key, next_attempt_at, created_at, updated_at)
                    SELECT x.id, @t, @e, 'outbound', x.phone, x.body, x.media::jsonb, x.cat, x.loc, 'queued', 0, x.key, @now, @now, @now FROM x
                    ON CONFLICT (tenant_id, env, idempotency_key) DO NOTHING
                    RETURNING {SmsStatus.Columns}, idempotency_key)
                SELECT * FROM ins
                UNION ALL
                SELECT {SmsStatus.Columns}, idempotency_key FROM sms_messages
                 WHERE tenant_id = @t AND env = @e AND idempotency_key = ANY(@key)
                   AND idempotency_key NOT IN (SELECT idempotency_key FROM ins WHERE idempotency_key IS NOT NULL)
                """,
                r => (Message: SmsStatus.Read(r), Key: r.NullableString("idempotency_key")),
                ("ids", ids), ("to", queue.Select(i => requests[i].To).ToArray()), ("body", queue.Select(i => requests[i].Body).ToArray()),
                ("media", queue.Select(i => JsonSerializer.Serialize(requests[i].MediaUrls ?? [])).ToArray()),
                ("cat", queue.Select(i => requests[i].Category).ToArray()), ("loc", queue.Select(i => requests[i].LocationId).ToArray()),
                ("key", keys), ("t", scope.TenantId), ("e", scope.EnvName), ("now", now));
            var byId = rows.ToDictionary(r => r.Message.MessageId, r => r.Message, StringComparer.Ordinal);
            var byKey = rows.Where(r => r.Key is not null).GroupBy(r => r.Key!).ToDictionary(g => g.Key, g => g.First().Message, StringComparer.Ordinal);
            // A key inserted by a concurrent request that committed while this statement waited is invisible to it: read again.
            var unseen = keys.Where((k, n) => k is not null && !byId.ContainsKey(ids[n]) && !byKey.ContainsKey(k)).Distinct().ToArray();
            if (unseen.Length > 0)
            {
                foreach (var (message, key) in await db.QueryAsync(
                    $"SELECT {SmsStatus.Columns}, idempotency_key FROM sms_messages WHERE tenant_id = @t AND env = @e AND idempotency_key = ANY(@keys)",
                    r => (SmsStatus.Read(r), r.GetString(r.GetOrdinal("idempotency_key"))),
                    ("t", scope.TenantId), ("e", scope.EnvName), ("keys", unseen)))
                {
                    byKey[key] = message;
                }
            }
            for (var n = 0; n < queue.Count; n++)
            {
                // Within one batch, a key used twice maps both requests to the one stored row.
                var message = byId.GetValueOrDefault(ids[n]) ?? (keys[n] is { } key ? byKey.GetValueOrDefault(key) : null);
                results[queue[n]] = message is null
                    ? new SmsSendResult(null, ErrorKind.Unavailable, "NOT_QUEUED", "The message was not stored.")
                    : new SmsSendResult(View(message));
            }
            signal.Wake();
        }
        return results.Select(r => r!).ToList();
    }

    private static SmsMessageView View(ThreadMessage m) =>
        new(m.MessageId, m.Status, m.Phone, m.PlatformPhone, m.Body, m.CreatedAt, m.ErrorCode);
}
