using CloudFran.Abstractions.Calendar;
using CloudFran.Abstractions.Errors;
using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Platform;
using CloudFran.Grains.Events;
using CloudFran.Grains.Storage;
using System.Security.Cryptography;
using Npgsql;

namespace CloudFran.Grains.Calendar;

/// <summary>
/// See <see cref="IProviderScheduleGrain"/>. Bookings of one provider run one at a time here; the overlap check and
/// the insert are in one transaction, and the table's exclusion constraint refuses an overlap regardless.
/// </summary>
public sealed class ProviderScheduleGrain(PlatformDb db, TimeProvider clock) : Grain, IProviderScheduleGrain
{
    public const string HoldExpired = "HOLD_EXPIRED";
    private TenantScope Scope => _key.Scope;
    private string ProviderId => _key.Name;
    private ScopedKey _key;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _key = ScopedKey.Parse(this.GetPrimaryKeyString());
        return Task.CompletedTask;
    }

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
        return view ?? throw new CloudFranException(ErrorKind.Conflict, HoldExpired, "The hold has expired or was released.");
    }

    public async Task<AppointmentView> ReleaseHoldAsync(string holdId) =>
        await UpdateAsync(holdId, "status = 'released', hold_expires_at = NULL", "status = 'held'", emit: null)
        ?? throw new CloudFranException(ErrorKind.Conflict, HoldExpired, "The hold has expired or was released.");

    public async Task<AppointmentView> MoveHereAsync(string appointmentId, BookingDraft draft)
    {
        await ReleaseExpiredAsync();
        var start = draft.Start.ToUniversalTime();
        var end = start.AddMinutes(draft.Service.DurationMinutes);
        var bs = start.AddMinutes(-draft.Service.BufferBeforeMinutes);
        var be = end.AddMinutes(draft.Service.BufferAfterMinutes);
        try
        {
            var seats = await PickSeatsAsync(db, bs, be, draft.Request.PartySize, appointmentId);
            // One statement: the new slot is taken and the old one freed atomically; the exclusion constraint
            // refuses the move if the new block shares a seat with anything else of this provider at that time.
            return await UpdateAsync(appointmentId,
                       """
                       provider_id = @provider, start_at = @start, end_at = @end, block_start = @bs, block_end = @be,
                       service_id = @svc, service_type = @type, seat_set = (SELECT range_agg(int4range(s, s + 1)) FROM unnest(@seats::int[]) s)
                       """,
                       "status = 'booked'",
                       ("provider", ProviderId), ("start", start), ("end", end), ("bs", bs), ("be", be),
                       ("svc", draft.Service.ServiceId), ("type", draft.Service.Name), ("seats", (object)seats))
                   ?? throw CloudFranException.Conflict("Only booked appointments can be rescheduled.");
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ExclusionViolation)
        {
            throw new CloudFranException(ErrorKind.Conflict, CalendarErrors.SlotUnavailable, "That time was just taken.");
        }
    }

    public async Task<AppointmentView> SetParkedAsync(string appointmentId, bool parked)
    {
        try
        {
            if (!parked)
            {
                // Back into the calendar on whichever seats are free now (the old ones may have been given away).
                await ReleaseExpiredAsync();
                var scope = Scope;
                var rows = await db.QueryAsync(
                    "SELECT block_start, block_end, party_size FROM appointments WHERE tenant_id = @t AND env = @e AND appointment_id = @id AND provider_id = @p AND status = 'booked'",
                    r => (Start: r.Time("block_start"), End: r.Time("block_end"), Party: (int)r.GetInt16(2)),
                    ("t", scope.TenantId), ("e", scope.EnvName), ("id", appointmentId), ("p", ProviderId));
                if (rows.Count == 1)
                {
                    var row = rows[0];
                    var seats = await PickSeatsAsync(db, row.Start, row.End, row.Party, appointmentId);
                    return await UpdateAsync(appointmentId, "parked = false, seat_set = (SELECT range_agg(int4range(s, s + 1)) FROM unnest(@seats::int[]) s)",
                               "status = 'booked'", ("seats", (object)seats))
                           ?? throw CloudFranException.Conflict("Only booked appointments can be parked or unparked.");
                }
            }
            return await UpdateAsync(appointmentId, "parked = @parked", "status = 'booked'", ("parked", parked))
                   ?? throw CloudFranException.Conflict("Only booked appointments can be parked or unparked.");
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ExclusionViolation)
        {
            throw new CloudFranException(ErrorKind.Conflict, CalendarErrors.SlotUnavailable, "The slot was taken while the appointment was parked.");
        }
    }

    public async Task<AppointmentView> CancelAsync(string appointmentId, string? reason, string? message) =>
        await UpdateAsync(appointmentId, "status = 'cancelled', cancel_reason = @reason, cancel_message = @message, cancelled_at = @now", "status = 'booked'",
            emit: "appointment.cancelled", ("reason", reason), ("message", message))
        ?? throw CloudFranException.Conflict("The appointment is not booked (already cancelled?).");

    public async Task<AppointmentView> SetNotesAsync(string appointmentId, string? notes) =>
        await UpdateAsync(appointmentId, "notes = @notes", "status IN ('booked', 'cancelled')", ("notes", notes))
        ?? throw CloudFranException.NotFound("Appointment");

    public async Task<string> IssueFeedTokenAsync()
    {
        var scope = Scope;
        await RequireProviderAsync();
        var token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        await using var tx = await db.BeginAsync();
        await tx.ExecuteAsync(
            """
            DELETE FROM calendar_feed_tokens WHERE tenant_id = @t AND env = @e AND provider_id = @p;
            INSERT INTO calendar_feed_tokens (token_hash, tenant_id, env, provider_id, created_at) VALUES (@h, @t, @e, @p, @now);
            """,
            ("t", scope.TenantId), ("e", scope.EnvName), ("p", ProviderId), ("h", FeedTokens.Hash(token)), ("now", clock.GetUtcNow()));
        await tx.CommitAsync();
        return token;
    }

    public async Task<bool> RevokeFeedTokenAsync()
    {
        var scope = Scope;
        await RequireProviderAsync();
        return await db.ExecuteAsync("DELETE FROM calendar_feed_tokens WHERE tenant_id = @t AND env = @e AND provider_id = @p",
            ("t", scope.TenantId), ("e", scope.EnvName), ("p", ProviderId)) > 0;
    }

    private async Task RequireProviderAsync()
    {
        var scope = Scope;
        var exists = await db.ScalarAsync<string>("SELECT provider_id FROM calendar_providers WHERE tenant_id = @t AND env = @e AND provider_id = @p",
            ("t", scope.TenantId), ("e", scope.EnvName), ("p", ProviderId));
        if (exists is null)
        {
            throw CloudFranException.NotFound("Provider");
        }
    }

    /// <summary>
    /// The lowest seat numbers free for the whole block [<paramref name="from"/>, <paramref name="to"/>): a seat is
    /// taken when any live (held or booked, unparked) block of this provider overlapping it holds that seat — the
    /// same rule the exclusion constraint applies. 409 SLOT_UNAVAILABLE when fewer than the party are free.
    /// </summary>
    private async Task<int[]> PickSeatsAsync(ISql sql, DateTimeOffset from, DateTimeOffset to, int party, string? ignore)
    {
        var scope = Scope;
        var (capacity, taken) = (await sql.QueryAsync(
            """
            SELECT coalesce((SELECT seats FROM calendar_providers WHERE tenant_id = @t AND env = @e AND provider_id = @p), 1),
                   ARRAY(SELECT DISTINCT g::int FROM appointments a, unnest(a.seat_set) r, generate_series(lower(r), upper(r) - 1) g
                          WHERE a.tenant_id = @t AND a.env = @e AND a.provider_id = @p AND NOT a.parked AND a.status IN ('held', 'booked')
                            AND a.appointment_id <> @ignore AND a.block_start < @to AND a.block_end > @from)
            """,
            r => (Capacity: (int)r.GetInt16(0), Taken: r.GetFieldValue<int[]>(1).ToHashSet()),
            ("t", scope.TenantId), ("e", scope.EnvName), ("p", ProviderId), ("ignore", ignore ?? ""), ("from", from.ToUniversalTime()),
            ("to", to.ToUniversalTime())))[0];
        if (party < 1 || party > capacity)
        {
            throw CloudFranException.Invalid("partySize", $"partySize must be between 1 and {capacity} for this provider.");
        }
        var free = Enumerable.Range(0, capacity).Where(s => !taken.Contains(s)).Take(party).ToArray();
        return free.Length == party ? free : throw new CloudFranException(ErrorKind.Conflict, CalendarErrors.SlotUnavailable, "That time was just taken.");
    }

    private async Task<AppointmentView> InsertAsync(BookingDraft draft, TimeSpan? holdFor)
    {
        var scope = Scope;
        await ReleaseExpiredAsync();
        var start = draft.Start.ToUniversalTime();
        var end = start.AddMinutes(draft.Service.DurationMinutes);
        var now = clock.GetUtcNow();
        var id = Ids.New("apt");
        var bs = start.AddMinutes(-draft.Service.BufferBeforeMinutes);
        var be = end.AddMinutes(draft.Service.BufferAfterMinutes);
        await using var tx = await db.BeginAsync();
        var seats = await PickSeatsAsync(tx, bs, be, draft.Request.PartySize, null);
        AppointmentView view;
        var r = draft.Request;
        try
        {
            view = (await tx.QueryAsync(
                $"""
                INSERT INTO appointments (tenant_id, env, appointment_id, location_id, provider_id, service_id, service_type, start_at, end_at,
                                          block_start, block_end, customer_name, customer_phone, customer_email, notes, booking_method,
                                          status, hold_expires_at, parent_appointment_id, created_at, last_modified, party_size, seat_set)
                VALUES (@t, @e, @id, @loc, @p, @svc, @type, @start, @end, @bs, @be, @name, @phone, @email, @notes, @method,
                        @status, @expires, @parent, @now, @now, @party, (SELECT range_agg(int4range(s, s + 1)) FROM unnest(@seats::int[]) s))
                RETURNING {AppointmentDirectoryGrain.Columns}
                """,
                AppointmentDirectoryGrain.Read,
                ("t", scope.TenantId), ("e", scope.EnvName), ("id", id), ("loc", draft.LocationId), ("p", ProviderId),
                ("svc", draft.Service.ServiceId), ("type", draft.Service.Name), ("start", start), ("end", end), ("bs", bs), ("be", be),
                ("party", (short)seats.Length), ("seats", seats), ("name", holdFor is null ? r.CustomerName : null),
                ("phone", holdFor is null ? r.CustomerPhone : null), ("email", r.CustomerEmail), ("notes", r.Notes),
                ("method", (short)r.BookingMethod), ("status", holdFor is null ? "booked" : "held"),
                ("expires", holdFor is { } ttl ? now + ttl : null), ("parent", r.ParentAppointmentId), ("now", now)))[0];
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ExclusionViolation)
        {
            throw new CloudFranException(ErrorKind.Conflict, CalendarErrors.SlotUnavailable, "That time was just taken.");
        }
        if (holdFor is null)
        {
            await EventOutbox.AppendAsync(tx, scope, "appointment.booked", view, $"appointment.booked:{id}");
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
        await using var tx = await db.BeginAsync();
        var view = await tx.QuerySingleAsync(
            $"""
            UPDATE appointments SET {set}, last_modified = @now
             WHERE tenant_id = @t AND env = @e AND appointment_id = @id AND {guard}
               AND (provider_id = @me OR @moving)
            RETURNING {AppointmentDirectoryGrain.Columns}
            """,
            AppointmentDirectoryGrain.Read,
            [("now", clock.GetUtcNow()), ("t", scope.TenantId), ("e", scope.EnvName), ("id", appointmentId), ("me", ProviderId),
             ("moving", set.Contains("provider_id = @provider", StringComparison.Ordinal)), .. args]);
        if (view is not null && emit is not null)
        {
            var type = set.StartsWith("status = 'booked'", StringComparison.Ordinal) ? "appointment.booked" : emit;
            await EventOutbox.AppendAsync(tx, scope, type, view, $"{type}:{appointmentId}:{view.LastModified.UtcTicks}");
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
