using System.Security.Cryptography;
using System.Text;

namespace CloudFran.Grains.Webhooks;

/// <summary>Standard Webhooks v1 signing: <c>v1,Base64(HMAC-SHA256(base64-decoded whsec_ key, "{id}.{ts}.{body}"))</c>.</summary>
public static class StandardWebhooks
{
    public static string NewSecret() => "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(24));

    public static string Sign(string secret, string id, long timestamp, string body)
    {
        var key = Convert.FromBase64String(secret.StartsWith("whsec_", StringComparison.Ordinal) ? secret[6..] : secret);
        var mac = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{id}.{timestamp}.{body}"));
        return "v1," + Convert.ToBase64String(mac);
    }
}
