namespace CloudFran.Web.Infrastructure.Authentication;

/// <summary>The authentication schemes of the platform; none is the default, each route names the one it accepts.</summary>
public static class AuthSchemes
{
    /// <summary>Tenant and platform routes: picks <see cref="ApiKey"/> or, on Scheduling Center routes, <see cref="BasicLogin"/>.</summary>
    public const string Platform = "cloudfran";

    /// <summary><c>Authorization: Bearer sk_…</c> (or Basic with the secret as password, as browsers send it).</summary>
    public const string ApiKey = "cloudfran.key";

    /// <summary>HTTP Basic with username = key id and password = secret (the Scheduling Center).</summary>
    public const string BasicLogin = "cloudfran.basic";

    /// <summary>The live call hub: a dashboard token (<c>dt_…</c>) or an API key, from <c>access_token</c> or Bearer.</summary>
    public const string DashboardToken = "cloudfran.dashboard";

    /// <summary>The lead gateway: picks <see cref="GatewayKey"/> or <see cref="GatewayJwt"/>.</summary>
    public const string Gateway = "gateway";

    /// <summary>The lead gateway's <c>X-API-Key</c> (or <c>Authorization: Bearer sk_…</c>).</summary>
    public const string GatewayKey = "gateway.key";

    /// <summary>The lead gateway's RS256 JWTs (<c>Authorization: Bearer eyJ…</c>).</summary>
    public const string GatewayJwt = "gateway.jwt";
}

/// <summary>Authorization policies applied per route group (see <see cref="AccessExtensions"/>).</summary>
public static class AccessPolicies
{
    public const string Tenant = "cloudfran.tenant";
    public const string PlatformAdmin = "cloudfran.platform";
}

/// <summary>Claim types of an authenticated caller (JWT-style names; the gateway's tokens use the same).</summary>
public static class CloudFranClaims
{
    public const string TenantId = "tenant_id";
    public const string Env = "env";
    public const string KeyId = "key_id";
    public const string KeyType = "key_type";
    public const string Role = "role";
    public const string Subject = "sub";

    /// <summary>A stable, non-secret name of the credential (per-credential rate buckets).</summary>
    public const string Credential = "credential";

    /// <summary>The tenant partition a principal acts in, or null when it names no tenant.</summary>
    public static TenantScope? ScopeOf(System.Security.Claims.ClaimsPrincipal user) =>
        user.FindFirst(TenantId)?.Value is { Length: > 0 } tenantId
            ? new TenantScope(tenantId, DataEnvs.Parse(user.FindFirst(Env)?.Value ?? "live"))
            : null;
}
