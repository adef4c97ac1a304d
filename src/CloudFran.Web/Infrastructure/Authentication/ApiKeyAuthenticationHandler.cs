using System.Globalization;
using System.Security.Claims;
using System.Text.Encodings.Web;
using CloudFran.Abstractions.Platform;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CloudFran.Web.Infrastructure.Authentication;

public sealed class ApiKeySchemeOptions : AuthenticationSchemeOptions
{
    /// <summary>HTTP Basic login: username = the key's id, password = its secret; the tenant may come from the key.</summary>
    public bool BasicLogin { get; set; }
}

/// <summary>
/// Platform API keys on routes that carry <see cref="TenantAccess"/> or <see cref="PlatformAccess"/>: one call to the
/// key's grain answers validity, tenant match, suspension, role, the per-minute window and the monthly quota; the
/// rate-limit headers are written here. Unknown, expired and revoked keys fail authentication (401); a known key the
/// route refuses authenticates, and its <see cref="ApiKeyVerdict"/> lets the policy refuse (400/403/429).
/// </summary>
public sealed class ApiKeyAuthenticationHandler(IOptionsMonitor<ApiKeySchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    IGrainFactory grains, KeyOwnerCache owners) : AuthenticationHandler<ApiKeySchemeOptions>(options, logger, encoder)
{
    private const string DashboardRealm = "Basic realm=\"CloudFran dashboard\"";
    private const string BasicRealm = "Basic realm=\"CloudFran\"";

    private (string Code, string Message, string? Challenge)? _rejection;

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var metadata = Context.GetEndpoint()?.Metadata;
        var platform = metadata?.GetMetadata<PlatformAccess>() is not null;
        var tenant = metadata?.GetMetadata<TenantAccess>();
        if (!platform && tenant is null)
        {
            return AuthenticateResult.NoResult();
        }

        var secret = Credentials.ApiKey(Request);
        var dashboard = platform && Request.Path.StartsWithSegments("/dashboard") ? DashboardRealm : null;
        if (secret is null)
        {
            _rejection = (ErrorCodes.InvalidKey, "Send an API key as 'Authorization: Bearer sk_…'.", dashboard);
            return AuthenticateResult.NoResult();
        }
        if (!ApiKeySecrets.IsWellFormed(secret))
        {
            return Reject(ErrorCodes.InvalidKey, "The API key is not valid.", dashboard);
        }

        var hash = ApiKeySecrets.Hash(secret);
        var headerTenant = Credentials.TenantHeaderOf(Request);
        if (Options.BasicLogin && tenant is not null && Credentials.Basic(Request) is { } basic)
        {
            var owner = await owners.FindAsync(hash);
            if (owner is null || !string.Equals(owner.KeyId, basic.User, StringComparison.Ordinal))
            {
                return Reject(ErrorCodes.InvalidKey, "Basic authentication needs the key's id as username and its secret as password.", BasicRealm);
            }
            headerTenant ??= owner.TenantId;
        }

        var decision = await grains.GetApiKey(hash).AuthorizeAsync(new AuthRequest(platform, headerTenant, tenant?.MinRole ?? Role.Admin));
        if (decision.HasRateHeaders)
        {
            Response.Headers["X-RateLimit-Limit"] = decision.Limit.ToString(CultureInfo.InvariantCulture);
            Response.Headers["X-RateLimit-Remaining"] = decision.Remaining.ToString(CultureInfo.InvariantCulture);
            Response.Headers["X-RateLimit-Reset"] = decision.ResetUnixSeconds.ToString(CultureInfo.InvariantCulture);
        }
        switch (decision.Outcome)
        {
            case AuthOutcome.UnknownKey:
                return Reject(ErrorCodes.InvalidKey, "The API key is not valid.", null);
            case AuthOutcome.ExpiredKey or AuthOutcome.RevokedKey:
                return Reject(ErrorCodes.ExpiredKey, decision.Detail ?? "The API key is no longer valid.", null);
        }
        var verdict = new ApiKeyVerdict(decision, "k" + hash[..24]);
        Context.Features.Set(verdict);
        return AuthenticateResult.Success(new AuthenticationTicket(verdict.Principal(Scheme.Name), Scheme.Name));
    }

    /// <summary>401 with the platform's envelope (and a Basic challenge where a browser or Basic client should retry).</summary>
    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var (code, message, challenge) = _rejection ?? (ErrorCodes.InvalidKey, "Send an API key as 'Authorization: Bearer sk_…'.", null);
        if (challenge is not null)
        {
            Response.Headers.WWWAuthenticate = challenge;
        }
        return Errors.WriteAsync(Context, StatusCodes.Status401Unauthorized, code, message);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        Errors.WriteAsync(Context, StatusCodes.Status403Forbidden, ErrorCodes.InsufficientRole, "The key's role does not allow this.");

    private AuthenticateResult Reject(string code, string message, string? challenge)
    {
        _rejection = (code, message, challenge);
        return AuthenticateResult.Fail(message);
    }
}

/// <summary>What the key's grain answered for this request; the authenticated principal is built from it.</summary>
public sealed record ApiKeyVerdict(AuthDecision Decision, string Credential)
{
    public bool Allowed => Decision.Outcome == AuthOutcome.Ok;

    public ClaimsPrincipal Principal(string scheme)
    {
        List<Claim> claims = [new(CloudFranClaims.Credential, Credential)];
        if (Allowed)
        {
            if (Decision.TenantId is { } tenantId)
            {
                claims.Add(new(CloudFranClaims.TenantId, tenantId));
                claims.Add(new(CloudFranClaims.Env, Decision.KeyType.Env().Name()));
            }
            claims.Add(new(CloudFranClaims.KeyId, Decision.KeyId ?? ""));
            claims.Add(new(CloudFranClaims.KeyType, Decision.KeyType.Name()));
            claims.Add(new(CloudFranClaims.Role, Decision.Role.Name()));
        }
        return new ClaimsPrincipal(new ClaimsIdentity(claims, scheme, CloudFranClaims.KeyId, CloudFranClaims.Role));
    }
}
