using System.Globalization;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using CloudFran.Abstractions.Crm;
using CloudFran.Abstractions.Platform;
using CloudFran.Web.Infrastructure.Authentication;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace CloudFran.Web.Crm;

/// <summary>The authenticated caller of a lead-gateway route.</summary>
public sealed record GatewayCaller(TenantScope Scope, Role Role, string Subject, bool Sandbox, IReadOnlyList<string>? Scopes);

/// <summary>What a gateway route needs: a role, a JWT scope (API keys are governed by their role), a rate bucket.</summary>
public sealed record GatewayAccess(Role MinRole, string[] AnyScope, string Bucket, int PerMinute, bool SandboxOnly = false);

/// <summary>The lead gateway's error codes (its own surface; same envelope shape as the platform's).</summary>
public static class GatewayErrors
{
    public const string Validation = "VALIDATION_ERROR";
    public const string BadRequest = "INVALID_REQUEST";
    public const string Unauthorized = "UNAUTHORIZED";
    public const string Forbidden = "FORBIDDEN";
    public const string NotFound = "NOT_FOUND";
    public const string Conflict = "CONFLICT";
    public const string RateLimited = "RATE_LIMIT_EXCEEDED";
    public const string Internal = "INTERNAL_ERROR";

    public static CloudFranException Error(ErrorKind kind, string code, string message, IReadOnlyList<FieldError>? details = null) =>
        new(kind, code, message, details);

    /// <summary>Platform errors in gateway terms: field validation is 422 VALIDATION_ERROR, and so on.</summary>
    public static CloudFranException Map(CloudFranException e) => e.Kind switch
    {
        ErrorKind.Invalid when e.Code is ErrorCodes.InvalidInput or ErrorCodes.MissingField => new(ErrorKind.RuleViolation, Validation, e.Message, e.Details),
        ErrorKind.Invalid => new(ErrorKind.Invalid, BadRequest, e.Message, e.Details),
        ErrorKind.Unauthenticated => new(ErrorKind.Unauthenticated, Unauthorized, e.Message, e.Details),
        ErrorKind.Forbidden => new(ErrorKind.Forbidden, Forbidden, e.Message, e.Details),
        ErrorKind.NotFound => new(ErrorKind.NotFound, NotFound, e.Message, e.Details),
        ErrorKind.Conflict => new(ErrorKind.Conflict, Conflict, e.Message, e.Details),
        ErrorKind.RateLimited => new(ErrorKind.RateLimited, RateLimited, e.Message, e.Details),
        _ => e,
    };
}

/// <summary>
/// Authenticates and rate-limits gateway routes: the <see cref="AuthSchemes.Gateway"/> scheme picks
/// <c>X-API-Key</c> (<see cref="LeadGatewayKeyHandler"/>) or an RS256 JWT (<see cref="LeadGatewayJwt"/>); then the
/// route's needs in gateway terms — tenant status, role, JWT scope, sandbox-only — and the route's own per-minute
/// limit, per credential. Failures are thrown as gateway errors, which the group's filter writes.
/// </summary>
public sealed class LeadGatewayAuth(IGrainFactory grains, [FromKeyedServices(LeadGatewayJwt.CrmClockKey)] TimeProvider clock)
{
    public async Task<GatewayCaller> AuthenticateAsync(HttpContext http, GatewayAccess access)
    {
        var result = await http.AuthenticateAsync(AuthSchemes.Gateway);
        if (!result.Succeeded)
        {
            throw GatewayErrors.Error(ErrorKind.Unauthenticated, GatewayErrors.Unauthorized,
                result.Failure?.Message ?? "Send X-API-Key or Authorization: Bearer <JWT>.");
        }
        http.User = result.Principal;
        var caller = http.Features.Get<ApiKeyVerdict>() is { } verdict ? FromApiKey(http, verdict) : await FromJwtAsync(http, result.Principal, access);
        var credential = caller.Scopes is null
            ? result.Principal.FindFirst(CloudFranClaims.Credential)!.Value
            : "j" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(caller.Scope.TenantId + "|" + caller.Subject)))[..24];

        if (access.SandboxOnly && !caller.Sandbox)
        {
            throw GatewayErrors.Error(ErrorKind.Forbidden, GatewayErrors.Forbidden, "Test endpoints accept sandbox credentials only (sk_test_ keys or env=test tokens).");
        }
        var rate = await grains.GetGatewayRate(caller.Scope.TenantId, access.Bucket, credential).HitAsync(access.PerMinute);
        http.Response.Headers["X-RateLimit-Limit"] = rate.Limit.ToString(CultureInfo.InvariantCulture);
        http.Response.Headers["X-RateLimit-Remaining"] = rate.Remaining.ToString(CultureInfo.InvariantCulture);
        http.Response.Headers["X-RateLimit-Reset"] = rate.ResetUnixSeconds.ToString(CultureInfo.InvariantCulture);
        if (!rate.Allowed)
        {
            var retry = Math.Max(1, rate.ResetUnixSeconds - clock.GetUtcNow().ToUnixTimeSeconds());
            http.Response.Headers.RetryAfter = retry.ToString(CultureInfo.InvariantCulture);
            throw GatewayErrors.Error(ErrorKind.RateLimited, GatewayErrors.RateLimited, $"Rate limit of {access.PerMinute} requests per minute exceeded for this endpoint.");
        }
        RequestContext.Set(TenantContext.Key, caller.Scope.TenantId);
        return caller;
    }

    private static GatewayCaller FromApiKey(HttpContext http, ApiKeyVerdict verdict)
    {
        var decision = verdict.Decision;
        switch (decision.Outcome)
        {
            case AuthOutcome.Ok:
                return new GatewayCaller(new TenantScope(decision.TenantId!, decision.KeyType.Env()), decision.Role, decision.KeyId!,
                    decision.KeyType == KeyType.Test, null);
            case AuthOutcome.RateLimited or AuthOutcome.QuotaExceeded:
                http.Response.Headers.RetryAfter = decision.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
                throw GatewayErrors.Error(ErrorKind.RateLimited, GatewayErrors.RateLimited, "The tenant's request budget is used up.");
            default:
                throw GatewayErrors.Error(ErrorKind.Forbidden, GatewayErrors.Forbidden, decision.Detail ?? "This credential may not call this endpoint.");
        }
    }

    private async Task<GatewayCaller> FromJwtAsync(HttpContext http, ClaimsPrincipal user, GatewayAccess access)
    {
        var tenantId = LeadGatewayJwt.TenantOf(user)!;
        var env = LeadGatewayJwt.EnvOf(user);
        if (Credentials.TenantHeaderOf(http.Request) is { } header && header != tenantId)
        {
            throw GatewayErrors.Error(ErrorKind.Forbidden, GatewayErrors.Forbidden, "X-Tenant-Id does not match the token's tenant.");
        }
        TenantLimits limits;
        try
        {
            limits = await grains.GetTenant(tenantId).GetLimitsAsync();
        }
        catch (CloudFranException e) when (e.Kind == ErrorKind.NotFound)
        {
            throw GatewayErrors.Error(ErrorKind.Unauthenticated, GatewayErrors.Unauthorized, "The token's tenant does not exist.");
        }
        if (limits.Status is "suspended" or "cancelled")
        {
            throw GatewayErrors.Error(ErrorKind.Forbidden, GatewayErrors.Forbidden, $"Tenant is {limits.Status}.");
        }
        var role = RoleOf(user.FindFirst(CloudFranClaims.Role)?.Value);
        var scopes = LeadGatewayJwt.Scopes(user);
        if (role < access.MinRole)
        {
            throw GatewayErrors.Error(ErrorKind.Forbidden, GatewayErrors.Forbidden, $"This endpoint needs the {access.MinRole.Name()} role.");
        }
        if (access.AnyScope.Length > 0 && !access.AnyScope.Any(scopes.Contains))
        {
            throw GatewayErrors.Error(ErrorKind.Forbidden, GatewayErrors.Forbidden, $"The token lacks a required scope ({string.Join(" or ", access.AnyScope)}).");
        }
        var subject = user.FindFirst(CloudFranClaims.Subject)?.Value ?? "anonymous";
        return new GatewayCaller(new TenantScope(tenantId, DataEnvs.Parse(env)), role, subject, env == "test", scopes);
    }

    /// <summary>A token's role in platform terms; analyst, viewer and anything unknown are read-only.</summary>
    private static Role RoleOf(string? role) => (role ?? "viewer").ToLowerInvariant() switch
    {
        "admin" or "owner" => Role.Admin,
        "manager" => Role.Manager,
        "agent" or "sales" or "editor" => Role.Agent,
        _ => Role.Viewer,
    };
}
