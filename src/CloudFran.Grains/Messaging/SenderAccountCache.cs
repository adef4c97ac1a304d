using System.Collections.Concurrent;
using CloudFran.Abstractions.Keys;
using CloudFran.Grains.Messaging.Twilio;
using CloudFran.Grains.Storage;

namespace CloudFran.Grains.Messaging;

/// <summary>A tenant partition's Twilio account and sender numbers as the dispatcher needs them.</summary>
public sealed record SenderAccount(TwilioAccount? Account, IReadOnlyList<(string Number, string? LocationId)> Numbers)
{
    /// <summary>The location's number, else the partition's first.</summary>
    public string? FromFor(string? locationId) =>
        Numbers.FirstOrDefault(n => n.LocationId == locationId && locationId is not null).Number ?? Numbers.FirstOrDefault().Number;
}

/// <summary>
/// Per-node cache of <see cref="SenderAccount"/> (10 s), so delivering a message costs no configuration queries.
/// Changes made on this node invalidate it at once; other nodes see them within the TTL.
/// </summary>
public sealed class SenderAccountCache(PlatformDb db, TimeProvider clock)
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(10);
    private readonly ConcurrentDictionary<TenantScope, (SenderAccount Value, DateTimeOffset At)> _entries = new();

    public async Task<SenderAccount> GetAsync(TenantScope scope)
    {
        var now = clock.GetUtcNow();
        if (_entries.TryGetValue(scope, out var entry) && now - entry.At < Ttl)
        {
            return entry.Value;
        }
        var account = await db.QuerySingleAsync(
            "SELECT account_sid, auth_user, auth_secret, messaging_service_sid FROM tenant_twilio WHERE tenant_id = @t AND env = @e",
            r => new TwilioAccount(r.GetString(0), r.GetString(1), r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3)),
            ("t", scope.TenantId), ("e", scope.EnvName));
        var numbers = await db.QueryAsync(
            "SELECT phone_number, location_id FROM phone_numbers WHERE tenant_id = @t AND env = @e ORDER BY created_at, phone_number",
            r => (r.GetString(0), r.IsDBNull(1) ? null : r.GetString(1)), ("t", scope.TenantId), ("e", scope.EnvName));
        var value = new SenderAccount(account, numbers);
        _entries[scope] = (value, now);
        return value;
    }

    public void Invalidate(TenantScope scope) => _entries.TryRemove(scope, out _);
}
