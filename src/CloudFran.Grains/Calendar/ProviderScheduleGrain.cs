using CloudFran.Abstractions.Calendar;
using CloudFran.Abstractions.Errors;
using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Platform;
using CloudFran.Grains.Events;
using CloudFran.Grains.Storage;
using Npgsql;
using Orleans.Concurrency;

namespace CloudFran.Grains.Calendar;

/// <summary>
/// See <see cref="IProviderScheduleGrain"/>. Bookings of one provider run one at a time here; the overlap check and
/// the insert are in one transaction, and the table's exclusion constraint refuses an overlap regardless.
/// </summary>
public sealed class ProviderScheduleGrain(PlatformDb db, TimeProvider clock) : Grain, IProviderScheduleGrain
{
    public const string HoldExpired = "HOLD_EXPIRED";
    private TenantScope Scope => TenantScope.Parse(string.Join('/', this.GetPrimaryKeyString().Split('/')[..2]));
    private string ProviderId => this.GetPrimaryKeyString().Split('/')[2];

    public Task<AppointmentView> BookAsync(BookingDraft draft) => InsertAsync(draft, null);

    public async Task<AppointmentView> HoldAsync(BookingDraft draft, TimeSpan ttl)
    {
        var hold = await InsertAsync(draft, ttl);
        // Release on time while this activation lives; otherwise the next write or read treats it as expired.
        this.RegisterGrainTimer(async () => await ReleaseExpiredAsync(), new GrainTimerCreationOptions
        {
            DueTime = ttl + TimeSpan.FromMilliseconds(50),
            Period = Timeout.InfiniteTimeSpan,
        });
        return hold;
    }

    public async Task<AppointmentView> ConfirmHoldAsync(string holdId, BookingRequest details)
    {
        await ReleaseExpiredAsync();
        var view = await UpdateAsync(holdId,
            """
            status = 'booked', customer_name = @name, customer_phone = @phone, customer_email = @email, notes = @notes,
            booking_method = @method, hold_expires_at = NULL
            """,
            "status = 'held'",
            ("name", details.CustomerName), ("phone", details.CustomerPhone), ("email", details.CustomerEmail),
            ("notes", details.Notes), ("method", (short)details.BookingMethod));
        return view ?? throw new CloudFranException(409, HoldExpired, "The hold has expired or was released.");
    }

    public async Task<AppointmentView> ReleaseHoldAsync(string holdId) =>
        await UpdateAsync(holdId, "status = 'released', hold_expires_at = NULL", "status = 'held'", emit: null)
        ?? throw new CloudFranException(409, HoldExpired, "The hold has expired or was released.");

    public async Task<AppointmentView> MoveHereAsync(string appointmentId, BookingDraft draft)
    {
        await ReleaseExpiredAsync();
        var start = draft.Start.ToUniversalTime();
        var end = start.AddMinutes(draft.Service.DurationMinutes);
        try
        {
            // One statement: the new slot is taken and the old one freed atomically; the exclusion constraint
            // refuses the move if the new block overlaps anything else of this provider.
            return await UpdateAsync(appointmentId,
                       """
                       provider_id = @provider, start_at = @start, end_at = @end, block_start = @bs, block_end = @be,
                       service_id = @svc, service_type = @type
                       """,
                       "status = 'booked'",
                       ("provider", ProviderId), ("start", start), ("end", end),
                       ("bs", start.AddMinutes(-draft.Service.BufferBeforeMinutes)), ("be", end.AddMinutes(draft.Service.BufferAfterMinutes)),
                       ("svc", draft.Service.ServiceId), ("type", draft.Service.Name))
                   ?? throw CloudFranException.Conflict("Only booked appointments can be rescheduled.");
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ExclusionViolation)
        {
            throw new CloudFranException(409, CalendarErrors.SlotUnavailable, "That time was just taken.");
        }
    }

    public async Task<AppointmentView> SetParkedAsync(string appointmentId, bool parked)
    {
        try
        {
            return await UpdateAsync(appointmentId, "parked = @parked", "status = 'booked'", ("parked", parked))
                   ?? throw CloudFranException.Conflict("Only booked appointments can be parked or unparked.");
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ExclusionViolation)
        {
            throw new CloudFranException(409, CalendarErrors.SlotUnavailable, "The slot was taken while the appointment was parked.");
        }
    }

    public async Task<AppointmentView> CancelAsync(string appointmentId, string? reason, string? message) =>
        await UpdateAsync(appointmentId, "status = 'cancelled', cancel_reason = @reason, cancel_message = @message", "status = 'booked'",
            emit: "appointment.cancelled", ("reason", reason), ("message", message))
        ?? throw CloudFranException.Conflict("The appointment is not booked (already cancelled?).");

    private async Task<AppointmentView> InsertAsync(BookingDraft draft, TimeSpan? holdFor)
    {
        var scope = Scope;
        await ReleaseExpiredAsync();
        var start = draft.Start.ToUniversalTime();
        var end = start.AddMinutes(draft.Service.DurationMinutes);
        var now = clock.GetUtcNow();
        var id = Ids.New("apt");
        await using var conn = await db.Source.OpenConnectionAsync();
        await using var tx = await conn.BeginTransactionAsync();
        AppointmentView view;
        await using (var insert = new NpgsqlCommand(
            $"""
            INSERT INTO appointments (tenant_id, env, appointment_id, location_id, provider_id, service_id, service_type, start_at, end_at,
                                      block_start, block_end, customer_name, customer_phone, customer_email, notes, booking_method,
                                      status, hold_expires_at, parent_appointment_id, created_at, last_modified)
            VALUES (@t, @e, @id, @loc, @p, @svc, @type, @start, @end, @bs, @be, @name, @phone, @email, @notes, @method,
                    @status, @expires, @parent, @now, @now)
            RETURNING {AppointmentDirectoryGrain.Columns}
            """, conn, tx))
        {
            var r = draft.Request;
            insert.Parameters.AddWithValue("t", scope.TenantId);
            insert.Parameters.AddWithValue("e", scope.EnvName);
            insert.Parameters.AddWithValue("id", id);
            insert.Parameters.AddWithValue("loc", draft.LocationId);
            insert.Parameters.AddWithValue("p", ProviderId);
            insert.Parameters.AddWithValue("svc", draft.Service.ServiceId);
            insert.Parameters.AddWithValue("type", draft.Service.Name);
            insert.Parameters.AddWithValue("start", start);
            insert.Parameters.AddWithValue("end", end);
            insert.Parameters.AddWithValue("bs", start.AddMinutes(-draft.Service.BufferBeforeMinutes));
            insert.Parameters.AddWithValue("be", end.AddMinutes(draft.Service.BufferAfterMinutes));
            insert.Parameters.AddWithValue("name", holdFor is null ? r.CustomerName : DBNull.Value);
            insert.Parameters.AddWithValue("phone", holdFor is null ? r.CustomerPhone : DBNull.Value);
            insert.Parameters.AddWithValue("email", (object?)r.CustomerEmail ?? DBNull.Value);
            insert.Parameters.AddWithValue("notes", (object?)r.Notes ?? DBNull.Value);
            insert.Parameters.AddWithValue("method", (short)r.BookingMethod);
            insert.Parameters.AddWithValue("status", holdFor is null ? "booked" : "held");
            insert.Parameters.AddWithValue("expires", holdFor is { } ttl ? now + ttl : DBNull.Value);
            insert.Parameters.AddWithValue("parent", (object?)r.ParentAppointmentId ?? DBNull.Value);
            insert.Parameters.AddWithValue("now", now);
            try
            {
                await using var reader = await insert.ExecuteReaderAsync();
                await reader.ReadAsync();
                view = AppointmentDirectoryGrain.Read(reader);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ExclusionViolation)
            {
                throw new CloudFranException(409, CalendarErrors.SlotUnavailable, "That time was just taken.");
            }
        }
        if (holdFor is null)
        {
            await EventOutbox.AppendAsync(conn, tx, scope, "appointment.booked", view, $"appointment.booked:{id}");
        }
        await tx.CommitAsync();
        return view;
    }

    /// <summary>Updates one appointment of this provider matching <paramref name="guard"/>; null when none matched.</summary>
    private Task<AppointmentView?> UpdateAsync(string appointmentId, string set, string guard, params (string, object?)[] args) =>
        UpdateAsync(appointmentId, set, guard, emit: "appointment.updated", args);

    private async Task<AppointmentView?> UpdateAsync(string appointmentId, string set, string guard, string? emit, params (string, object?)[] args)
    {
        var scope = Scope;
        await using var conn = await db.Source.OpenConnectionAsync();
        await using var tx = await conn.BeginTransactionAsync();
        await using var cmd = new NpgsqlCommand(
            $"""
            UPDATE appointments SET {set}, last_modified = @now
             WHERE tenant_id = @t AND env = @e AND appointment_id = @id AND {guard}
               AND (provider_id = @me OR @moving)
            RETURNING {AppointmentDirectoryGrain.Columns}
            """, conn, tx);
        cmd.Parameters.AddWithValue("now", clock.GetUtcNow());
        cmd.Parameters.AddWithValue("t", scope.TenantId);
        cmd.Parameters.AddWithValue("e", scope.EnvName);
        cmd.Parameters.AddWithValue("id", appointmentId);
        cmd.Parameters.AddWithValue("me", ProviderId);
        cmd.Parameters.AddWithValue("moving", set.Contains("provider_id = @provider", StringComparison.Ordinal));
        foreach (var (name, value) in args)
        {
            cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }
        AppointmentView? view = null;
        await using (var reader = await cmd.ExecuteReaderAsync())
        {
            if (await reader.ReadAsync())
            {
                view = AppointmentDirectoryGrain.Read(reader);
            }
        }
        if (view is not null && emit is not null)
        {
            var type = set.StartsWith("status = 'booked'", StringComparison.Ordinal) ? "appointment.booked" : emit;
            await EventOutbox.AppendAsync(conn, tx, scope, type, view, $"{type}:{appointmentId}:{view.LastModified.UtcTicks}");
        }
        await tx.CommitAsync();
        return view;
    }

    private async Task ReleaseExpiredAsync()
    {
        var scope = Scope;
        await db.ExecuteAsync(
            """
            UPDATE appointments SET status = 'released', last_modified = @now
             WHERE tenant_id = @t AND env = @e AND provider_id = @p AND status = 'held' AND hold_expires_at <= @now
            """,
            ("now", clock.GetUtcNow()), ("t", scope.TenantId), ("e", scope.EnvName), ("p", ProviderId));
    }
}

/// <summary>See <see cref="IAppointmentDirectoryGrain"/>.</summary>
[StatelessWorker, Reentrant]
public sealed class AppointmentDirectoryGrain(PlatformDb db) : Grain, IAppointmentDirectoryGrain
{
    public const string Columns =
        "appointment_id, location_id, provider_id, service_type, start_at, end_at, customer_name, customer_phone, customer_email, notes, booking_method, status, cancel_reason, cancel_message, last_modified, parked, parent_appointment_id, hold_expires_at";

    private TenantScope Scope => TenantScope.Parse(string.Join('/', this.GetPrimaryKeyString().Split('/')[..2]));

    public async Task<AppointmentView> GetAsync(string appointmentId)
    {
        var scope = Scope;
        return await db.QuerySingleAsync($"SELECT {Columns} FROM appointments WHERE tenant_id = @t AND env = @e AND appointment_id = @id",
                   Read, ("t", scope.TenantId), ("e", scope.EnvName), ("id", appointmentId))
               ?? throw CloudFranException.NotFound("Appointment");
    }

    public async Task<PagedList<AppointmentView>> ListAsync(AppointmentQuery q)
    {
        var scope = Scope;
        long total = 0;
        var rows = await db.QueryAsync(
            $"""
            SELECT {Columns}, count(*) OVER () AS total FROM appointments
             WHERE tenant_id = @t AND env = @e
               AND (@from::timestamptz IS NULL OR start_at >= @from::timestamptz)
               AND (@to::timestamptz IS NULL OR start_at < @to::timestamptz)
               AND (@p::text IS NULL OR provider_id = @p::text)
               AND (@s::text IS NULL OR status = @s::text)
               AND (@s::text IS NOT NULL OR status <> 'released')
               AND (@lm::timestamptz IS NULL OR last_modified > @lm::timestamptz)
             ORDER BY start_at, appointment_id LIMIT @limit OFFSET @offset
            """,
            r =>
            {
                total = r.GetInt64(r.GetOrdinal("total"));
                return Read(r);
            },
            ("t", scope.TenantId), ("e", scope.EnvName), ("from", q.From?.ToUniversalTime()), ("to", q.To?.ToUniversalTime()),
            ("p", q.ProviderId), ("s", q.Status), ("lm", q.LastModifiedAfter?.ToUniversalTime()),
            ("limit", q.PageSize), ("offset", (q.Page - 1) * q.PageSize));
        return new PagedList<AppointmentView>(rows, q.Page, q.PageSize, total);
    }

    public static AppointmentView Read(NpgsqlDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.Time("start_at"), r.Time("end_at"),
        r.NullableString("customer_name") ?? "", r.NullableString("customer_phone") ?? "", r.NullableString("customer_email"),
        r.NullableString("notes"), r.GetInt16(10), r.GetString(11) == "cancelled", r.NullableString("cancel_reason"),
        r.NullableString("cancel_message"), r.Time("last_modified"), r.GetString(11), r.GetBoolean(15),
        r.NullableString("parent_appointment_id"), r.NullableTime("hold_expires_at"));
}
