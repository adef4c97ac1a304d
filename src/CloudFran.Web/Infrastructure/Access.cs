using CloudFran.Abstractions.Platform;
using CloudFran.Web.Infrastructure.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace CloudFran.Web.Infrastructure;

/// <summary>Endpoint metadata: a tenant route and the least role it needs; liveOnly refuses sandbox keys.</summary>
public sealed record TenantAccess(Role MinRole, bool LiveOnly = false);

/// <summary>
/// Endpoint metadata: HTTP Basic login with username = the key's id (<c>key_…</c>) and password = the key's secret
/// (the Scheduling Center surface). The tenant comes from the key, so X-Tenant-Id may be omitted; if sent, it must match.
/// </summary>
public sealed record BasicKeyLogin;

/// <summary>Endpoint metadata: a SuperAdmin route (sk_admin_ keys only).</summary>
public sealed record PlatformAccess;

/// <summary>The authenticated caller of a tenant route, derived from the key — never from headers alone.</summary>
public sealed record Caller(string TenantId, string KeyId, KeyType KeyType, Role Role)
{
    public TenantScope Scope => new(TenantId, KeyType.Env());
}

/// <summary>
/// The access API of endpoint groups: each adds the metadata its policy reads and requires that policy, so the
/// authentication and authorization middleware answer before model binding.
/// </summary>
public static class AccessExtensions
{
    public static TBuilder RequireTenant<TBuilder>(this TBuilder builder, Role minRole, bool liveOnly = false)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new TenantAccess(minRole, liveOnly)).RequireAuthorization(AccessPolicies.Tenant);

    public static TBuilder RequirePlatformAdmin<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new PlatformAccess()).RequireAuthorization(AccessPolicies.PlatformAdmin);

    /// <summary>The caller of a tenant route, built once per request from the authenticated principal.</summary>
    public static Caller Caller(this HttpContext http)
    {
        if (http.Items.TryGetValue(nameof(Caller), out var cached) && cached is Caller known)
        {
            return known;
        }
        var user = http.User;
        if (user.FindFirst(CloudFranClaims.TenantId)?.Value is not { Length: > 0 } tenantId
            || user.FindFirst(CloudFranClaims.KeyType)?.Value is not { } keyType
            || user.FindFirst(CloudFranClaims.Role)?.Value is not { } role)
        {
            throw new InvalidOperationException("Route has no TenantAccess metadata.");
        }
        var caller = new Caller(tenantId, user.FindFirst(CloudFranClaims.KeyId)?.Value ?? "", AccessNames.ParseKeyType(keyType), AccessNames.ParseRole(role));
        http.Items[nameof(Caller)] = caller;
        return caller;
    }
}

/// <summary>
/// After authorization, on tenant routes: puts the caller's tenant in the Orleans request context (the grains'
/// isolation filter checks it) and opens the log scope with TenantId and KeyId for the rest of the request.
/// </summary>
public sealed class TenantContextMiddleware(RequestDelegate next, ILogger<TenantContextMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext http)
    {
        if (http.GetEndpoint()?.Metadata.GetMetadata<TenantAccess>() is null
            || http.User.FindFirst(CloudFranClaims.TenantId)?.Value is not { Length: > 0 } tenantId)
        {
            await next(http);
            return;
        }
        RequestContext.Set(TenantContext.Key, tenantId);
        using (logger.BeginScope(new Dictionary<string, object> { ["TenantId"] = tenantId, ["KeyId"] = http.User.FindFirst(CloudFranClaims.KeyId)?.Value ?? "" }))
        {
            await next(http);
        }
    }
}
