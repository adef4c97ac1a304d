using CloudFran.Grains.Background;
using CloudFran.Grains.Storage;
using Microsoft.Extensions.Logging;

namespace CloudFran.Grains.Calendar;

public sealed class HoldSweepSignal : WakeSignal;

/// <summary>
/// Releases expired holds of every provider, on every node, every 15 seconds. Each provider's grain releases its own
/// holds on time with a grain timer, but that timer lives in one activation: when its node dies, the held rows would
/// stay <c>held</c> (already treated as free by every read and write) until the provider is used again. The sweep
/// makes the release happen on a survivor. It only ever changes holds whose expiry has passed — the same statement
/// the grain runs — so racing with the grain is harmless.
/// </summary>
public sealed class HoldExpirySweeper(PlatformDb db, TimeProvider clock, HoldSweepSignal signal, ILogger<HoldExpirySweeper> logger)
    : PollingWorker(signal, logger)
{
    protected override TimeSpan PollInterval => TimeSpan.FromSeconds(15);

    public override Task<int> RunOnceAsync(CancellationToken ct) =>
        db.ExecuteAsync(
            """
            UPDATE appointments SET status = 'released', last_modified = @now
             WHERE (tenant_id, env, appointment_id) IN (
                   SELECT tenant_id, env, appointment_id FROM appointments
                    WHERE status = 'held' AND hold_expires_at <= @now
                    LIMIT 1000 FOR UPDATE SKIP LOCKED)
               AND status = 'held'
            """,
            ("now", clock.GetUtcNow()));
}
