using CloudFran.Abstractions.Inventory;
using CloudFran.Abstractions.Keys;
using CloudFran.Grains.Background;
using CloudFran.Grains.Storage;
using Microsoft.Extensions.Logging;

namespace CloudFran.Grains.Inventory;

public sealed class ReservationExpirySignal : WakeSignal;

/// <summary>
/// Releases held reservations whose expiry has passed, on every node, every 15 seconds. The sweep only finds the
/// candidates; each release is done by the item's grain (single writer of its stock), which checks again that the
/// reservation is still held and expired, so two nodes sweeping the same row release it once.
/// </summary>
public sealed partial class ReservationExpirySweeper(PlatformDb db, TimeProvider clock, IGrainFactory grains, ReservationExpirySignal signal,
    ILogger<ReservationExpirySweeper> logger) : PollingWorker(signal, logger)
{
    protected override TimeSpan PollInterval => TimeSpan.FromSeconds(15);

    public override async Task<int> RunOnceAsync(CancellationToken ct)
    {
        var due = await db.QueryAsync(
            """
            SELECT tenant_id, env, item_id, reservation_id FROM inventory_reservations
             WHERE status = 'held' AND expires_at <= @now
             ORDER BY expires_at LIMIT 200
            """,
            r => (Scope: TenantScope.Of(r.GetString(0), r.GetString(1)), ItemId: r.GetString(2), ReservationId: r.GetString(3)),
            ("now", clock.GetUtcNow()));
        var released = 0;
        foreach (var (scope, itemId, reservationId) in due)
        {
            ct.ThrowIfCancellationRequested();
            try
            {
                if (await grains.GetInventoryItem(scope, itemId).ExpireReservationAsync(reservationId))
                {
                    released++;
                }
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                LogExpiryFailed(logger, reservationId, e);
            }
        }
        return released;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Releasing expired reservation {ReservationId} failed; retried at the next sweep")]
    private static partial void LogExpiryFailed(ILogger logger, string reservationId, Exception e);
}
