using CloudFran.Abstractions.Errors;
using CloudFran.Abstractions.Inventory;
using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Platform;
using CloudFran.Grains.Storage;
using Npgsql;

namespace CloudFran.Grains.Inventory;

/// <summary>A reservation row with the request fingerprint (for idempotent replays).</summary>
public sealed record ReservationRecord(ReservationView View, string Fingerprint);

/// <summary>SQL of <c>inventory_reservations</c>. Writes run only inside the item grain's transactions.</summary>
public static class ReservationRows
{
    public const string Columns =
        "reservation_id, item_id, location_id, quantity, reference, status, expires_at, created_at, release_reason, released_at, fulfilled_at, " +
        "ledger_entry_id, updated_at, fingerprint";

    public static ReservationRecord Read(NpgsqlDataReader r) => new(new ReservationView(
        r.GetString(0), r.GetString(1), r.GetString(2), r.GetDecimal(3), r.IsDBNull(4) ? null : r.GetString(4), r.GetString(5),
        Time(r, 6), Time(r, 7)!.Value, r.IsDBNull(8) ? null : r.GetString(8), Time(r, 9), Time(r, 10),
        r.IsDBNull(11) ? null : r.GetInt64(11), Time(r, 12)!.Value), r.GetString(13));

    private static DateTimeOffset? Time(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : new DateTimeOffset(r.GetDateTime(i), TimeSpan.Zero);

    public static Task<ReservationRecord?> GetAsync(PlatformDb db, TenantScope scope, string reservationId) =>
        db.QuerySingleAsync($"SELECT {Columns} FROM inventory_reservations WHERE tenant_id = @t AND env = @e AND reservation_id = @id",
            Read, ("t", scope.TenantId), ("e", scope.EnvName), ("id", reservationId));

    public static Task<ReservationRecord?> ByKeyAsync(PlatformDb db, TenantScope scope, string itemId, string key) =>
        db.QuerySingleAsync(
            $"SELECT {Columns} FROM inventory_reservations WHERE tenant_id = @t AND env = @e AND item_id = @item AND idempotency_key = @key",
            Read, ("t", scope.TenantId), ("e", scope.EnvName), ("item", itemId), ("key", key));

    /// <summary>Inserts a held reservation; false when the idempotency key is already used for this item.</summary>
    public static async Task<bool> InsertAsync(ISql sql, TenantScope scope, ReservationView v, string key, string fingerprint, string? actor) =>
        await sql.ExecuteAsync(
            """
            INSERT INTO inventory_reservations (tenant_id, env, reservation_id, item_id, location_id, quantity, reference, status, idempotency_key,
                                                fingerprint, actor, expires_at, created_at, updated_at)
            VALUES (@t, @e, @id, @item, @loc, @qty, @ref, 'held', @key, @fp, @actor, @exp, @now, @now)
            ON CONFLICT (tenant_id, env, item_id, idempotency_key) DO NOTHING
            """,
            ("t", scope.TenantId), ("e", scope.EnvName), ("id", v.ReservationId), ("item", v.ItemId), ("loc", v.LocationId), ("qty", v.Quantity),
            ("ref", v.Reference), ("key", key), ("fp", fingerprint), ("actor", actor), ("exp", v.ExpiresAt), ("now", v.CreatedAt)) == 1;

    /// <summary>Moves a held reservation to released or fulfilled; null when it was no longer held.</summary>
    public static async Task<ReservationView?> FinishAsync(ISql sql, TenantScope scope, string reservationId,
        string status, string? releaseReason, long? ledgerEntryId, DateTimeOffset now) =>
        (await sql.QuerySingleAsync(
            $"""
            UPDATE inventory_reservations
               SET status = @status, release_reason = @why, ledger_entry_id = @entry, updated_at = @now,
                   released_at = CASE WHEN @status = 'released' THEN @now END, fulfilled_at = CASE WHEN @status = 'fulfilled' THEN @now END
             WHERE tenant_id = @t AND env = @e AND reservation_id = @id AND status = 'held'
            RETURNING {Columns}
            """,
            Read, ("t", scope.TenantId), ("e", scope.EnvName), ("id", reservationId), ("status", status), ("why", releaseReason),
            ("entry", ledgerEntryId), ("now", now)))?.View;

    public static Task<PagedList<ReservationView>> ListAsync(PlatformDb db, TenantScope scope, string itemId, string? status, int page, int pageSize) =>
        db.PageAsync(
            $"""
            SELECT {Columns}, count(*) OVER () AS total FROM inventory_reservations
             WHERE tenant_id = @t AND env = @e AND item_id = @id AND (@status::text IS NULL OR status = @status::text)
             ORDER BY created_at DESC, reservation_id DESC
            """,
            r => Read(r).View, page, pageSize, ("t", scope.TenantId), ("e", scope.EnvName), ("id", itemId), ("status", status));
}
