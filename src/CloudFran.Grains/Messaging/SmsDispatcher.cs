using System.Text.Json;
using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Email;
using CloudFran.Abstractions.Messaging;
using CloudFran.Abstractions.Webhooks;
using CloudFran.Grains.Storage;
using CloudFran.Grains.Background;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CloudFran.Grains.Messaging;

/// <summary>
/// Moves queued messages from the outbox to Twilio. Every node runs one; rows are claimed with
/// <c>FOR UPDATE SKIP LOCKED</c> and a 60-second lease, so nodes share the work and a message whose node died is
/// claimed again when its lease runs out. Each claimed message is delivered by its recipient's grain.
/// </summary>
public sealed partial class SmsDispatcher(
    PlatformDb db,
    IGrainFactory grains,
    TimeProvider clock,
    SmsDispatchSignal signal,
    IOptions<MessagingOptions> options,
    ILogger<SmsDispatcher> logger) : PollingWorker(signal, logger)
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(60);

    protected override TimeSpan PollInterval => options.Value.PollInterval;

    /// <summary>Claims and delivers one batch; returns how many messages it claimed.</summary>
    public override async Task<int> RunOnceAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var batch = await db.QueryAsync(
            """
            UPDATE sms_messages SET next_attempt_at = @lease, attempts = attempts + 1
             WHERE message_id IN (SELECT message_id FROM sms_messages
                                   WHERE status = 'queued' AND next_attempt_at <= @now
                                   ORDER BY next_attempt_at LIMIT 128 FOR UPDATE SKIP LOCKED)
            RETURNING message_id, tenant_id, env, contact_phone, body, media_urls::text, location_id, attempts
            """,
            r => (Scope: TenantScope.Of(r.GetString(1), r.GetString(2)), Phone: r.GetString(3),
                Message: new ClaimedSms(r.GetString(0), r.GetString(4), JsonSerializer.Deserialize<List<string>>(r.GetString(5)) ?? [],
                    r.IsDBNull(6) ? null : r.GetString(6), r.GetInt32(7))),
            ("lease", now + Lease), ("now", now));
        await Parallel.ForEachAsync(batch, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = ct },
            async (m, _) =>
            {
                try
                {
                    await grains.GetSmsRecipient(m.Scope, m.Phone).DeliverAsync(m.Message);
                }
                catch (Exception e)
                {
                    // The lease expires and the message is claimed again.
                    LogDeliveryFailed(logger, m.Message.MessageId, e);
                }
            });
        return batch.Count;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Delivering SMS {MessageId} failed; it will be retried")]
    private static partial void LogDeliveryFailed(ILogger logger, string messageId, Exception e);
}
