using CloudFran.Grains.Messaging;
using CloudFran.Abstractions.Errors;
using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Email;
using CloudFran.Abstractions.Messaging;
using CloudFran.Abstractions.Webhooks;
using CloudFran.Grains.Events;
using CloudFran.Grains.Storage;
using Orleans.Concurrency;

namespace CloudFran.Grains.Email;

/// <summary>
/// The single email send path. Validates, refuses marketing mail to an address that unsubscribed, and writes the
/// message to the outbox (<c>email_messages</c>, status queued) before answering; the dispatcher checks consent again
/// when it sends.
/// </summary>
[StatelessWorker, Reentrant]
public sealed class EmailSenderGrain(PlatformDb db, TimeProvider clock, EmailDispatchSignal signal) : Grain, IEmailSenderGrain
{
    private const int MaxBatch = 1000;

    private TenantScope Scope { get; set; }

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        Scope = TenantScope.Parse(this.GetPrimaryKeyString());
        return Task.CompletedTask;
    }

    public static string Normalize(string address) => address.Trim().ToLowerInvariant();

    public async Task<EmailMessageView> SendAsync(EmailSendRequest request)
    {
        EmailRules.Validate(request).ThrowIfInvalid();
        var scope = Scope;
        var to = Normalize(request.To);
        if (request.Category == "marketing" && await IsOptedOutAsync(scope, to))
        {
            throw EmailStatus.OptedOut(to);
        }
        var message = await QueueAsync(scope, request, to);
        signal.Wake();
        return message;
    }

    public async Task<IReadOnlyList<EmailSendResult>> SendManyAsync(IReadOnlyList<EmailSendRequest> requests)
    {
        if (requests.Count > MaxBatch)
        {
            throw CloudFranException.Invalid("requests", $"At most {MaxBatch} messages per batch.");
        }
        var scope = Scope;
        var results = new EmailSendResult[requests.Count];
        var marketing = requests.Where(r => r.Category == "marketing" && r.To is not null).Select(r => Normalize(r.To)).Distinct().ToArray();
        var optedOut = marketing.Length == 0 ? [] : (await db.QueryAsync(
            "SELECT address FROM email_consent WHERE tenant_id = @t AND env = @e AND address = ANY(@a) AND status = 'opted_out'",
            r => r.GetString(0), ("t", scope.TenantId), ("e", scope.EnvName), ("a", marketing))).ToHashSet(StringComparer.Ordinal);
        var queue = new List<int>();
        for (var i = 0; i < requests.Count; i++)
        {
            var request = requests[i];
            try
            {
                EmailRules.Validate(request).ThrowIfInvalid();
                if (request.Category == "marketing" && optedOut.Contains(Normalize(request.To)))
                {
                    throw EmailStatus.OptedOut(Normalize(request.To));
                }
                queue.Add(i);
            }
            catch (CloudFranException e)
            {
                results[i] = new EmailSendResult(null, e.Kind, e.Code, e.Message);
            }
        }
        if (queue.Count > 0)
        {
            // One statement for the batch: new rows come back under their new ids, a reused key returns the stored row.
            var ids = queue.Select(_ => Ids.New("eml", 20)).ToArray();
            var keys = queue.Select(i => requests[i].IdempotencyKey).ToArray();
            var rows = await db.QueryAsync(
                $"""
                WITH x AS (SELECT * FROM unnest(@ids::text[], @to::text[], @subject::text[], @body::text[], @html::text[], @cat::text[],
                                                @loc::text[], @key::text[])
                                      AS x(id, addr, subject, body, html, cat, loc, key)),
                     ins AS (
                    INSERT INTO email_messages (message_id, tenant_id, env, to_address, subject, text_body, html_body, category, location_id,
                                                status, idempotency_key, next_attempt_at, created_at, updated_at)
                    SELECT x.id, @t, @e, x.addr, x.subject, x.body, x.html, x.cat, x.loc, 'queued', x.key, @now, @now, @now FROM x
                    ON CONFLICT (tenant_id, env, idempotency_key) DO NOTHING
                    RETURNING {EmailStatus.Columns}, idempotency_key)
                SELECT * FROM ins
                UNION ALL
                SELECT {EmailStatus.Columns}, idempotency_key FROM email_messages
                 WHERE tenant_id = @t AND env = @e AND idempotency_key = ANY(@key)
                   AND idempotency_key NOT IN (SELECT idempotency_key FROM ins WHERE idempotency_key IS NOT NULL)
                """,
                r => (Message: EmailStatus.Read(r), Key: r.NullableString("idempotency_key")),
                ("ids", ids), ("to", queue.Select(i => Normalize(requests[i].To)).ToArray()),
                ("subject", queue.Select(i => requests[i].Subject.Trim()).ToArray()), ("body", queue.Select(i => requests[i].TextBody).ToArray()),
                ("html", queue.Select(i => requests[i].HtmlBody).ToArray()),
                ("cat", queue.Select(i => requests[i].Category).ToArray()), ("loc", queue.Select(i => requests[i].LocationId).ToArray()),
                ("key", keys), ("t", scope.TenantId), ("e", scope.EnvName), ("now", clock.GetUtcNow()));
            var byId = rows.ToDictionary(r => r.Message.MessageId, r => r.Message, StringComparer.Ordinal);
            var byKey = rows.Where(r => r.Key is not null).GroupBy(r => r.Key!).ToDictionary(g => g.Key, g => g.First().Message, StringComparer.Ordinal);
            // A key inserted by a concurrent request that committed while this statement waited is invisible to it: read again.
            var unseen = keys.Where((k, n) => k is not null && !byId.ContainsKey(ids[n]) && !byKey.ContainsKey(k)).Distinct().ToArray();
            if (unseen.Length > 0)
            {
                foreach (var (message, key) in await db.QueryAsync(
                    $"SELECT {EmailStatus.Columns}, idempotency_key FROM email_messages WHERE tenant_id = @t AND env = @e AND idempotency_key = ANY(@keys)",
                    r => (EmailStatus.Read(r), r.GetString(r.GetOrdinal("idempotency_key"))),
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
                    ? new EmailSendResult(null, ErrorKind.Unavailable, "NOT_QUEUED", "The message was not stored.")
                    : new EmailSendResult(message);
            }
            signal.Wake();
        }
        return results;
    }

    public async Task<EmailMessageView> GetAsync(string messageId)
    {
        var scope = Scope;
        return await db.QuerySingleAsync(
            $"SELECT {EmailStatus.Columns} FROM email_messages WHERE tenant_id = @t AND env = @e AND message_id = @m",
            EmailStatus.Read, ("t", scope.TenantId), ("e", scope.EnvName), ("m", messageId))
            ?? throw CloudFranException.NotFound($"Email message {messageId}");
    }

    public async Task<EmailConsentView> UnsubscribeAsync(string address, string source)
    {
        var scope = Scope;
        var to = Normalize(address);
        var now = clock.GetUtcNow();
        await using var tx = await db.BeginAsync();
        // No row back: already opted out (nothing changes, no second event).
        var previous = (await tx.QueryAsync(
            """
            WITH old AS (SELECT status FROM email_consent WHERE tenant_id = @t AND env = @e AND address = @a FOR UPDATE)
            INSERT INTO email_consent (tenant_id, env, address, status, source, updated_at)
            VALUES (@t, @e, @a, 'opted_out', @source, @now)
            ON CONFLICT (tenant_id, env, address) DO UPDATE SET status = excluded.status, source = excluded.source,
                updated_at = excluded.updated_at
             WHERE email_consent.status <> 'opted_out'
            RETURNING (SELECT status FROM old)
            """, r => r.IsDBNull(0) ? "none" : r.GetString(0),
            ("t", scope.TenantId), ("e", scope.EnvName), ("a", to), ("source", source), ("now", now))).FirstOrDefault();
        if (previous is not null)
        {
            await tx.ExecuteAsync(
                """
                UPDATE email_messages SET status = 'suppressed', error_code = 'RECIPIENT_OPTED_OUT', next_attempt_at = NULL, updated_at = @now
                 WHERE tenant_id = @t AND env = @e AND to_address = @a AND category = 'marketing' AND status = 'queued'
                """, ("now", now), ("t", scope.TenantId), ("e", scope.EnvName), ("a", to));
            await EventOutbox.AppendAsync(tx, scope, "email.opt_out", new { address = to, source, at = now });
        }
        await tx.CommitAsync();
        return await db.QuerySingleAsync(
            "SELECT address, status, source, updated_at FROM email_consent WHERE tenant_id = @t AND env = @e AND address = @a",
            r => new EmailConsentView(r.GetString(0), r.GetString(1), r.GetString(2), r.Time("updated_at")),
            ("t", scope.TenantId), ("e", scope.EnvName), ("a", to)) ?? new EmailConsentView(to, "opted_out", source, now);
    }

    public async Task<EmailConsentView> GetConsentAsync(string address)
    {
        var scope = Scope;
        var to = Normalize(address);
        return await db.QuerySingleAsync(
            "SELECT address, status, source, updated_at FROM email_consent WHERE tenant_id = @t AND env = @e AND address = @a",
            r => new EmailConsentView(r.GetString(0), r.GetString(1), r.GetString(2), r.Time("updated_at")),
            ("t", scope.TenantId), ("e", scope.EnvName), ("a", to)) ?? new EmailConsentView(to, "opted_in", null, null);
    }

    public async Task<EmailConsentView> ResubscribeAsync(string address, string source)
    {
        var scope = Scope;
        var to = Normalize(address);
        var now = clock.GetUtcNow();
        await using var tx = await db.BeginAsync();
        // Nothing to lift (never unsubscribed, or lifted already): no change and no second event.
        if (await tx.ExecuteAsync(
            """
            UPDATE email_consent SET status = 'opted_in', source = @source, updated_at = @now
             WHERE tenant_id = @t AND env = @e AND address = @a AND status = 'opted_out'
            """, ("t", scope.TenantId), ("e", scope.EnvName), ("a", to), ("source", source), ("now", now)) == 1)
        {
            await EventOutbox.AppendAsync(tx, scope, "email.opt_in", new { address = to, source, at = now });
        }
        await tx.CommitAsync();
        return await GetConsentAsync(to);
    }

    private async Task<bool> IsOptedOutAsync(TenantScope scope, string address) =>
        await db.ScalarAsync<string>(
            "SELECT status FROM email_consent WHERE tenant_id = @t AND env = @e AND address = @a",
            ("t", scope.TenantId), ("e", scope.EnvName), ("a", address)) == "opted_out";

    /// <summary>Inserts the queued row; a reused idempotency key returns the row stored before.</summary>
    private async Task<EmailMessageView> QueueAsync(TenantScope scope, EmailSendRequest request, string to)
    {
        var now = clock.GetUtcNow();
        var rows = await db.InsertOrGetAsync(
            $"""
            WITH ins AS (
                INSERT INTO email_messages (message_id, tenant_id, env, to_address, subject, text_body, html_body, category, location_id, status,
                                            idempotency_key, next_attempt_at, created_at, updated_at)
                VALUES (@id, @t, @e, @to, @subject, @body, @html, @cat, @loc, 'queued', @key, @now, @now, @now)
                ON CONFLICT (tenant_id, env, idempotency_key) DO NOTHING
                RETURNING {EmailStatus.Columns})
            SELECT * FROM ins
            UNION ALL
            SELECT {EmailStatus.Columns} FROM email_messages
             WHERE tenant_id = @t AND env = @e AND idempotency_key = @key AND NOT EXISTS (SELECT 1 FROM ins)
            """,
            EmailStatus.Read,
            ("id", Ids.New("eml", 20)), ("t", scope.TenantId), ("e", scope.EnvName), ("to", to), ("subject", request.Subject.Trim()),
            ("body", request.TextBody), ("html", request.HtmlBody), ("cat", request.Category), ("loc", request.LocationId),
            ("key", request.IdempotencyKey), ("now", now));
        return rows[0];
    }
}
