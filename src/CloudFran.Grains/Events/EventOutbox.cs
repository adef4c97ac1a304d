using System.Text.Json;
using CloudFran.Abstractions.Keys;
using CloudFran.Grains.Storage;
using Npgsql;

namespace CloudFran.Grains.Events;

/// <summary>
/// The one way a module emits a platform event: append it to <c>outbox_events</c>, ideally inside the same
/// transaction as the state change it reports, so an acknowledged change always has its event and a rolled-back
/// change never does. Delivery (webhook endpoints, signatures, retries) reads this table; see docs/messaging.md.
/// </summary>
public static class EventOutbox
{
    public const string NotifyChannel = "cf_outbox";

    /// <summary>Appends an event through <paramref name="sql"/> (a <see cref="PlatformTransaction"/> to share the
    /// change's transaction, or <see cref="PlatformDb"/> when the change itself is not in PostgreSQL); returns the
    /// event id (the existing one when <paramref name="dedupeKey"/> was already used for this tenant partition).</summary>
    public static async Task<string> AppendAsync(ISql sql, TenantScope scope, string eventType, object data, string? dedupeKey = null)
    {
        var statement =
            $"""
            WITH ins AS (
                INSERT INTO outbox_events (event_id, tenant_id, env, event_type, payload, dedupe_key)
                VALUES (@id, @t, @e, @type, @payload::jsonb, @dedupe)
                ON CONFLICT (tenant_id, env, dedupe_key) DO NOTHING
                RETURNING event_id)
            SELECT event_id FROM ins
            UNION ALL
            SELECT event_id FROM outbox_events
             WHERE tenant_id = @t AND env = @e AND dedupe_key = @dedupe AND NOT EXISTS (SELECT 1 FROM ins);
            NOTIFY {NotifyChannel};
            """;
        (string, object?)[] args =
        [
            ("id", Ids.New("evt", 20)), ("t", scope.TenantId), ("e", scope.EnvName), ("type", eventType),
            ("payload", JsonSerializer.Serialize(data, Json.Options)), ("dedupe", dedupeKey),
        ];
        // A concurrent append of the same dedupe key that committed while this statement waited is invisible to it;
        // the statement run again sees it.
        return await sql.ScalarAsync<string>(statement, args) ?? await sql.ScalarAsync<string>(statement, args)
               ?? throw new InvalidOperationException($"Event with dedupe key {dedupeKey} neither inserted nor found.");
    }

    /// <summary>Appends many events of one type in one statement (no dedupe keys: the caller's change guards them).</summary>
    public static async Task AppendManyAsync(ISql sql, TenantScope scope, string eventType, IReadOnlyCollection<object> data)
    {
        if (data.Count == 0)
        {
            return;
        }
        await sql.ExecuteAsync(
            $"""
            INSERT INTO outbox_events (event_id, tenant_id, env, event_type, payload)
            SELECT x.id, @t, @e, @type, x.payload::jsonb FROM unnest(@ids::text[], @payloads::text[]) AS x(id, payload);
            NOTIFY {NotifyChannel};
            """,
            ("t", scope.TenantId), ("e", scope.EnvName), ("type", eventType),
            ("ids", data.Select(_ => Ids.New("evt", 20)).ToArray()),
            ("payloads", data.Select(d => JsonSerializer.Serialize(d, Json.Options)).ToArray()));
    }
}
