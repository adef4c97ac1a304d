using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Messaging;
using CloudFran.Grains.Storage;
using Npgsql;
using Orleans.Concurrency;

namespace CloudFran.Grains.Messaging;

/// <summary>See <see cref="ITwilioRoutingGrain"/>; stateless, one lookup each.</summary>
// Stateless: calls may interleave, so one worker overlaps many database round-trips.
[StatelessWorker, Reentrant]
public sealed class TwilioRoutingGrain(PlatformDb db) : Grain, ITwilioRoutingGrain
{
    public Task<TwilioRoute?> ForNumberAsync(string toNumber) =>
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
        new(new TenantScope(r.GetString(0), r.GetString(1) == "test" ? DataEnv.Test : DataEnv.Live), r.GetString(2),
            r.NullableString("location_id"));
}
