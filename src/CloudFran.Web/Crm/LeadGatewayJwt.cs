using System.Security.Claims;
using System.Security.Cryptography;
using CloudFran.Web.Infrastructure.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;

namespace CloudFran.Web.Crm;

/// <summary>
/// The lead gateway's RS256 JWTs through the JwtBearer scheme: only RS256 signatures by the configured public key
/// (CLOUDFRAN_JWT_PUBLIC_KEY, or CLOUDFRAN_JWT_PUBLIC_KEY_FILE; none = Bearer JWTs are refused), iss
/// (CLOUDFRAN_JWT_ISSUER), aud as string or array (CLOUDFRAN_JWT_AUDIENCE), exp required and nbf honoured with 30 s of
/// skew on the CRM clock, and a tenant: <c>tenant_id</c> (or <c>tid</c>) a tenant id, <c>env</c> live or test.
/// Claims keep their token names (<c>role</c>, <c>scope</c>, <c>sub</c>).
/// </summary>
public static class LeadGatewayJwt
{
    public const string DefaultIssuer = "cloudvelous.com";
    public const string DefaultAudience = "cloudvelous-api";
    public static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(30);

    /// <summary>Keyed <see cref="TimeProvider"/> of lead scheduling (same key as the CRM module registers its clock under).</summary>
    public const string CrmClockKey = "cloudfran.crm";

    public static void Configure(JwtBearerOptions o, IConfiguration config, IServiceProvider services)
    {
        var clock = services.GetKeyedService<TimeProvider>(CrmClockKey) ?? TimeProvider.System;
        var pem = config["CLOUDFRAN_JWT_PUBLIC_KEY"] is { Length: > 0 } text ? text
            : config["CLOUDFRAN_JWT_PUBLIC_KEY_FILE"] is { Length: > 0 } file && File.Exists(file) ? File.ReadAllText(file)
            : null;
        o.MapInboundClaims = false;
        o.TokenValidationParameters = new TokenValidationParameters
        {
            ValidIssuer = config["CLOUDFRAN_JWT_ISSUER"] is { Length: > 0 } iss ? iss : DefaultIssuer,
            ValidAudience = config["CLOUDFRAN_JWT_AUDIENCE"] is { Length: > 0 } aud ? aud : DefaultAudience,
            ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
            IssuerSigningKey = pem is null ? null : RsaKey(pem),
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ClockSkew = ClockSkew,
            LifetimeValidator = (notBefore, expires, _, _) => Lifetime(notBefore, expires, clock.GetUtcNow()),
            NameClaimType = CloudFranClaims.Subject,
            RoleClaimType = CloudFranClaims.Role,
        };
        o.Events = new JwtBearerEvents
        {
            OnMessageReceived = context =>
            {
                if (pem is null && context.Request.Headers.Authorization.Count > 0)
                {
                    context.Fail("Bearer tokens are not configured on this server.");
                }
                return Task.CompletedTask;
            },
            OnAuthenticationFailed = context =>
            {
                context.Fail(Reason(context.Exception));
                return Task.CompletedTask;
            },
            OnTokenValidated = context =>
            {
                if (Refusal(context.Principal!) is { } refusal)
                {
                    context.Fail(refusal);
                }
                return Task.CompletedTask;
            },
        };
    }

    /// <summary>Scopes from <c>scope</c> (or <c>scp</c>), given as an array or a space-separated string.</summary>
    public static IReadOnlyList<string> Scopes(ClaimsPrincipal user)
    {
        var claims = user.FindAll("scope").ToList() is { Count: > 0 } scope ? scope : user.FindAll("scp").ToList();
        return claims.SelectMany(c => c.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
    }

    public static string? TenantOf(ClaimsPrincipal user) => user.FindFirst(CloudFranClaims.TenantId)?.Value ?? user.FindFirst("tid")?.Value;

    public static string EnvOf(ClaimsPrincipal user) => user.FindFirst(CloudFranClaims.Env)?.Value ?? "live";

    private static string? Refusal(ClaimsPrincipal user) =>
        TenantOf(user) is not { } tenantId || !Ids.IsValid(tenantId, "tn") ? "The token has no valid tenant_id claim."
        : EnvOf(user) is not ("live" or "test") ? "The token's env claim must be live or test."
        : null;

    private static bool Lifetime(DateTime? notBefore, DateTime? expires, DateTimeOffset now)
    {
        if (expires is not { } exp)
        {
            throw new SecurityTokenNoExpirationException("The token has no expiry.");
        }
        if (new DateTimeOffset(DateTime.SpecifyKind(exp, DateTimeKind.Utc)) + ClockSkew <= now)
        {
            throw new SecurityTokenExpiredException("The token has expired.");
        }
        if (notBefore is { } nbf && new DateTimeOffset(DateTime.SpecifyKind(nbf, DateTimeKind.Utc)) - ClockSkew > now)
        {
            throw new SecurityTokenNotYetValidException("The token is not valid yet.");
        }
        return true;
    }

    private static string Reason(Exception e) => e switch
    {
        SecurityTokenMalformedException => "The token is malformed.",
        SecurityTokenInvalidAlgorithmException => "The token must be signed with RS256.",
        SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException => "The token signature is invalid.",
        SecurityTokenInvalidIssuerException => "The token issuer is not accepted.",
        SecurityTokenInvalidAudienceException => "The token audience is not accepted.",
        SecurityTokenNoExpirationException => "The token has no expiry.",
        SecurityTokenExpiredException => "The token has expired.",
        SecurityTokenNotYetValidException => "The token is not valid yet.",
        _ => "The token is not valid.",
    };

    private static RsaSecurityKey RsaKey(string pem)
    {
        var rsa = RSA.Create();
        rsa.ImportFromPem(pem);
        return new RsaSecurityKey(rsa);
    }
}
