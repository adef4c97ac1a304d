using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Platform;
using CloudFran.Grains.Storage;
using Orleans.Concurrency;

namespace CloudFran.Grains.Platform;

/// <summary>SuperAdmin reads and tenant creation; stateless, so every node runs its own workers.</summary>
// Stateless: calls may interleave, so one worker overlaps many database round-trips.
[StatelessWorker, Reentrant]
public sealed class PlatformAdminGrain(PlatformDb db) : Grain, IPlatformAdminGrain
{
    public async Task<PagedList<TenantView>> ListTenantsAsync(string? status, string? plan, int page, int pageSize)
    {
        return await db.PageAsync(
            """
            SELECT tenant_id, business_name, plan, status, timezone, notification_email, brand_color,
                   custom_quotas::text AS custom_quotas, created_at, updated_at, count(*) OVER () AS total
              FROM tenants
             WHERE (@status::text IS NULL OR status = @status::text) AND (@plan::text IS NULL OR plan = @plan::text)
             ORDER BY created_at, tenant_id
            """,
            TenantGrain.ReadTenant, page, pageSize, ("status", status), ("plan", plan));
    }

    public Task<CreatedTenant> CreateTenantAsync(NewTenant tenant) =>
        GrainFactory.GetTenant(Ids.New("tn")).CreateAsync(tenant);

    public async Task RegisterBootstrapKeyAsync(string secret)
    {
        var hash = ApiKeySecrets.Hash(secret);
        await db.ExecuteAsync(
            """
            INSERT INTO api_keys (key_id, key_hash, tenant_id, key_type, role, name, last_four)
            VALUES (@kid, @hash, NULL, 'admin', 'admin', 'Bootstrap platform key', @last4)
            ON CONFLICT (key_hash) DO UPDATE SET revoked_at = NULL
            """,
            ("kid", "key_boot" + hash[..12]), ("hash", hash), ("last4", secret[^4..]));
        await GrainFactory.GetApiKey(hash).InvalidateAsync();
    }
}
