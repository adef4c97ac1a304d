using System.Security.Cryptography;
using System.Text;

namespace CloudFran.Web.Messaging.Twilio;

/// <summary>
/// X-Twilio-Signature: Base64(HMAC-SHA1(authToken, url + sorted(name + value)…)). Twilio is inconsistent about
/// default ports, so a request is valid when the URL as given, the URL without its port, or the URL with the
/// scheme's default port added matches. JSON bodies are signed through the bodySHA256 query parameter.
/// </summary>
public static class TwilioSignature
{
    public static string Compute(string url, IEnumerable<KeyValuePair<string, string>> parameters, string authToken)
    {
        var data = new StringBuilder(url);
        foreach (var group in parameters.GroupBy(p => p.Key).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            foreach (var value in group.Select(p => p.Value).Distinct().OrderBy(v => v, StringComparer.Ordinal))
            {
                data.Append(group.Key).Append(value);
            }
        }
        using var hmac = new HMACSHA1(Encoding.UTF8.GetBytes(authToken));
        return Convert.ToBase64String(hmac.ComputeHash(Encoding.UTF8.GetBytes(data.ToString())));
    }

    public static bool IsValid(string url, IEnumerable<KeyValuePair<string, string>> parameters, string authToken,
        string? signature)
    {
        if (string.IsNullOrEmpty(signature) || string.IsNullOrEmpty(authToken))
        {
            return false;
        }
        var list = parameters.ToList();
        var expected = Encoding.UTF8.GetBytes(signature);
        foreach (var candidate in UrlVariants(url))
        {
            var actual = Encoding.UTF8.GetBytes(Compute(candidate, list, authToken));
            if (CryptographicOperations.FixedTimeEquals(actual, expected))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>JSON requests: the URL carries bodySHA256 (signed without form parameters) and it must match the body.</summary>
    public static bool IsValidJson(string url, ReadOnlySpan<byte> body, string authToken, string? signature)
    {
        var query = new Uri(url).Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2)).FirstOrDefault(p => p[0] == "bodySHA256");
        if (query is not { Length: 2 })
        {
            return false;
        }
        var actualHash = Convert.ToHexStringLower(SHA256.HashData(body));
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(actualHash), Encoding.ASCII.GetBytes(query[1].ToLowerInvariant()))
               && IsValid(url, [], authToken, signature);
    }

    private static IEnumerable<string> UrlVariants(string url)
    {
        yield return url;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            yield break;
        }
        var defaultPort = uri.Scheme == Uri.UriSchemeHttps ? 443 : 80;
        var withoutPort = new UriBuilder(uri) { Port = -1 }.Uri.GetComponents(UriComponents.AbsoluteUri, UriFormat.UriEscaped);
        var withPort = $"{uri.Scheme}://{OriginalHost(url, uri)}:{defaultPort}{uri.PathAndQuery}";
        var noPort = $"{uri.Scheme}://{OriginalHost(url, uri)}{uri.PathAndQuery}";
        yield return noPort;
        yield return withPort;
        yield return withoutPort;
    }

    /// <summary>The host as written in the URL (Uri lower-cases it, but Twilio signs what it requested).</summary>
    private static string OriginalHost(string url, Uri uri)
    {
        var start = url.IndexOf("://", StringComparison.Ordinal) + 3;
        var host = url.Substring(start, uri.Host.Length);
        return string.Equals(host, uri.Host, StringComparison.OrdinalIgnoreCase) ? host : uri.Host;
    }
}
