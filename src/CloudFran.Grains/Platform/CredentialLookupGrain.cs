using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Platform;
using CloudFran.Grains.Storage;
using CloudFran.Grains.Voice;
using Orleans.Concurrency;

namespace CloudFran.Grains.Platform;

/// <summary>See <see cref="ICredentialLookupGrain"/>; stateless, one query per lookup (callers keep what never changes).</summary>
[StatelessWorker, Reentrant]
public sealed class CredentialLookupGrain(PlatformDb db, TimeProvider clock) : Grain, ICredentialLookupGrain
{
    public Task<KeyOwner?> FindKeyAsync(string keyHash) =>
        db.QuerySingleAsync("SELECT key_id, tenant_id FROM api_keys WHERE key_hash = @h",
            r => new KeyOwner(r.GetString(0), r.IsDBNull(1) ? null : r.GetString(1)), ("h", keyHash));

    public Task<TenantScope?> FindDashboardTokenAsync(string token) =>
        DashboardTokens.ValidateAsync(db, token, clock.GetUtcNow());
}
