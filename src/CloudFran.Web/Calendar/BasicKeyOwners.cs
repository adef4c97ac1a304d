using System.Collections.Concurrent;
using CloudFran.Grains.Storage;
using CloudFran.Grains.Platform;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace CloudFran.Web.Calendar;

/// <summary>
/// Which key id and tenant a secret belongs to, for HTTP Basic logins (see <see cref="BasicKeyLogin"/>). A key's id
/// and tenant never change, so answers are kept; validity, revocation, role and limits stay with the key's grain.
/// </summary>
public static class BasicKeyOwners
{
    private static readonly ConcurrentDictionary<string, (string KeyId, string? TenantId)> Known = new();

    public static async Task<(string KeyId, string? TenantId)?> FindAsync(HttpContext http, string secret)
    {
        var hash = ApiKeySecrets.Hash(secret);
        if (Known.TryGetValue(hash, out var known))
        {
            return known;
        }
        var db = http.RequestServices.GetRequiredService<PlatformDb>();
        var rows = await db.QueryAsync("SELECT key_id, tenant_id FROM api_keys WHERE key_hash = @h",
            r => (KeyId: r.GetString(0), TenantId: r.IsDBNull(1) ? null : r.GetString(1)), ("h", hash));
        if (rows.Count == 0)
        {
            return null;
        }
        return Known[hash] = rows[0];
    }
}
