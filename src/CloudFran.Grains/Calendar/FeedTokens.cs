using System.Security.Cryptography;
using System.Text;
using CloudFran.Abstractions.Keys;
using CloudFran.Grains.Storage;

namespace CloudFran.Grains.Calendar;

/// <summary>
/// Secret iCalendar feed URLs: the token (192 random bits, URL-safe base64) is handed out once; only its SHA-256 is
/// stored, with the tenant, partition and provider it opens. The tenant of a feed request comes from this row alone.
/// </summary>
public static class FeedTokens
{
    public static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    /// <summary>Plausible token text (32 URL-safe characters) — anything else is not looked up.</summary>
    public static bool IsWellFormed(string token) =>
        token.Length == 32 && token.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    /// <summary>The scope and provider a token opens, or null when it is unknown or revoked.</summary>
    public static async Task<(TenantScope Scope, string ProviderId)?> ResolveAsync(PlatformDb db, string token)
    {
        if (!IsWellFormed(token))
        {
            return null;
        }
        var rows = await db.QueryAsync("SELECT tenant_id, env, provider_id FROM calendar_feed_tokens WHERE token_hash = @h",
            r => (Tenant: r.GetString(0), Env: r.GetString(1), Provider: r.GetString(2)), ("h", Hash(token)));
        return rows.Count == 0 ? null : (TenantScope.Of(rows[0].Tenant, rows[0].Env), rows[0].Provider);
    }
}
