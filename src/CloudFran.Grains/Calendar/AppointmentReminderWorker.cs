using System.Globalization;
using CloudFran.Abstractions.Calendar;
using CloudFran.Abstractions.Errors;
using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Email;
using CloudFran.Abstractions.Messaging;
using CloudFran.Abstractions.Webhooks;
using CloudFran.Abstractions.Platform;
using CloudFran.Grains.Background;
using CloudFran.Grains.Events;
using CloudFran.Grains.Messaging;
using CloudFran.Grains.Storage;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace CloudFran.Grains.Calendar;

public sealed class ReminderSignal : WakeSignal;

/// <summary>
/// The day-before reminder: every minute, booked appointments starting within 24 hours that were not reminded get
/// an SMS through the messaging backbone (idempotency key per appointment, so a crash between the SMS and the mark
/// never texts twice; opted-out customers are skipped) and an <c>appointment.reminder</c> event, marked in one
/// transaction. Runs on every node; rows are claimed with SKIP LOCKED.
/// </summary>
public sealed partial class AppointmentReminderWorker(
    PlatformDb db, IGrainFactory grains, TimeProvider clock, ReminderSignal signal, ILogger<AppointmentReminderWorker> logger)
    : PollingWorker(signal, logger)
{
    public static readonly TimeSpan Lead = TimeSpan.FromHours(24);

    protected override TimeSpan PollInterval => TimeSpan.FromMinutes(1);

    public override async Task<int> RunOnceAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var tx = await db.BeginAsync(ct);
        var due = await tx.QueryAsync(
            $"""
            SELECT a.tenant_id, a.env, {string.Join(", ", AppointmentDirectoryGrain.Columns.Split(", ").Select(c => "a." + c))},
                   t.business_name, coalesce(l.doc->>'timezone', t.timezone) AS zone
              FROM appointments a
              JOIN tenants t ON t.tenant_id = a.tenant_id
              LEFT JOIN locations l ON l.tenant_id = a.tenant_id AND l.env = a.env AND l.location_id = a.location_id
             WHERE a.status = 'booked' AND a.reminder_sent_at IS NULL AND NOT a.parked
               AND a.start_at > @now AND a.start_at <= @until
             ORDER BY a.start_at LIMIT 200
             FOR UPDATE OF a SKIP LOCKED
            """,
            r => (Scope: TenantScope.Of(r.GetString(0), r.GetString(1)), Appointment: ReadShifted(r),
                  Business: r.GetString(r.GetOrdinal("business_name")), Zone: r.GetString(r.GetOrdinal("zone"))),
            ("now", now), ("until", now + Lead));
        foreach (var (scope, appointment, business, zoneId) in due)
        {
            var zone = TimeZoneInfo.FindSystemTimeZoneById(zoneId);
            var local = TimeZoneInfo.ConvertTime(appointment.Start, zone);
            var text = $"{business}: reminder of your {appointment.ServiceType} on {local.ToString("dddd MMMM d 'at' h:mm tt", CultureInfo.InvariantCulture)}. Reply STOP to opt out.";
            try
            {
                await grains.GetSmsSender(scope).SendAsync(new SmsSendRequest(appointment.CustomerPhone, text, null,
                    appointment.LocationId, $"appointment-reminder:{appointment.AppointmentId}"));
            }
            catch (CloudFranException e) when (e.Code == MessagingErrors.RecipientOptedOut || e.Kind == ErrorKind.Invalid)
            {
                LogSkipped(logger, appointment.AppointmentId, e.Code);
            }
            await tx.ExecuteAsync("UPDATE appointments SET reminder_sent_at = @now WHERE tenant_id = @t AND env = @e AND appointment_id = @id",
                ("now", now), ("t", scope.TenantId), ("e", scope.EnvName), ("id", appointment.AppointmentId));
            await EventOutbox.AppendAsync(tx, scope, "appointment.reminder", appointment, $"appointment.reminder:{appointment.AppointmentId}");
        }
        await tx.CommitAsync(ct);
        return due.Count;
    }

    /// <summary>Reads the appointment columns that follow tenant_id and env in the row.</summary>
    private static AppointmentView ReadShifted(NpgsqlDataReader r) => new(
        r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5), r.Time("start_at"), r.Time("end_at"),
        r.NullableString("customer_name") ?? "", r.NullableString("customer_phone") ?? "", r.NullableString("customer_email"),
        r.NullableString("notes"), r.GetInt16(12), false, null, null, r.Time("last_modified"), "booked", false,
        r.NullableString("parent_appointment_id"), null);

    [LoggerMessage(Level = LogLevel.Information, Message = "Reminder SMS for {AppointmentId} skipped ({Code})")]
    private static partial void LogSkipped(ILogger logger, string appointmentId, string code);
}
