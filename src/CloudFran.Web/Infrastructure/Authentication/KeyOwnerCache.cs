using System.Collections.Concurrent;
using CloudFran.Abstractions.Platform;

namespace CloudFran.Web.Infrastructure.Authentication;

/// <summary>
/// Which key id and tenant a secret's hash belongs to (Basic logins, <c>X-API-Key</c>), asked of the platform's
/// credential lookup once per key: a key's id and tenant never change. Validity, revocation, role and limits stay
/// with the key's grain.
/// </summary>
public sealed class KeyOwnerCache(IGrainFactory grains)
{
    private readonly ConcurrentDictionary<string, KeyOwner> _known = new(StringComparer.Ordinal);

    public async ValueTask<KeyOwner?> FindAsync(string keyHash)
    {
        if (_known.TryGetValue(keyHash, out var known))
        {
            return known;
        }
        var owner = await grains.GetCredentialLookup().FindKeyAsync(keyHash);
        if (owner is not null)
        {
            if (_known.Count > 50_000) _known.Clear();
            _known[keyHash] = owner;
        }
        return owner;
    }
}
