using System.Text.Encodings.Web;
using CloudFran.Abstractions.Platform;
using CloudFran.Web.Infrastructure.Authentication;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CloudFran.Web.Crm;

/// <summary>
/// The lead gateway's API keys: <c>X-API-Key</c> (or <c>Authorization: Bearer sk_…</c>). The tenant is the key's own
/// unless X-Tenant-Id names one; the key's grain checks validity, tenant status, the route's role and the tenant's
/// per-minute budget in one call. Unknown, expired and revoked keys fail (401); other refusals stay in the
/// <see cref="ApiKeyVerdict"/> for <see cref="LeadGatewayAuth"/> to answer in gateway terms.
/// </summary>
public sealed class LeadGatewayKeyHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    IGrainFactory grains, KeyOwnerCache owners) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string Header = "X-API-Key";

    /// <summary>The key a gateway request carries, or null when it carries none (a JWT, or nothing).</summary>
    public static string? KeyOf(HttpRequest request) =>
        request.Headers[Header].ToString().Trim() is { Length: > 0 } key ? key
        : Credentials.Bearer(request) is { } bearer && bearer.StartsWith("sk_", StringComparison.Ordinal) ? bearer
        : null;

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (KeyOf(Request) is not { } secret)
        {
            return AuthenticateResult.NoResult();
        }
        if (!ApiKeySecrets.IsWellFormed(secret))
        {
            return AuthenticateResult.Fail("The API key is not valid.");
        }
        var hash = ApiKeySecrets.Hash(secret);
        if (await owners.FindAsync(hash) is not { TenantId: { } keyTenant })
        {
            return AuthenticateResult.Fail("The API key is not valid.");
        }
        var minRole = Context.GetEndpoint()?.Metadata.GetMetadata<GatewayAccess>()?.MinRole ?? Role.Admin;
        var decision = await grains.GetApiKey(hash).AuthorizeAsync(new AuthRequest(false, Credentials.TenantHeaderOf(Request) ?? keyTenant, minRole));
        if (decision.Outcome is AuthOutcome.UnknownKey or AuthOutcome.ExpiredKey or AuthOutcome.RevokedKey)
        {
            return AuthenticateResult.Fail(decision.Detail ?? "The API key is not valid.");
        }
        var verdict = new ApiKeyVerdict(decision, "k" + hash[..24]);
        Context.Features.Set(verdict);
        return AuthenticateResult.Success(new AuthenticationTicket(verdict.Principal(Scheme.Name), Scheme.Name));
    }
}
