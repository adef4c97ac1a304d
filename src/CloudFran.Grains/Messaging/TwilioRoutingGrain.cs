using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Email;
using CloudFran.Abstractions.Messaging;
using CloudFran.Abstractions.Webhooks;
using CloudFran.Grains.Storage;
using Npgsql;
using Orleans.Concurrency;

namespace CloudFran.Grains.Messaging;

/// <summary>See <see cref="ITwilioRoutingGrain"/>; stateless, one lookup each.</summary>
// Stateless: calls may interleave, so one worker overlaps many database round-trips.
[StatelessWorker, Reentrant]
public sealed class TwilioRoutingGrain(PlatformDb db, TimeProvider clock) : Grain, ITwilioRoutingGrain
{
    // Every voice turn is routed by its To number: remember answers briefly (a removed number stops routing within 10 s).
    private static readonly TimeSpan NumberTtl = TimeSpan.FromSeconds(10);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (TwilioRoute? Route, DateTimeOffset At)> _numbers = new();

    public async Task<TwilioRoute?> ForNumberAsync(string toNumber)
    {
        var now = clock.GetUtcNow();
        if (_numbers.TryGetValue(toNumber, out var hit) && now - hit.At < NumberTtl && hit.Route is not null)
        {
            return hit.Route;
        }
        var route = await LookupNumberAsync(toNumber);
        if (_numbers.Count > 50_000) _numbers.Clear();
        _numbers[toNumber] = (route, now);
        return route;
    }

    private Task<TwilioRoute?> LookupNumberAsync(string toNumber) =>
        db.QuerySingleAsync(
            """
            SELECT p.tenant_id, p.env, t.webhook_token, p.location_id FROM phone_numbers p
              JOIN tenant_twilio t ON t.tenant_id = p.tenant_id AND t.env = p.env
             WHERE p.phone_number = @n
            """,
            Read, ("n", toNumber));

    public Task<TwilioRoute?> ForMessageAsync(string messageId) =>
        db.QuerySingleAsync(
            """
            SELECT m.tenant_id, m.env, t.webhook_token, m.location_id FROM sms_messages m
              JOIN tenant_twilio t ON t.tenant_id = m.tenant_id AND t.env = m.env
             WHERE m.message_id = @m
            """,
            Read, ("m", messageId));

    public Task<TwilioRoute?> ForCallAsync(string callSid) =>
        db.QuerySingleAsync(
            """
            SELECT c.tenant_id, c.env, t.webhook_token, c.location_id FROM voice_calls c
              JOIN tenant_twilio t ON t.tenant_id = c.tenant_id AND t.env = c.env
             WHERE c.call_sid = @c
            """,
            Read, ("c", callSid));

    private static TwilioRoute Read(NpgsqlDataReader r) =>
        new(TenantScope.Of(r.GetString(0), r.GetString(1)), r.GetString(2),
            r.NullableString("location_id"));
}
