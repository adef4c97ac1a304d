using CloudFran.Abstractions.Keys;
using CloudFran.Grains.Storage;

namespace CloudFran.Grains.Messaging;

/// <summary>A phone's consent row (<c>sms_consent</c>) and its audit trail (<c>consent_audit</c>), written in the caller's transaction.</summary>
public static class SmsConsentRows
{
    /// <summary>
    /// Sets the phone's consent and answers the status it had before (null when none was recorded). Two writers of the
    /// same phone (a duplicate activation while a node dies) are ordered by the row: the insert of a first consent
    /// waits for a concurrent one and then does nothing, and the read of the previous status locks the committed row,
    /// so exactly one of them sees the change (and emits its event).
    /// </summary>
    public static async Task<string?> SetConsentAsync(PlatformTransaction tx, TenantScope scope, string phone, string status,
        string? reason, string source, DateTimeOffset now)
    {
        (string, object?)[] args =
        [
            ("t", scope.TenantId), ("e", scope.EnvName), ("p", phone), ("s", status), ("reason", reason), ("source", source),
            ("now", now),
        ];
        var inserted = await tx.ExecuteAsync(
            """
            INSERT INTO sms_consent (tenant_id, env, phone, status, reason, source, updated_at)
            VALUES (@t, @e, @p, @s, @reason, @source, @now)
            ON CONFLICT (tenant_id, env, phone) DO NOTHING
            """, args);
        if (inserted == 1)
        {
            return null;
        }
        var previous = await tx.ScalarAsync<string>(
            "SELECT status FROM sms_consent WHERE tenant_id = @t AND env = @e AND phone = @p FOR UPDATE", args);
        await tx.ExecuteAsync(
            """
            UPDATE sms_consent SET status = @s, reason = @reason, source = @source, updated_at = @now
             WHERE tenant_id = @t AND env = @e AND phone = @p
            """, args);
        return previous;
    }

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
