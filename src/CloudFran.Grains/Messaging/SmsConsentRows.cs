using CloudFran.Abstractions.Keys;
using CloudFran.Grains.Storage;

namespace CloudFran.Grains.Messaging;

/// <summary>A phone's consent row (<c>sms_consent</c>) and its audit trail (<c>consent_audit</c>), written in the caller's transaction.</summary>
internal static class SmsConsentRows
{
    /// <summary>Sets the phone's consent and answers the status it had before (null when none was recorded).</summary>
    public static Task<string?> SetConsentAsync(PlatformTransaction tx, TenantScope scope, string phone, string status,
        string? reason, string source, DateTimeOffset now) =>
        tx.ScalarAsync<string>(
            """
            WITH old AS (SELECT status FROM sms_consent WHERE tenant_id = @t AND env = @e AND phone = @p FOR UPDATE)
            INSERT INTO sms_consent (tenant_id, env, phone, status, reason, source, updated_at)
            VALUES (@t, @e, @p, @s, @reason, @source, @now)
            ON CONFLICT (tenant_id, env, phone) DO UPDATE SET status = excluded.status, reason = excluded.reason,
                source = excluded.source, updated_at = excluded.updated_at
            RETURNING (SELECT status FROM old)
            """,
            ("t", scope.TenantId), ("e", scope.EnvName), ("p", phone), ("s", status), ("reason", reason), ("source", source),
            ("now", now));

    /// <summary>Appends a consent change to the audit trail.</summary>
    public static Task AuditAsync(PlatformTransaction tx, TenantScope scope, string phone, string type, string source,
        string actor, string? reason, DateTimeOffset now) =>
        tx.ExecuteAsync(
            """
            INSERT INTO consent_audit (tenant_id, env, customer_id, type, channel, source, actor, reason, created_at)
            VALUES (@t, @e, @p, @type, 'sms', @source, @actor, @reason, @now)
            """,
            ("t", scope.TenantId), ("e", scope.EnvName), ("p", phone), ("type", type), ("source", source),
            ("actor", actor.Length > 60 ? actor[..60] : actor), ("reason", reason), ("now", now));
}
