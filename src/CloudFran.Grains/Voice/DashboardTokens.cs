using System.Security.Cryptography;
using CloudFran.Abstractions.Keys;
using CloudFran.Grains.Storage;

namespace CloudFran.Grains.Voice;

/// <summary>Short-lived dashboard tokens for browsers (SignalR over WebSockets cannot send an Authorization header).</summary>
public static class DashboardTokens
{
    public static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(token)));

    /// <summary>The tenant scope of a valid, unexpired token; null otherwise.</summary>
    public static async Task<TenantScope?> ValidateAsync(PlatformDb db, string token, DateTimeOffset now)
    {
        if (!token.StartsWith("dt_", StringComparison.Ordinal) || token.Length > 100)
        {
            return null;
        }
        var row = (await db.QueryAsync(
            "SELECT tenant_id, env FROM voice_dashboard_tokens WHERE token_hash = @h AND expires_at > @now",
            r => (Tenant: r.GetString(0), Env: r.GetString(1)), ("h", Hash(token)), ("now", now))).FirstOrDefault();
        return row.Tenant is null ? null : TenantScope.Of(row.Tenant, row.Env);
    }
}
