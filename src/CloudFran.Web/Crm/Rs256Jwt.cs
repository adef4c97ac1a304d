using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace CloudFran.Web.Crm;

/// <summary>
/// Verification of RS256-signed JWTs (RFC 7519 / 7515): only alg RS256 is accepted (never "none" or HMAC), the
/// PKCS#1 v1.5 SHA-256 signature is checked over "header.payload", then iss, aud (string or array), exp and nbf.
/// </summary>
public sealed class Rs256Jwt(RSA key, string issuer, string audience, TimeSpan skew)
{
    public sealed record Result(bool Valid, string? Error, JsonElement Claims);

    public Result Validate(string token, DateTimeOffset now)
    {
        var parts = token.Split('.');
        if (parts.Length != 3)
        {
            return Fail("The token is not a JWT.");
        }
        JsonElement header, claims;
        byte[] signature;
        try
        {
            header = JsonDocument.Parse(Base64Url(parts[0])).RootElement.Clone();
            claims = JsonDocument.Parse(Base64Url(parts[1])).RootElement.Clone();
            signature = Base64Url(parts[2]);
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            return Fail("The token is malformed.");
        }
        if (header.ValueKind != JsonValueKind.Object || !header.TryGetProperty("alg", out var alg) || alg.ValueKind != JsonValueKind.String
            || alg.GetString() != "RS256")
        {
            return Fail("The token must be signed with RS256.");
        }
        if (!key.VerifyData(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1))
        {
            return Fail("The token signature is invalid.");
        }
        if (claims.ValueKind != JsonValueKind.Object)
        {
            return Fail("The token payload is not an object.");
        }
        if (!claims.TryGetProperty("iss", out var iss) || iss.ValueKind != JsonValueKind.String || iss.GetString() != issuer)
        {
            return Fail("The token issuer is not accepted.");
        }
        if (!claims.TryGetProperty("aud", out var aud) || !AudienceMatches(aud))
        {
            return Fail("The token audience is not accepted.");
        }
        if (!claims.TryGetProperty("exp", out var exp) || !exp.TryGetInt64(out var expSeconds))
        {
            return Fail("The token has no expiry.");
        }
        if (DateTimeOffset.FromUnixTimeSeconds(expSeconds) + skew <= now)
        {
            return Fail("The token has expired.");
        }
        if (claims.TryGetProperty("nbf", out var nbf) && nbf.TryGetInt64(out var nbfSeconds)
            && DateTimeOffset.FromUnixTimeSeconds(nbfSeconds) - skew > now)
        {
            return Fail("The token is not valid yet.");
        }
        return new Result(true, null, claims);
    }

    private bool AudienceMatches(JsonElement aud) => aud.ValueKind switch
    {
        JsonValueKind.String => aud.GetString() == audience,
        JsonValueKind.Array => aud.EnumerateArray().Any(a => a.ValueKind == JsonValueKind.String && a.GetString() == audience),
        _ => false,
    };

    private static Result Fail(string error) => new(false, error, default);

    public static byte[] Base64Url(string value)
    {
        var s = value.Replace('-', '+').Replace('_', '/');
        s = (s.Length % 4) switch
        {
            2 => s + "==",
            3 => s + "=",
            1 => throw new FormatException("Bad base64url length."),
            _ => s,
        };
        return Convert.FromBase64String(s);
    }

    /// <summary>Scopes from a "scope" claim given as an array or a space-separated string (also "scp").</summary>
    public static IReadOnlyList<string> Scopes(JsonElement claims)
    {
        foreach (var name in new[] { "scope", "scp" })
        {
            if (!claims.TryGetProperty(name, out var scope))
            {
                continue;
            }
            if (scope.ValueKind == JsonValueKind.String)
            {
                return scope.GetString()!.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            }
            if (scope.ValueKind == JsonValueKind.Array)
            {
                return scope.EnumerateArray().Where(s => s.ValueKind == JsonValueKind.String).Select(s => s.GetString()!).ToList();
            }
        }
        return [];
    }
}
