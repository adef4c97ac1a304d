using System.Security.Cryptography;
using System.Text;

namespace CloudFran.Abstractions.Platform;

/// <summary>
/// Key secrets: the seed's prefix plus 40 random base-62 characters (≈238 bits). Only the SHA-256 of the whole
/// secret is stored; a high-entropy random secret needs no slow hash.
/// </summary>
public static class ApiKeySecrets
{
    private const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    public static string NewSecret(KeyType type)
    {
        Span<char> body = stackalloc char[40];
        for (var i = 0; i < body.Length; i++)
        {
            body[i] = Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)];
        }
        return type.SecretPrefix() + new string(body);
    }

    public static string Hash(string secret) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    /// <summary>The key type a secret claims by its prefix, or null when it has none of the seed's prefixes.</summary>
    public static KeyType? TypeOf(string secret) =>
        secret.StartsWith("sk_live_", StringComparison.Ordinal) ? KeyType.Live
        : secret.StartsWith("sk_test_", StringComparison.Ordinal) ? KeyType.Test
        : secret.StartsWith("sk_admin_", StringComparison.Ordinal) ? KeyType.Admin
        : null;

    /// <summary>Well-formed: a known prefix followed by 20–100 base-62 characters.</summary>
    public static bool IsWellFormed(string secret)
    {
        var type = TypeOf(secret);
        if (type is null)
        {
            return false;
        }
        var body = secret.AsSpan(type.Value.SecretPrefix().Length);
        if (body.Length is < 20 or > 100)
        {
            return false;
        }
        foreach (var c in body)
        {
            if (!char.IsAsciiLetterOrDigit(c))
            {
                return false;
            }
        }
        return true;
    }
}
