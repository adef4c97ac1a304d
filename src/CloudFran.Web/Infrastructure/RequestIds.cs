using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;

namespace CloudFran.Web.Infrastructure;

/// <summary>Every response carries X-Request-Id: the caller's, when well-formed, or a new <c>req_…</c>.</summary>
public static partial class RequestIds
{
    public const string Header = "X-Request-Id";
    private const string ItemKey = "cf.requestId";

    public static string Get(HttpContext http) =>
        http.Items.TryGetValue(ItemKey, out var id) && id is string s ? s : Assign(http);

    public static string Assign(HttpContext http)
    {
        var incoming = http.Request.Headers[Header].ToString();
        var id = Valid().IsMatch(incoming) ? incoming : "req_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(10));
        http.Items[ItemKey] = id;
        http.Response.Headers[Header] = id;
        return id;
    }

    [GeneratedRegex("^[A-Za-z0-9._:-]{8,64}$")]
    private static partial Regex Valid();
}
