using CloudFran.Web.Calendar;
using CloudFran.Abstractions.Errors;
using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Platform;
using CloudFran.Grains.Isolation;
using CloudFran.Grains.Platform;
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

public static class AccessExtensions
{
    public static TBuilder RequireTenant<TBuilder>(this TBuilder builder, Role minRole, bool liveOnly = false)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new TenantAccess(minRole, liveOnly));

    public static TBuilder RequirePlatformAdmin<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new PlatformAccess());

    public static Caller Caller(this HttpContext http) =>
        http.Items.TryGetValue(nameof(Caller), out var c) && c is Caller caller
            ? caller
            : throw new InvalidOperationException("Route has no TenantAccess metadata.");
}

/// <summary>
/// Authenticates routes that carry <see cref="TenantAccess"/> or <see cref="PlatformAccess"/>: Bearer key →
/// one call to the key's grain (validity, tenant match, suspension, role, per-minute window, monthly quota) →
/// error envelope or rate-limit headers, caller in HttpContext.Items, tenant in the Orleans request context.
/// Runs after routing and before model binding, so an unauthenticated request never reaches validation.
/// </summary>
public sealed partial class ApiKeyAuthMiddleware(RequestDelegate next, IGrainFactory grains, ILogger<ApiKeyAuthMiddleware> logger)
{
    public const string TenantHeader = "X-Tenant-Id";

    public async Task InvokeAsync(HttpContext http)
    {
        var endpoint = http.GetEndpoint();
        var platform = endpoint?.Metadata.GetMetadata<PlatformAccess>();
        var tenant = endpoint?.Metadata.GetMetadata<TenantAccess>();
        if (platform is null && tenant is null)
        {
            await next(http);
            return;
        }

        var secret = ReadSecret(http);
        if (secret is null || !ApiKeySecrets.IsWellFormed(secret))
        {
            if (platform is not null && http.Request.Path.StartsWithSegments("/dashboard"))
            {
                http.Response.Headers.WWWAuthenticate = "Basic realm=\"CloudFran dashboard\"";
            }
            await Errors.WriteAsync(http, 401, ErrorCodes.InvalidKey,
                secret is null ? "Send an API key as 'Authorization: Bearer sk_…'." : "The API key is not valid.");
            return;
        }

        var headerTenant = http.Request.Headers[TenantHeader].ToString();
        if (tenant is not null && endpoint!.Metadata.GetMetadata<BasicKeyLogin>() is not null && BasicUser(http) is { } user)
        {
            var owner = await BasicKeyOwners.FindAsync(http, secret);
            if (owner is null || !string.Equals(owner.Value.KeyId, user, StringComparison.Ordinal))
            {
                http.Response.Headers.WWWAuthenticate = "Basic realm=\"CloudFran\"";
                await Errors.WriteAsync(http, 401, ErrorCodes.InvalidKey, "Basic authentication needs the key's id as username and its secret as password.");
                return;
            }
            if (string.IsNullOrWhiteSpace(headerTenant))
            {
                headerTenant = owner.Value.TenantId ?? "";
            }
        }
        var request = new AuthRequest(platform is not null, string.IsNullOrWhiteSpace(headerTenant) ? null : headerTenant.Trim(),
            tenant?.MinRole ?? Role.Admin);
        var decision = await grains.GetApiKeyGrain(ApiKeySecrets.Hash(secret)).AuthorizeAsync(request);
        if (decision.HasRateHeaders)
        {
            http.Response.Headers["X-RateLimit-Limit"] = decision.Limit.ToString(System.Globalization.CultureInfo.InvariantCulture);
            http.Response.Headers["X-RateLimit-Remaining"] = decision.Remaining.ToString(System.Globalization.CultureInfo.InvariantCulture);
            http.Response.Headers["X-RateLimit-Reset"] = decision.ResetUnixSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        switch (decision.Outcome)
        {
            case AuthOutcome.Ok:
                break;
            case AuthOutcome.UnknownKey:
                await Errors.WriteAsync(http, 401, ErrorCodes.InvalidKey, "The API key is not valid.");
                return;
            case AuthOutcome.ExpiredKey or AuthOutcome.RevokedKey:
                await Errors.WriteAsync(http, 401, ErrorCodes.ExpiredKey, decision.Detail ?? "The API key is no longer valid.");
                return;
            case AuthOutcome.MissingTenantHeader:
                await Errors.WriteAsync(http, 400, ErrorCodes.MissingField, $"The {TenantHeader} header is required.",
                    [new FieldError(TenantHeader, $"{TenantHeader} is required.")]);
                return;
            case AuthOutcome.TenantMismatch:
                await Errors.WriteAsync(http, 403, ErrorCodes.TenantMismatch,
                    $"{TenantHeader} does not match the tenant of the API key.");
                return;
            case AuthOutcome.TenantSuspended:
                await Errors.WriteAsync(http, 403, ErrorCodes.TenantSuspended, decision.Detail ?? "The tenant is suspended.");
                return;
            case AuthOutcome.InsufficientRole:
                await Errors.WriteAsync(http, 403, ErrorCodes.InsufficientRole, decision.Detail ?? "The key's role does not allow this.");
                return;
            case AuthOutcome.RateLimited:
                http.Response.Headers.RetryAfter = decision.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                await Errors.WriteAsync(http, 429, ErrorCodes.RateLimited,
                    $"Rate limit of {decision.Limit} requests per minute exceeded.");
                return;
            case AuthOutcome.QuotaExceeded:
                http.Response.Headers.RetryAfter = decision.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                await Errors.WriteAsync(http, 429, ErrorCodes.QuotaExceeded, "The monthly call quota of the tenant's plan is used up.");
                return;
        }

        if (tenant is not null)
        {
            var caller = new Caller(decision.TenantId!, decision.KeyId!, decision.KeyType, decision.Role);
            if (tenant.LiveOnly && caller.KeyType != KeyType.Live)
            {
                await Errors.WriteAsync(http, 403, ErrorCodes.InsufficientRole,
                    "Sandbox (sk_test_) keys cannot change tenant configuration; use an sk_live_ key.");
                return;
            }
            http.Items[nameof(Caller)] = caller;
            RequestContext.Set(TenantIsolationFilter.ContextKey, caller.TenantId);
            using (logger.BeginScope(new Dictionary<string, object> { ["TenantId"] = caller.TenantId, ["KeyId"] = caller.KeyId }))
            {
                await next(http);
            }
            return;
        }
        await next(http);
    }

    /// <summary>The username of an HTTP Basic header, or null when the request does not use Basic.</summary>
    private static string? BasicUser(HttpContext http)
    {
        var header = http.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        try
        {
            var decoded = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(header["Basic ".Length..].Trim()));
            var colon = decoded.IndexOf(':');
            return colon < 0 ? null : decoded[..colon];
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static string? ReadSecret(HttpContext http)
    {
        var header = http.Request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            var token = header["Bearer ".Length..].Trim();
            return token.Length == 0 ? null : token;
        }
        if (header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            // Browsers (the Orleans dashboard) send the admin key as the Basic-auth password.
            try
            {
                var decoded = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(header["Basic ".Length..].Trim()));
                var colon = decoded.IndexOf(':');
                return colon < 0 ? null : decoded[(colon + 1)..];
            }
            catch (FormatException)
            {
                return null;
            }
        }
        return null;
    }
}
