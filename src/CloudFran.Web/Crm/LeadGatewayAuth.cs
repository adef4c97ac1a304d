using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CloudFran.Abstractions.Crm;
using CloudFran.Abstractions.Errors;
using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Platform;
using CloudFran.Grains.Crm;
using CloudFran.Grains.Isolation;
using CloudFran.Grains.Storage;
using CloudFran.Grains.Platform;
using CloudFran.Web.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

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
/// Authenticates and rate-limits gateway routes: <c>X-API-Key</c> (a platform key, checked by its API-key grain:
/// validity, tenant status, role, the tenant's per-minute budget) or <c>Authorization: Bearer</c> with an RS256 JWT
/// (iss, aud, exp, signature; tenant from <c>tenant_id</c>, partition from <c>env</c>, role from <c>role</c>,
/// scopes from <c>scope</c>). Then the route's own per-minute limit, per credential.
/// </summary>
public sealed class LeadGatewayAuth(IGrainFactory grains, PlatformDb db, [FromKeyedServices(CrmClock.Key)] TimeProvider clock,
    IOptions<LeadGatewayOptions> options)
{
    private readonly ConcurrentDictionary<string, string> _keyTenants = new();
    private Rs256Jwt? _jwt;

    public async Task<GatewayCaller> AuthenticateAsync(HttpContext http, GatewayAccess access)
    {
        var apiKey = http.Request.Headers["X-API-Key"].ToString().Trim();
        var authorization = http.Request.Headers.Authorization.ToString();
        var bearer = authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? authorization["Bearer ".Length..].Trim() : null;
        GatewayCaller caller;
        string credential;
        if (apiKey.Length > 0 || bearer is not null && bearer.StartsWith("sk_", StringComparison.Ordinal))
        {
            var secret = apiKey.Length > 0 ? apiKey : bearer!;
            caller = await FromApiKeyAsync(http, secret, access);
            credential = "k" + ApiKeySecrets.Hash(secret)[..24];
        }
        else if (!string.IsNullOrEmpty(bearer))
        {
            caller = await FromJwtAsync(http, bearer, access);
            credential = "j" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(caller.Scope.TenantId + "|" + caller.Subject)))[..24];
        }
        else
        {
            throw GatewayErrors.Error(ErrorKind.Unauthenticated, GatewayErrors.Unauthorized, "Send X-API-Key or Authorization: Bearer <JWT>.");
        }

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
        RequestContext.Set(TenantIsolationFilter.ContextKey, caller.Scope.TenantId);
        return caller;
    }

    private async Task<GatewayCaller> FromApiKeyAsync(HttpContext http, string secret, GatewayAccess access)
    {
        if (!ApiKeySecrets.IsWellFormed(secret))
        {
            throw GatewayErrors.Error(ErrorKind.Unauthenticated, GatewayErrors.Unauthorized, "The API key is not valid.");
        }
        var hash = ApiKeySecrets.Hash(secret);
        if (!_keyTenants.TryGetValue(hash, out var tenantId))
        {
            tenantId = await db.ScalarAsync<string>("SELECT tenant_id FROM api_keys WHERE key_hash = @h", ("h", hash));
            if (tenantId is null)
            {
                throw GatewayErrors.Error(ErrorKind.Unauthenticated, GatewayErrors.Unauthorized, "The API key is not valid.");
            }
            _keyTenants[hash] = tenantId; // a key's tenant never changes
        }
        var header = http.Request.Headers[ApiKeyAuthMiddleware.TenantHeader].ToString().Trim();
        var decision = await grains.GetApiKeyGrain(hash).AuthorizeAsync(new AuthRequest(false, header.Length > 0 ? header : tenantId, access.MinRole));
        switch (decision.Outcome)
        {
            case AuthOutcome.Ok:
                return new GatewayCaller(new TenantScope(decision.TenantId!, decision.KeyType.Env()), decision.Role, decision.KeyId!,
                    decision.KeyType == KeyType.Test, null);
            case AuthOutcome.UnknownKey or AuthOutcome.ExpiredKey or AuthOutcome.RevokedKey:
                throw GatewayErrors.Error(ErrorKind.Unauthenticated, GatewayErrors.Unauthorized, decision.Detail ?? "The API key is not valid.");
            case AuthOutcome.RateLimited or AuthOutcome.QuotaExceeded:
                http.Response.Headers.RetryAfter = decision.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
                throw GatewayErrors.Error(ErrorKind.RateLimited, GatewayErrors.RateLimited, "The tenant's request budget is used up.");
            default:
                throw GatewayErrors.Error(ErrorKind.Forbidden, GatewayErrors.Forbidden, decision.Detail ?? "This credential may not call this endpoint.");
        }
    }

    private async Task<GatewayCaller> FromJwtAsync(HttpContext http, string token, GatewayAccess access)
    {
        var jwt = Verifier() ?? throw GatewayErrors.Error(ErrorKind.Unauthenticated, GatewayErrors.Unauthorized, "Bearer tokens are not configured on this server.");
        var result = jwt.Validate(token, clock.GetUtcNow());
        if (!result.Valid)
        {
            throw GatewayErrors.Error(ErrorKind.Unauthenticated, GatewayErrors.Unauthorized, result.Error!);
        }
        var claims = result.Claims;
        var tenantId = Claim(claims, "tenant_id") ?? Claim(claims, "tid");
        if (tenantId is null || !Ids.IsValid(tenantId, "tn"))
        {
            throw GatewayErrors.Error(ErrorKind.Unauthenticated, GatewayErrors.Unauthorized, "The token has no valid tenant_id claim.");
        }
        var env = Claim(claims, "env") ?? "live";
        if (env is not ("live" or "test"))
        {
            throw GatewayErrors.Error(ErrorKind.Unauthenticated, GatewayErrors.Unauthorized, "The token's env claim must be live or test.");
        }
        var header = http.Request.Headers[ApiKeyAuthMiddleware.TenantHeader].ToString().Trim();
        if (header.Length > 0 && header != tenantId)
        {
            throw GatewayErrors.Error(ErrorKind.Forbidden, GatewayErrors.Forbidden, "X-Tenant-Id does not match the token's tenant.");
        }
        TenantLimits limits;
        try
        {
            limits = await grains.GetTenantGrain(tenantId).GetLimitsAsync();
        }
        catch (CloudFranException e) when (e.Kind == ErrorKind.NotFound)
        {
            throw GatewayErrors.Error(ErrorKind.Unauthenticated, GatewayErrors.Unauthorized, "The token's tenant does not exist.");
        }
        if (limits.Status is "suspended" or "cancelled")
        {
            throw GatewayErrors.Error(ErrorKind.Forbidden, GatewayErrors.Forbidden, $"Tenant is {limits.Status}.");
        }
        var role = (Claim(claims, "role") ?? "viewer").ToLowerInvariant() switch
        {
            "admin" or "owner" => Role.Admin,
            "manager" => Role.Manager,
            "agent" or "sales" or "editor" => Role.Agent,
            _ => Role.Viewer, // analyst, viewer, anything else: read-only
        };
        var scopes = Rs256Jwt.Scopes(claims);
        if (role < access.MinRole)
        {
            throw GatewayErrors.Error(ErrorKind.Forbidden, GatewayErrors.Forbidden, $"This endpoint needs the {access.MinRole.Name()} role.");
        }
        if (access.AnyScope.Length > 0 && !access.AnyScope.Any(scopes.Contains))
        {
            throw GatewayErrors.Error(ErrorKind.Forbidden, GatewayErrors.Forbidden, $"The token lacks a required scope ({string.Join(" or ", access.AnyScope)}).");
        }
        var subject = Claim(claims, "sub") ?? "anonymous";
        return new GatewayCaller(new TenantScope(tenantId, env == "test" ? DataEnv.Test : DataEnv.Live), role, subject, env == "test", scopes);
    }

    private Rs256Jwt? Verifier()
    {
        if (_jwt is not null || options.Value.PublicKeyPem is not { Length: > 0 } pem)
        {
            return _jwt;
        }
        var rsa = RSA.Create();
        rsa.ImportFromPem(pem);
        return _jwt = new Rs256Jwt(rsa, options.Value.Issuer, options.Value.Audience, options.Value.ClockSkew);
    }

    private static string? Claim(JsonElement claims, string name) =>
        claims.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
