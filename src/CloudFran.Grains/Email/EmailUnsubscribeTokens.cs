using CloudFran.Grains.Messaging;
using System.Security.Cryptography;
using System.Text;
using CloudFran.Abstractions.Keys;
using CloudFran.Grains.Storage;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;

namespace CloudFran.Grains.Email;

/// <summary>
/// Unsubscribe tokens: <c>base64url(tenant/env/address) "." base64url(HMAC-SHA256)</c> under a server secret — from
/// CLOUDFRAN_EMAIL_UNSUBSCRIBE_SECRET, else generated once and kept in <c>platform_secrets</c> so every node (and
/// every restart) signs and verifies with the same key.
/// </summary>
public sealed class EmailUnsubscribeTokens(PlatformDb db, IOptions<EmailOptions> options)
{
    private const string SecretName = "email_unsubscribe";
    private byte[]? _key;

    private async Task<byte[]> KeyAsync()
    {
        if (_key is not null)
        {
            return _key;
        }
        var secret = options.Value.UnsubscribeSecret;
        if (string.IsNullOrEmpty(secret))
        {
            await db.ExecuteAsync("INSERT INTO platform_secrets (name, value) VALUES (@n, @v) ON CONFLICT (name) DO NOTHING",
                ("n", SecretName), ("v", Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))));
            secret = await db.ScalarAsync<string>("SELECT value FROM platform_secrets WHERE name = @n", ("n", SecretName));
        }
        return _key = SHA256.HashData(Encoding.UTF8.GetBytes(secret!));
    }

    public async Task<string> CreateAsync(TenantScope scope, string address)
    {
        var payload = Encoding.UTF8.GetBytes($"{scope}/{address}");
        var mac = HMACSHA256.HashData(await KeyAsync(), payload);
        return WebEncoders.Base64UrlEncode(payload) + "." + WebEncoders.Base64UrlEncode(mac);
    }

    /// <summary>The partition and address a token was issued for, or null when it is malformed or forged.</summary>
    public async Task<(TenantScope Scope, string Address)?> VerifyAsync(string? token)
    {
        if (string.IsNullOrEmpty(token) || token.Length > 1000 || token.Split('.') is not [var p, var m])
        {
            return null;
        }
        byte[] payload, mac;
        try
        {
            payload = WebEncoders.Base64UrlDecode(p);
            mac = WebEncoders.Base64UrlDecode(m);
        }
        catch (FormatException)
        {
            return null;
        }
        var key = await KeyAsync();
        if (!CryptographicOperations.FixedTimeEquals(mac, HMACSHA256.HashData(key, payload)))
        {
            return null;
        }
        var text = Encoding.UTF8.GetString(payload);
        var cut = text.IndexOf('/', text.IndexOf('/', StringComparison.Ordinal) + 1);
        if (cut < 0)
        {
            return null;
        }
        try
        {
            return (TenantScope.Parse(text[..cut]), text[(cut + 1)..]);
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            return null;
        }
    }
}
