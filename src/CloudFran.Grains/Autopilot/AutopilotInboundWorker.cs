using CloudFran.Grains.Background;
using CloudFran.Grains.Storage;
using Microsoft.Extensions.Logging;

namespace CloudFran.Grains.Autopilot;

/// <summary>Wakes the inbound listener early (unused signal: the listener polls).</summary>
public sealed class AutopilotInboundSignal : WakeSignal;

/// <summary>
/// Applies the messaging module's inbound events to Autopilot as they arrive: <c>sms.received</c> pauses the
/// sender's active enrollments (reason replied), <c>sms.opt_out</c> exits them from every campaign. Reads the outbox
/// after an in-memory cursor; every update is idempotent, so several nodes may run it. The campaign grain checks
/// replies and consent again when a touch falls due, which covers anything this listener has not seen yet.
/// </summary>
public sealed partial class AutopilotInboundWorker(PlatformDb db, TimeProvider clock, AutopilotInboundSignal signal,
    ILogger<AutopilotInboundWorker> logger) : PollingWorker(signal, logger)
{
    private DateTime _cursorAt = clock.GetUtcNow().UtcDateTime.AddMinutes(-5);
    private string _cursorId = "";

    protected override TimeSpan PollInterval => TimeSpan.FromSeconds(2);

    public override async Task<int> RunOnceAsync(CancellationToken ct)
    {
        var events = await db.QueryAsync(
            """
            SELECT created_at, event_id, tenant_id, env, event_type, coalesce(payload->>'from', payload->>'phone')
              FROM outbox_events
             WHERE (created_at, event_id) > (@at, @id) AND event_type IN ('sms.received', 'sms.opt_out')
             ORDER BY created_at, event_id
             LIMIT 500
            """,
            r => (At: r.GetDateTime(0), Id: r.GetString(1), Tenant: r.GetString(2), Env: r.GetString(3), Type: r.GetString(4),
                Phone: r.IsDBNull(5) ? null : r.GetString(5)),
            ("at", _cursorAt), ("id", _cursorId));
        foreach (var e in events)
        {
            if (e.Phone is not null)
            {
                await db.ExecuteAsync(e.Type == "sms.opt_out"
                        ? """
                          UPDATE autopilot_enrollments SET state = 'exited', reason = 'opted_out', next_due_at = NULL, updated_at = @now
                           WHERE tenant_id = @t AND env = @e AND phone = @p AND state IN ('active', 'paused')
                          """
                        : """
                          UPDATE autopilot_enrollments SET state = 'paused', reason = 'replied', updated_at = @now
                           WHERE tenant_id = @t AND env = @e AND phone = @p AND state = 'active' AND reply_watermark < @at
                          """,
                    ("t", e.Tenant), ("e", e.Env), ("p", e.Phone), ("at", new DateTimeOffset(e.At, TimeSpan.Zero)), ("now", clock.GetUtcNow()));
            }
            (_cursorAt, _cursorId) = (e.At, e.Id);
        }
        return events.Count;
    }
}
