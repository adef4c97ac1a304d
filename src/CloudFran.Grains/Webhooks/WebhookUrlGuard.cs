using System.Net;
using System.Net.Sockets;

namespace CloudFran.Grains.Webhooks;

/// <summary>
/// SSRF guard: webhook URLs must be absolute http(s) without credentials, and every address their host resolves
/// to must be public — no loopback, private, link-local (cloud metadata), CGNAT, multicast or unspecified ranges.
/// Checked at registration and again before every delivery (DNS can change).
/// </summary>
public static class WebhookUrlGuard
{
    public static string? ShapeError(string url)
    {
        if (url.Length > 2000 || !Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http"))
        {
            return "url must be an absolute http(s) URL of at most 2000 characters.";
        }
        return uri.UserInfo.Length > 0 ? "url must not contain credentials." : null;
    }

    /// <summary>Null when the target may be called; otherwise why not.</summary>
    public static async Task<string?> CheckTargetAsync(string url, bool allowPrivate, CancellationToken ct = default)
    {
        if (ShapeError(url) is { } shape)
        {
            return shape;
        }
        if (allowPrivate)
        {
            return null;
        }
        var (_, error) = await ResolveAsync(new Uri(url).IdnHost, allowPrivate: false, ct);
        return error is null ? null : error.Replace("The host resolves", "url resolves", StringComparison.Ordinal);
    }

    /// <summary>
    /// The addresses <paramref name="host"/> (a name or an IP literal) resolves to, or why it may not be used: it does
    /// not resolve, or (unless <paramref name="allowPrivate"/>) one of its addresses is internal. Callers connect to
    /// the returned addresses themselves, so a name cannot resolve differently between check and connect.
    /// </summary>
    public const string DoesNotResolve = "The host does not resolve.";

    public static async Task<(IPAddress[] Addresses, string? Error)> ResolveAsync(string host, bool allowPrivate, CancellationToken ct = default)
    {
        IPAddress[] addresses;
        try
        {
            addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, ct);
        }
        catch (Exception e) when (e is SocketException or ArgumentException)
        {
            return ([], DoesNotResolve);
        }
        if (addresses.Length == 0)
        {
            return ([], DoesNotResolve);
        }
        return !allowPrivate && addresses.Any(IsInternal)
            ? ([], "The host resolves to a loopback, private, link-local or metadata address.")
            : (addresses, null);
    }

    public static bool IsInternal(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any)
            || address.Equals(IPAddress.Broadcast))
        {
            return true;
        }
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            return address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast
                   || (address.GetAddressBytes()[0] & 0xFE) == 0xFC; // fc00::/7 unique local
        }
        var b = address.GetAddressBytes();
        return b[0] == 10 || b[0] == 127 || b[0] == 0
               || (b[0] == 172 && b[1] >= 16 && b[1] <= 31)
               || (b[0] == 192 && b[1] == 168)
               || (b[0] == 169 && b[1] == 254)
               || (b[0] == 100 && b[1] >= 64 && b[1] <= 127)
               || b[0] >= 224;
    }
}
