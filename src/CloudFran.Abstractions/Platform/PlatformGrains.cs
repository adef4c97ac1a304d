using CloudFran.Abstractions.Keys;

namespace CloudFran.Abstractions.Platform;

/// <summary>
/// One activation per API key, keyed by the SHA-256 of the secret (<c>ak-…</c>). Platform-level: the tenant is
/// not known until this grain has looked the key up. It answers authentication, role, tenant match, the
/// per-minute window and (through the tenant's usage grain) the monthly quota in one call.
/// </summary>
public interface IApiKeyGrain : IGrainWithStringKey
{
    Task<AuthDecision> AuthorizeAsync(AuthRequest request);

    /// <summary>Drops cached key and tenant data; the next call reloads from PostgreSQL.</summary>
    Task InvalidateAsync();
}

/// <summary>A tenant: its profile and settings, team, keys and limits. Key: <c>tn_…</c>.</summary>
public interface ITenantGrain : IGrainWithStringKey
{
    Task<CreatedTenant> CreateAsync(NewTenant tenant);
    Task<TenantView> GetAsync();
    Task<TenantLimits> GetLimitsAsync();
    Task<TenantView> UpdateSettingsAsync(TenantSettingsPatch patch);
    Task<TenantView> ApplyAdminPatchAsync(TenantAdminPatch patch);
    Task<IReadOnlyList<TeamMember>> ListTeamAsync(string? role);
    Task<TeamMember> InviteAsync(Invitation invitation);
    Task<CreatedApiKey> CreateKeyAsync(NewApiKey key);
    Task<IReadOnlyList<ApiKeyView>> ListKeysAsync();
    Task RevokeKeyAsync(string keyId);
}

/// <summary>Monthly call counting for one tenant. Key: <c>tn_…/usage</c>.</summary>
public interface ITenantUsageGrain : IGrainWithStringKey
{
    /// <summary>Counts one call when the month's live calls are below <paramref name="monthlyLimit"/>.</summary>
    Task<QuotaDecision> TryConsumeAsync(KeyType type, long monthlyLimit);

    /// <summary>Counts calls that no cap applies to (test keys, unlimited plans), batched by the caller.</summary>
    Task AddAsync(KeyType type, long count);
    Task<UsageView> GetAsync(string month, long? monthlyLimit);
}

/// <summary>SuperAdmin operations over all tenants (stateless; reads PostgreSQL). Key: <c>platform</c>.</summary>
public interface IPlatformAdminGrain : IGrainWithStringKey
{
    Task<PagedList<TenantView>> ListTenantsAsync(string? status, string? plan, int page, int pageSize);
    Task<CreatedTenant> CreateTenantAsync(NewTenant tenant);
    Task RegisterBootstrapKeyAsync(string secret);
}

public static class PlatformGrainFactoryExtensions
{
    public static IApiKeyGrain GetApiKey(this IGrainFactory factory, string keyHash) =>
        factory.GetGrain<IApiKeyGrain>("ak-" + keyHash);

    public static ITenantGrain GetTenant(this IGrainFactory factory, string tenantId) =>
        factory.GetGrain<ITenantGrain>(RequireTenant(tenantId));

    public static ITenantUsageGrain GetTenantUsage(this IGrainFactory factory, string tenantId) =>
        factory.GetGrain<ITenantUsageGrain>(RequireTenant(tenantId) + "/usage");

    public static IPlatformAdminGrain GetPlatformAdmin(this IGrainFactory factory) =>
        factory.GetGrain<IPlatformAdminGrain>(GrainKeyTenancy.PlatformKey);

    internal static string RequireTenant(string tenantId) =>
        Ids.IsValid(tenantId, "tn") ? tenantId : throw new ArgumentException($"'{tenantId}' is not a tenant id.");
}
