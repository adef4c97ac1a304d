using CloudFran.Abstractions.Keys;
using Npgsql;

namespace CloudFran.Grains.Messaging;

/// <summary>A phone's consent row (<c>sms_consent</c>) and its audit trail (<c>consent_audit</c>), written in the caller's transaction.</summary>
internal static class SmsConsentRows
{
    /// <summary>Sets the phone's consent and answers the status it had before (null when none was recorded).</summary>
    public static async Task<string?> SetConsentAsync(NpgsqlConnection conn, NpgsqlTransaction tx, TenantScope scope, string phone, string status,
        string? reason, string source, DateTimeOffset now)
    {
        await using var cmd = new NpgsqlCommand(
            """
            WITH old AS (SELECT status FROM sms_consent WHERE tenant_id = @t AND env = @e AND phone = @p FOR UPDATE)
            INSERT INTO sms_consent (tenant_id, env, phone, status, reason, source, updated_at)
            VALUES (@t, @e, @p, @s, @reason, @source, @now)
            ON CONFLICT (tenant_id, env, phone) DO UPDATE SET status = excluded.status, reason = excluded.reason,
                source = excluded.source, updated_at = excluded.updated_at
            RETURNING (SELECT status FROM old)
            """, conn, tx);
        cmd.Parameters.AddWithValue("t", scope.TenantId);
        cmd.Parameters.AddWithValue("e", scope.EnvName);
        cmd.Parameters.AddWithValue("p", phone);
        cmd.Parameters.AddWithValue("s", status);
        cmd.Parameters.AddWithValue("reason", (object?)reason ?? DBNull.Value);
        cmd.Parameters.AddWithValue("source", source);
        cmd.Parameters.AddWithValue("now", now);
        return await cmd.ExecuteScalarAsync() as string;
    }

    /// <summary>Appends a consent change to the audit trail.</summary>
    public static async Task AuditAsync(NpgsqlConnection conn, NpgsqlTransaction tx, TenantScope scope, string phone, string type, string source,
        string actor, string? reason, DateTimeOffset now)
    {
        await using var cmd = new NpgsqlCommand(
            """
            INSERT INTO consent_audit (tenant_id, env, customer_id, type, channel, source, actor, reason, created_at)
            VALUES (@t, @e, @p, @type, 'sms', @source, @actor, @reason, @now)
            """, conn, tx);
        cmd.Parameters.AddWithValue("t", scope.TenantId);
        cmd.Parameters.AddWithValue("e", scope.EnvName);
        cmd.Parameters.AddWithValue("p", phone);
        cmd.Parameters.AddWithValue("type", type);
        cmd.Parameters.AddWithValue("source", source);
        cmd.Parameters.AddWithValue("actor", actor.Length > 60 ? actor[..60] : actor);
        cmd.Parameters.AddWithValue("reason", (object?)reason ?? DBNull.Value);
        cmd.Parameters.AddWithValue("now", now);
        await cmd.ExecuteNonQueryAsync();
    }
}
