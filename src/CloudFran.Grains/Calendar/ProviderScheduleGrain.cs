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
    private TenantScope Scope => TenantScope.Parse(string.Join('/', this.GetPrimaryKeyString().Split('/')[..2]));
    private string ProviderId => this.GetPrimaryKeyString().Split('/')[2];

    public async Task<AppointmentView> BookAsync(BookingDraft draft)
    {
        var scope = Scope;
        var start = draft.Start.ToUniversalTime();
        var end = start.AddMinutes(draft.Service.DurationMinutes);
        var blockStart = start.AddMinutes(-draft.Service.BufferBeforeMinutes);
        var blockEnd = end.AddMinutes(draft.Service.BufferAfterMinutes);
        var now = clock.GetUtcNow();
        var id = Ids.New("apt");
        await using var conn = await db.Source.OpenConnectionAsync();
        await using var tx = await conn.BeginTransactionAsync();
        await using (var insert = new NpgsqlCommand(
            """
            INSERT INTO appointments (tenant_id, env, appointment_id, location_id, provider_id, service_id, service_type, start_at, end_at,
                                      block_start, block_end, customer_name, customer_phone, customer_email, notes, booking_method,
                                      status, created_at, last_modified)
            VALUES (@t, @e, @id, @loc, @p, @svc, @type, @start, @end, @bs, @be, @name, @phone, @email, @notes, @method, 'booked', @now, @now)
            """, conn, tx))
        {
            insert.Parameters.AddWithValue("t", scope.TenantId);
            insert.Parameters.AddWithValue("e", scope.EnvName);
            insert.Parameters.AddWithValue("id", id);
            insert.Parameters.AddWithValue("loc", draft.LocationId);
            insert.Parameters.AddWithValue("p", ProviderId);
            insert.Parameters.AddWithValue("svc", draft.Service.ServiceId);
            insert.Parameters.AddWithValue("type", draft.Service.Name);
            insert.Parameters.AddWithValue("start", start);
            insert.Parameters.AddWithValue("end", end);
            insert.Parameters.AddWithValue("bs", blockStart);
            insert.Parameters.AddWithValue("be", blockEnd);
            insert.Parameters.AddWithValue("name", draft.Request.CustomerName);
            insert.Parameters.AddWithValue("phone", draft.Request.CustomerPhone);
            insert.Parameters.AddWithValue("email", (object?)draft.Request.CustomerEmail ?? DBNull.Value);
            insert.Parameters.AddWithValue("notes", (object?)draft.Request.Notes ?? DBNull.Value);
            insert.Parameters.AddWithValue("method", (short)draft.Request.BookingMethod);
            insert.Parameters.AddWithValue("now", now);
            try
            {
                await insert.ExecuteNonQueryAsync();
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ExclusionViolation)
            {
                throw new CloudFranException(409, CalendarErrors.SlotUnavailable, "That time was just taken.");
            }
        }
        var view = new AppointmentView(id, draft.LocationId, ProviderId, draft.Service.Name, start, end, draft.Request.CustomerName,
            draft.Request.CustomerPhone, draft.Request.CustomerEmail, draft.Request.Notes, draft.Request.BookingMethod, false, null, null, now);
        await EventOutbox.AppendAsync(conn, tx, scope, "appointment.booked", view, $"appointment.booked:{id}");
        await tx.CommitAsync();
        return view;
    }

    public async Task<AppointmentView> CancelAsync(string appointmentId, string? reason, string? message)
    {
        var scope = Scope;
        await using var conn = await db.Source.OpenConnectionAsync();
        await using var tx = await conn.BeginTransactionAsync();
        await using var cmd = new NpgsqlCommand(
            $"""
            UPDATE appointments SET status = 'cancelled', cancel_reason = @reason, cancel_message = @message, last_modified = @now
             WHERE tenant_id = @t AND env = @e AND appointment_id = @id AND provider_id = @p AND status = 'booked'
            RETURNING {AppointmentDirectoryGrain.Columns}
            """, conn, tx);
        cmd.Parameters.AddWithValue("reason", (object?)reason ?? DBNull.Value);
        cmd.Parameters.AddWithValue("message", (object?)message ?? DBNull.Value);
        cmd.Parameters.AddWithValue("now", clock.GetUtcNow());
        cmd.Parameters.AddWithValue("t", scope.TenantId);
        cmd.Parameters.AddWithValue("e", scope.EnvName);
        cmd.Parameters.AddWithValue("id", appointmentId);
        cmd.Parameters.AddWithValue("p", ProviderId);
        AppointmentView? view = null;
        await using (var reader = await cmd.ExecuteReaderAsync())
        {
            if (await reader.ReadAsync())
            {
                view = AppointmentDirectoryGrain.Read(reader);
            }
        }
        if (view is null)
        {
            throw CloudFranException.Conflict("The appointment is not booked (already cancelled?).");
        }
        await EventOutbox.AppendAsync(conn, tx, scope, "appointment.cancelled", view, $"appointment.cancelled:{appointmentId}");
        await tx.CommitAsync();
        return view;
    }
}

/// <summary>See <see cref="IAppointmentDirectoryGrain"/>.</summary>
[StatelessWorker, Reentrant]
public sealed class AppointmentDirectoryGrain(PlatformDb db) : Grain, IAppointmentDirectoryGrain
{
    public const string Columns =
        "appointment_id, location_id, provider_id, service_type, start_at, end_at, customer_name, customer_phone, customer_email, notes, booking_method, status, cancel_reason, cancel_message, last_modified";

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
        r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.Time("start_at"), r.Time("end_at"), r.GetString(6),
        r.GetString(7), r.NullableString("customer_email"), r.NullableString("notes"), r.GetInt16(10), r.GetString(11) == "cancelled",
        r.NullableString("cancel_reason"), r.NullableString("cancel_message"), r.Time("last_modified"));
}
