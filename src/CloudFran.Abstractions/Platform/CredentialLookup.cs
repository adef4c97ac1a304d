using CloudFran.Abstractions.Keys;

namespace CloudFran.Abstractions.Platform;

/// <summary>Who a key belongs to: its id and tenant (null for platform keys). Neither ever changes.</summary>
[GenerateSerializer, Immutable, Alias("cf.KeyOwner")]
public sealed record KeyOwner(
    [property: Id(0)] string KeyId,
    [property: Id(1)] string? TenantId);

/// <summary>
/// Platform-level credential lookups for the web edge, before the tenant is known (stateless). Key: <c>credentials</c>.
/// Validity, revocation, role and limits of a key stay with its <see cref="IApiKeyGrain"/>.
/// </summary>
public interface ICredentialLookupGrain : IGrainWithStringKey
{
    /// <summary>The owner of the key whose secret hashes to <paramref name="keyHash"/>, or null when there is none.</summary>
    Task<KeyOwner?> FindKeyAsync(string keyHash);

    /// <summary>The tenant partition of a valid, unexpired dashboard token (<c>dt_…</c>), or null.</summary>
    Task<TenantScope?> FindDashboardTokenAsync(string token);
}

public static class CredentialLookupExtensions
{
    public static ICredentialLookupGrain GetCredentialLookup(this IGrainFactory factory) =>
        factory.GetGrain<ICredentialLookupGrain>("credentials");
}
