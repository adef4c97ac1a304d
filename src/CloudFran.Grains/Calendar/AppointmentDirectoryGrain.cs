using CloudFran.Abstractions.Calendar;
using CloudFran.Abstractions.Errors;
using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Platform;
using CloudFran.Grains.Storage;
using Npgsql;
using Orleans.Concurrency;

namespace CloudFran.Grains.Calendar;

/// <summary>See <see cref="IAppointmentDirectoryGrain"/>.</summary>
[StatelessWorker, Reentrant]
public sealed partial class AppointmentDirectoryGrain(PlatformDb db) : Grain, IAppointmentDirectoryGrain
{
    public const string Columns =
        "appointment_id, location_id, provider_id, service_type, start_at, end_at, customer_name, customer_phone, customer_email, notes, booking_method, status, cancel_reason, cancel_message, last_modified, parked, parent_appointment_id, hold_expires_at, party_size, seat_set::text AS seat_set, created_at, cancelled_at, service_id";

    private TenantScope Scope { get; set; }

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        Scope = ScopedKey.Parse(this.GetPrimaryKeyString()).Scope;
        return Task.CompletedTask;
    }

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
        return await db.PageAsync(
            $"""
            SELECT {Columns}, count(*) OVER () AS total FROM appointments
             WHERE tenant_id = @t AND env = @e
               AND (@from::timestamptz IS NULL OR start_at >= @from::timestamptz)
               AND (@to::timestamptz IS NULL OR start_at < @to::timestamptz)
               AND (@p::text IS NULL OR provider_id = @p::text)
               AND (@s::text IS NULL OR status = @s::text)
               AND (@s::text IS NOT NULL OR status <> 'released')
               AND (@lm::timestamptz IS NULL OR last_modified > @lm::timestamptz)
             ORDER BY start_at, appointment_id
            """,
            Read, q.Page, q.PageSize,
            ("t", scope.TenantId), ("e", scope.EnvName), ("from", q.From?.ToUniversalTime()), ("to", q.To?.ToUniversalTime()),
            ("p", q.ProviderId), ("s", q.Status), ("lm", q.LastModifiedAfter?.ToUniversalTime()));
    }

    private static string CenterSelect(string extra = "") =>
        $"""
        SELECT {Qualified}, coalesce(l.doc->>'timezone', 'UTC') AS tz,
               coalesce(s.duration_minutes, (extract(epoch FROM a.end_at - a.start_at) / 60)::int) AS duration{extra}
          FROM appointments a
          LEFT JOIN locations l ON l.tenant_id = a.tenant_id AND l.env = a.env AND l.location_id = a.location_id
          LEFT JOIN calendar_services s ON s.tenant_id = a.tenant_id AND s.env = a.env AND s.service_id = a.service_id
        """;

    private static readonly string Qualified = string.Join(", ", Columns.Split(", ").Select(c => "a." + c));

    public async Task<CenterAppointment> GetForCenterAsync(string appointmentId)
    {
        var scope = Scope;
        return await db.QuerySingleAsync($"{CenterSelect()} WHERE a.tenant_id = @t AND a.env = @e AND a.appointment_id = @id AND a.status IN ('booked', 'cancelled')",
                   ReadCenter, ("t", scope.TenantId), ("e", scope.EnvName), ("id", appointmentId))
               ?? throw CloudFranException.NotFound("Appointment");
    }

    public async Task<PagedList<CenterAppointment>> ListForCenterAsync(CenterAppointmentQuery q)
    {
        var scope = Scope;
        var page = await db.PageAsync(
            $"""
            {CenterSelect(", count(*) OVER () AS total")}
             WHERE a.tenant_id = @t AND a.env = @e AND a.status IN ('booked', 'cancelled')
               AND (@loc::text IS NULL OR a.location_id = @loc::text)
               AND (@lm::timestamptz IS NULL OR a.last_modified > @lm::timestamptz)
               AND (@from::timestamptz IS NULL OR a.start_at >= @from::timestamptz)
               AND (@to::timestamptz IS NULL OR a.start_at < @to::timestamptz)
               AND (@p::text IS NULL OR a.provider_id = @p::text)
               AND (@c::boolean IS NULL OR (a.status = 'cancelled') = @c::boolean)
             ORDER BY a.start_at, a.appointment_id
            """,
            ReadCenter, q.Page, q.Limit,
            ("t", scope.TenantId), ("e", scope.EnvName), ("loc", q.LocationId), ("lm", q.LastModifiedAfter?.ToUniversalTime()),
            ("from", q.From?.ToUniversalTime()), ("to", q.To?.ToUniversalTime()), ("p", q.ProviderId), ("c", q.Cancelled));
        return page;
    }

    private static CenterAppointment ReadCenter(NpgsqlDataReader r) =>
        new(Read(r), r.GetString(r.GetOrdinal("tz")), r.GetInt32(r.GetOrdinal("duration")));

    public static AppointmentView Read(NpgsqlDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.Time("start_at"), r.Time("end_at"),
        r.NullableString("customer_name") ?? "", r.NullableString("customer_phone") ?? "", r.NullableString("customer_email"),
        r.NullableString("notes"), r.GetInt16(10), r.GetString(11) == "cancelled", r.NullableString("cancel_reason"),
        r.NullableString("cancel_message"), r.Time("last_modified"), r.GetString(11), r.GetBoolean(15),
        r.NullableString("parent_appointment_id"), r.NullableTime("hold_expires_at"), r.GetInt16(18), ParseSeats(r.GetString(19)),
        r.Time("created_at"), r.NullableTime("cancelled_at"), r.GetString(22));

    /// <summary>Seat numbers of a multirange literal such as <c>{[0,2),[4,5)}</c>.</summary>
    public static IReadOnlyList<int> ParseSeats(string multirange)
    {
        var seats = new List<int>();
        foreach (System.Text.RegularExpressions.Match m in SeatRange().Matches(multirange))
        {
            var lo = int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            var hi = int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
            for (var s = lo; s < hi; s++) seats.Add(s);
        }
        return seats;
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"\[(\d+),(\d+)\)")]
    private static partial System.Text.RegularExpressions.Regex SeatRange();
}
