using System.Text;
using Microsoft.AspNetCore.Http;

namespace CloudFran.Web.Infrastructure.Authentication;

/// <summary>Reading credentials out of a request: Bearer tokens and HTTP Basic pairs.</summary>
public static class Credentials
{
    public const string TenantHeader = "X-Tenant-Id";

    /// <summary>The token of <c>Authorization: Bearer …</c>, or null (also when it is empty).</summary>
    public static string? Bearer(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        var token = header["Bearer ".Length..].Trim();
        return token.Length == 0 ? null : token;
    }

    public static bool IsBasic(HttpRequest request) =>
        request.Headers.Authorization.ToString().StartsWith("Basic ", StringComparison.OrdinalIgnoreCase);

    /// <summary>The user and password of <c>Authorization: Basic …</c>, or null when absent or undecodable.</summary>
    public static (string User, string Password)? Basic(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (!header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        try
        {
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header["Basic ".Length..].Trim()));
            var colon = decoded.IndexOf(':');
            return colon < 0 ? null : (decoded[..colon], decoded[(colon + 1)..]);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>The API key of a platform request: the Bearer token, or the Basic password (browsers on the dashboard).</summary>
    public static string? ApiKey(HttpRequest request) => Bearer(request) ?? Basic(request)?.Password;

    /// <summary>The X-Tenant-Id header, trimmed, or null when absent or blank.</summary>
    public static string? TenantHeaderOf(HttpRequest request) =>
        request.Headers[TenantHeader].ToString() is { } value && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;
}
