using System.Security.Claims;
using System.Text.Encodings.Web;
using CloudFran.Abstractions.Platform;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CloudFran.Web.Infrastructure.Authentication;

/// <summary>
/// The live call hub's scheme: a dashboard token (<c>dt_…</c>, for browsers, whose WebSockets cannot send headers)
/// or a tenant API key, from the <c>access_token</c> query parameter or <c>Authorization: Bearer</c>. An API key
/// must name its tenant (X-Tenant-Id, or <c>tenantId</c> in the URL) and needs at least the viewer role.
/// </summary>
public sealed class DashboardTokenHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    IGrainFactory grains) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var token = Request.Query["access_token"].ToString() is { Length: > 0 } query ? query : Credentials.Bearer(Request);
        if (token is null)
        {
            return AuthenticateResult.NoResult();
        }
        TenantScope? scope = null;
        if (token.StartsWith("dt_", StringComparison.Ordinal))
        {
            scope = await grains.GetCredentialLookup().FindDashboardTokenAsync(token);
        }
        else if (ApiKeySecrets.IsWellFormed(token))
        {
            var named = Credentials.TenantHeaderOf(Request) ?? Request.Query["tenantId"].ToString();
            var decision = await grains.GetApiKey(ApiKeySecrets.Hash(token)).AuthorizeAsync(new AuthRequest(false, named, Role.Viewer));
            if (decision.Outcome == AuthOutcome.Ok && decision.TenantId is not null)
            {
                scope = new TenantScope(decision.TenantId, decision.KeyType.Env());
            }
        }
        if (scope is not { } found)
        {
            return AuthenticateResult.Fail("Unknown or expired dashboard token or API key.");
        }
        var identity = new ClaimsIdentity(
            [new Claim(CloudFranClaims.TenantId, found.TenantId), new Claim(CloudFranClaims.Env, found.EnvName)], Scheme.Name);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        Errors.WriteAsync(Context, StatusCodes.Status401Unauthorized, ErrorCodes.InvalidKey,
            "Connect with an API key or a dashboard token (access_token).");
}
