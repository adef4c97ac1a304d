using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using CloudFran.Abstractions.Calendar;
using CloudFran.Abstractions.Errors;
using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Platform;
using CloudFran.Abstractions.Validation;
using CloudFran.Web.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace CloudFran.Web.Calendar;

/// <summary>
/// The Scheduling Center appointments surface (<c>/api/appointments</c>): the seed's field names, franchise scoping,
/// page/limit pagination with total, the <c>fields</c> filter, JSON/XML/CSV output (by extension or Accept), HTTP
/// Basic with a platform API key. Every write goes through the same grains as <c>/v1/calendar</c>.
/// </summary>
public static partial class SchedulingCenterApi
{
    private static readonly JsonSerializerOptions Output = new(JsonSerializerDefaults.General);

    /// <summary>The appointment's own fields, in the seed's order (party_size is this platform's addition for seats).</summary>
    public static readonly string[] BaseFields =
    [
        "id", "type_id", "franchise_id", "contact_id", "invoice_id", "created_by_id", "modified_by_id", "employee_id",
        "start_datetime", "end_datetime", "vehicle_id", "notes", "date_created", "last_modified", "cancelled",
        "cancellation_reason", "cancellation_message", "cancelled_by_id", "date_cancelled", "parked", "parked_by_employee_id",
        "parent_appointment_id", "address_id", "appointments_booking_method_id", "party_size",
    ];

    private static readonly string[] TypeFields = ["id", "name", "short_name", "lookupKey", "duration", "isJobType", "active"];
    private static readonly string[] ContactFields = ["name", "phone", "email"];

    /// <summary>Association name in records → its table name in the fields filter and the "fields" echo.</summary>
    private static readonly (string Node, string Table, string Echo, string[] Fields)[] Associations =
    [
        ("appointments_type", "appointments_types", "AppointmentsTypes", TypeFields),
        ("contact", "contacts", "Contacts", ContactFields),
    ];

    private static readonly string[] CreateFields =
    [
        "franchise_id", "service_type", "start_datetime", "end_datetime", "employee_id", "notes", "appointments_booking_method_id",
        "parent_appointment_id", "contact_name", "contact_phone", "contact_email", "party_size",
    ];

    private static readonly string[] UpdateFields =
        ["start_datetime", "employee_id", "notes", "cancelled", "cancellation_reason", "cancellation_message", "parked"];

    public static RouteGroupBuilder MapSchedulingCenterApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api").WithTags("Scheduling Center").RequireTenant(Role.Viewer).WithMetadata(new BasicKeyLogin());

        group.MapGet("/appointments", (HttpContext http, IGrainFactory grains) => ListAsync(http, grains, null))
            .WithName("CenterListAppointments")
            .WithSummary("Scheduling Center: appointments (franchise_id, last_modified_after, date_from/date_to, employee_id, cancelled; page, limit; fields).");
        group.MapGet("/appointments.{format}", (string format, HttpContext http, IGrainFactory grains) => ListAsync(http, grains, format))
            .WithName("CenterListAppointmentsAs").WithSummary("Scheduling Center: appointments as .json, .xml or .csv.");

        group.MapGet("/appointments/{id}", async (string id, HttpContext http, IGrainFactory grains) =>
            {
                var (appointmentId, format) = SplitFormat(id, http);
                var fields = FieldSelection.Parse(http.Request.Query["fields"]);
                var found = await grains.GetAppointmentDirectory(http.Caller().Scope).GetForCenterAsync(RequireAppointment(appointmentId));
                return Write(http, format, "appointment", [Record(found)], fields, null, 200);
            })
            .WithName("CenterGetAppointment").WithSummary("Scheduling Center: one appointment (append .json/.xml/.csv or send Accept).");

        group.MapPost("/appointments", (HttpContext http, IGrainFactory grains) => CreateAsync(http, grains, null))
            .RequireTenant(Role.Agent)
            .WithName("CenterCreateAppointment")
            .WithSummary("Scheduling Center: book (franchise_id, service_type, start_datetime, contact_name, contact_phone, …) through the calendar grains; 409 SLOT_UNAVAILABLE when taken.");
        group.MapPost("/appointments.{format}", (string format, HttpContext http, IGrainFactory grains) => CreateAsync(http, grains, format))
            .RequireTenant(Role.Agent)
            .WithName("CenterCreateAppointmentAs").WithSummary("Scheduling Center: book, answering in .json, .xml or .csv.");

        group.MapMethods("/appointments/{id}", ["PUT", "PATCH"], (string id, HttpContext http, IGrainFactory grains) => UpdateAsync(id, http, grains))
            .RequireTenant(Role.Agent)
            .WithName("CenterUpdateAppointment")
            .WithSummary("Scheduling Center: reschedule (start_datetime, employee_id), notes, cancel (cancelled, cancellation_reason, cancellation_message), park/unpark (parked).");

        group.MapDelete("/appointments/{id}", async (string id, HttpContext http, IGrainFactory grains) =>
            {
                var (appointmentId, format) = SplitFormat(id, http);
                var message = http.Request.Query["cancellation_message"].ToString() is { Length: > 0 } m ? m : null;
                var check = new Check().Text("cancellation_message", message, 1000);
                var reason = Reason(check, http.Request.Query["cancellation_reason"].ToString());
                check.ThrowIfInvalid();
                var scope = http.Caller().Scope;
                var current = await grains.GetAppointmentDirectory(scope).GetForCenterAsync(RequireAppointment(appointmentId));
                await grains.GetProviderSchedule(scope, current.Appointment.ProviderId).CancelAsync(appointmentId, reason, message);
                var after = await grains.GetAppointmentDirectory(scope).GetForCenterAsync(appointmentId);
                return Write(http, format, "appointment", [Record(after)], FieldSelection.All, null, 200);
            })
            .RequireTenant(Role.Agent)
            .WithName("CenterDeleteAppointment").WithSummary("Scheduling Center: delete = cancel (optional cancellation_reason, cancellation_message in the query); the record stays, cancelled.");

        return group;
    }

    private static async Task<IResult> ListAsync(HttpContext http, IGrainFactory grains, string? extension)
    {
        var format = Format(extension, http);
        var q = http.Request.Query;
        var check = new Check();
        string? location = null;
        var franchise = q["franchise_id"].ToString();
        if (franchise.Length > 0 && franchise != "0")
        {
            if (Ids.IsValid(franchise, "loc")) location = franchise;
            else check.Invalid("franchise_id", "franchise_id must be a location id (loc_…) or 0 for every location.");
        }
        var modifiedAfter = Instant(check, q["last_modified_after"], "last_modified_after");
        var from = Instant(check, q["date_from"], "date_from");
        var to = Instant(check, q["date_to"], "date_to");
        if (from is not null && to is not null && to < from) check.Invalid("date_to", "date_to must not be before date_from.");
        var employee = q["employee_id"].ToString();
        if (employee.Length > 0 && !Ids.IsValid(employee, "prv")) check.Invalid("employee_id", "employee_id must be a provider id (prv_…).");
        bool? cancelled = null;
        if (q["cancelled"].ToString() is { Length: > 0 } c)
        {
            cancelled = Bool(c);
            if (cancelled is null) check.Invalid("cancelled", "cancelled must be true or false.");
        }
        var page = check.Int(http, "page", 1, 1, 1_000_000);
        var limit = check.Int(http, "limit", 10, 1, 1000);
        var fields = FieldSelection.Parse(q["fields"]);
        check.ThrowIfInvalid();
        var result = await grains.GetAppointmentDirectory(http.Caller().Scope).ListForCenterAsync(new CenterAppointmentQuery(
            location, modifiedAfter, from, to, employee.Length == 0 ? null : employee, cancelled, page, limit));
        return Write(http, format, "appointments", result.Data.Select(Record).ToList(), fields, (result.Total, page, limit), 200);
    }

    private static async Task<IResult> CreateAsync(HttpContext http, IGrainFactory grains, string? extension)
    {
        var format = Format(extension, http);
        var body = await ReadBodyAsync(http, CreateFields);
        var check = new Check()
            .Required("franchise_id", body.GetValueOrDefault("franchise_id"), 40)
            .Required("service_type", body.GetValueOrDefault("service_type"), 100)
            .Required("contact_name", body.GetValueOrDefault("contact_name"), 200)
            .Required("contact_phone", body.GetValueOrDefault("contact_phone"), 20).Phone("contact_phone", body.GetValueOrDefault("contact_phone"))
            .Email("contact_email", body.GetValueOrDefault("contact_email"))
            .Text("notes", body.GetValueOrDefault("notes"), 2000);
        var franchise = body.GetValueOrDefault("franchise_id");
        if (franchise is not null && !Ids.IsValid(franchise, "loc")) check.Invalid("franchise_id", "franchise_id must be a location id (loc_…).");
        var start = LocalInstant(check, body.GetValueOrDefault("start_datetime"), "start_datetime", required: true);
        var end = LocalInstant(check, body.GetValueOrDefault("end_datetime"), "end_datetime", required: false);
        if (start is not null && end is not null && end <= start) check.Invalid("end_datetime", "end_datetime must be after start_datetime.");
        var employee = body.GetValueOrDefault("employee_id");
        if (employee is not null && !Ids.IsValid(employee, "prv")) check.Invalid("employee_id", "employee_id must be a provider id (prv_…).");
        var parent = body.GetValueOrDefault("parent_appointment_id");
        if (parent is not null && !Ids.IsValid(parent, "apt")) check.Invalid("parent_appointment_id", "parent_appointment_id must be an appointment id (apt_…).");
        var method = Integer(check, body.GetValueOrDefault("appointments_booking_method_id"), "appointments_booking_method_id", 1, 3) ?? 1;
        var party = Integer(check, body.GetValueOrDefault("party_size"), "party_size", 1, 50) ?? 1;
        check.ThrowIfInvalid();
        var scope = http.Caller().Scope;
        var booked = await grains.GetLocationCalendar(scope, franchise!).BookAsync(new BookingRequest(body["service_type"]!, start!.Value, employee,
            body["contact_name"]!.Trim(), body["contact_phone"]!, body.GetValueOrDefault("contact_email"), body.GetValueOrDefault("notes"),
            method, parent, party));
        if (end is not null && end != booked.End)
        {
            // The service decides the length; a differing end_datetime is reported, not silently dropped.
            http.Response.Headers["X-Warning"] = "end_datetime is derived from the service duration";
        }
        var created = await grains.GetAppointmentDirectory(scope).GetForCenterAsync(booked.AppointmentId);
        http.Response.Headers.Location = $"/api/appointments/{booked.AppointmentId}";
        return Write(http, format, "appointment", [Record(created)], FieldSelection.All, null, 201);
    }

    private static async Task<IResult> UpdateAsync(string id, HttpContext http, IGrainFactory grains)
    {
        var (appointmentId, format) = SplitFormat(id, http);
        RequireAppointment(appointmentId);
        var body = await ReadBodyAsync(http, UpdateFields);
        var check = new Check().Text("notes", body.GetValueOrDefault("notes"), 2000)
            .Text("cancellation_message", body.GetValueOrDefault("cancellation_message"), 1000);
        var start = LocalInstant(check, body.GetValueOrDefault("start_datetime"), "start_datetime", required: false);
        var employee = body.GetValueOrDefault("employee_id");
        if (employee is not null && !Ids.IsValid(employee, "prv")) check.Invalid("employee_id", "employee_id must be a provider id (prv_…).");
        bool? cancelled = null, parked = null;
        if (body.TryGetValue("cancelled", out var c) && (cancelled = Bool(c)) is null) check.Invalid("cancelled", "cancelled must be true or false.");
        if (body.TryGetValue("parked", out var p) && (parked = Bool(p)) is null) check.Invalid("parked", "parked must be true or false.");
        var reason = Reason(check, body.GetValueOrDefault("cancellation_reason"));
        if (cancelled is not true && (body.ContainsKey("cancellation_reason") || body.ContainsKey("cancellation_message")))
        {
            check.Invalid("cancelled", "cancellation_reason and cancellation_message go with cancelled = true.");
        }
        if (cancelled is true && (start is not null || employee is not null))
        {
            check.Invalid("cancelled", "Cancel or reschedule in one request, not both.");
        }
        if (body.Count == 0) check.Invalid("body", "Send at least one of: " + string.Join(", ", UpdateFields) + ".");
        check.ThrowIfInvalid();

        var scope = http.Caller().Scope;
        var directory = grains.GetAppointmentDirectory(scope);
        var current = (await directory.GetForCenterAsync(appointmentId)).Appointment;
        if (current.Cancelled && (start is not null || employee is not null || parked is not null || cancelled is false))
        {
            throw CloudFranException.Conflict("A cancelled appointment cannot be rescheduled, parked or un-cancelled.");
        }
        // The step that can be refused (the new slot is taken: 409) runs first, so a refused request changes nothing;
        // the later steps cannot be refused once the input is valid.
        if (start is not null || employee is not null)
        {
            current = await grains.GetLocationCalendar(scope, current.LocationId)
                .RescheduleAsync(appointmentId, start ?? current.Start, employee ?? current.ProviderId);
        }
        if (body.ContainsKey("notes"))
        {
            current = await grains.GetProviderSchedule(scope, current.ProviderId).SetNotesAsync(appointmentId, body["notes"]);
        }
        if (parked is { } park && park != current.Parked)
        {
            current = await grains.GetProviderSchedule(scope, current.ProviderId).SetParkedAsync(appointmentId, park);
        }
        if (cancelled is true && !current.Cancelled)
        {
            var message = body.GetValueOrDefault("cancellation_message");
            await grains.GetProviderSchedule(scope, current.ProviderId).CancelAsync(appointmentId, reason, message);
        }
        var after = await directory.GetForCenterAsync(appointmentId);
        return Write(http, format, "appointment", [Record(after)], FieldSelection.All, null, 200);
    }

    /// <summary>One appointment in the seed's shape: ids mapped (franchise = location, employee = provider), local times with offsets.</summary>
    public static Dictionary<string, object?> Record(CenterAppointment item)
    {
        var a = item.Appointment;
        var zone = TimeZoneInfo.FindSystemTimeZoneById(item.Timezone);
        object? reason = a.CancelReason is null ? null
            : int.TryParse(a.CancelReason, NumberStyles.None, CultureInfo.InvariantCulture, out var code) ? code : a.CancelReason;
        return new Dictionary<string, object?>
        {
            ["id"] = a.AppointmentId,
            ["type_id"] = 1,
            ["franchise_id"] = a.LocationId,
            ["contact_id"] = null,
            ["invoice_id"] = null,
            ["created_by_id"] = null,
            ["modified_by_id"] = null,
            ["employee_id"] = a.ProviderId,
            ["start_datetime"] = Stamp(TimeZoneInfo.ConvertTime(a.Start, zone)),
            ["end_datetime"] = Stamp(TimeZoneInfo.ConvertTime(a.End, zone)),
            ["vehicle_id"] = null,
            ["notes"] = a.Notes,
            ["date_created"] = a.CreatedAt is { } created ? Stamp(created.ToUniversalTime()) : null,
            ["last_modified"] = Stamp(a.LastModified.ToUniversalTime()),
            ["cancelled"] = a.Cancelled,
            ["cancellation_reason"] = reason,
            ["cancellation_message"] = a.CancelMessage,
            ["cancelled_by_id"] = null,
            ["date_cancelled"] = a.Cancelled ? Stamp((a.CancelledAt ?? a.LastModified).ToUniversalTime()) : null,
            ["parked"] = a.Parked,
            ["parked_by_employee_id"] = null,
            ["parent_appointment_id"] = a.ParentAppointmentId,
            ["address_id"] = null,
            ["appointments_booking_method_id"] = a.BookingMethod,
            ["party_size"] = a.PartySize,
            ["appointments_type"] = new Dictionary<string, object?>
            {
                ["id"] = 1, ["name"] = a.ServiceType, ["short_name"] = null, ["lookupKey"] = a.ServiceId,
                ["duration"] = item.DurationMinutes * 60, ["isJobType"] = true, ["active"] = true,
            },
            ["contact"] = new Dictionary<string, object?> { ["name"] = a.CustomerName, ["phone"] = a.CustomerPhone, ["email"] = a.CustomerEmail },
        };
    }

    /// <summary>Format from a URL extension, else from Accept; JSON by default.</summary>
    private static string Format(string? extension, HttpContext http)
    {
        if (extension is not null)
        {
            return extension.ToLowerInvariant() switch
            {
                "json" => "json",
                "xml" => "xml",
                "csv" => "csv",
                _ => throw CloudFranException.Invalid("format", "The output format must be .json, .xml or .csv."),
            };
        }
        var accept = http.Request.Headers.Accept.ToString();
        if (accept.Contains("application/json", StringComparison.OrdinalIgnoreCase)) return "json";
        if (accept.Contains("/xml", StringComparison.OrdinalIgnoreCase)) return "xml";
        if (accept.Contains("/csv", StringComparison.OrdinalIgnoreCase)) return "csv";
        return "json";
    }

    private static (string Id, string Format) SplitFormat(string raw, HttpContext http)
    {
        var dot = raw.LastIndexOf('.');
        return dot < 0 ? (raw, Format(null, http)) : (raw[..dot], Format(raw[(dot + 1)..], http));
    }

    private static string RequireAppointment(string id) =>
        Ids.IsValid(id, "apt") ? id : throw CloudFranException.NotFound("Appointment");

    /// <summary>A JSON object or a form post, as field → text (the seed's clients post forms). Unknown fields are refused.</summary>
    private static async Task<Dictionary<string, string?>> ReadBodyAsync(HttpContext http, string[] allowed)
    {
        var values = new Dictionary<string, string?>(StringComparer.Ordinal);
        if (http.Request.HasFormContentType)
        {
            var form = await http.Request.ReadFormAsync();
            foreach (var (key, value) in form)
            {
                values[key] = value.ToString();
            }
        }
        else
        {
            JsonElement root;
            try
            {
                root = (await JsonDocument.ParseAsync(http.Request.Body)).RootElement;
            }
            catch (JsonException)
            {
                throw CloudFranException.Invalid("body", "The body must be a JSON object or a form post.");
            }
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw CloudFranException.Invalid("body", "The body must be a JSON object.");
            }
            foreach (var property in root.EnumerateObject())
            {
                values[property.Name] = property.Value.ValueKind switch
                {
                    JsonValueKind.String => property.Value.GetString(),
                    JsonValueKind.Number => property.Value.GetRawText(),
                    JsonValueKind.True => "true",
                    JsonValueKind.False => "false",
                    JsonValueKind.Null => null,
                    _ => throw CloudFranException.Invalid(property.Name, $"{property.Name} must be a plain value."),
                };
            }
        }
        var unknown = values.Keys.Where(k => !allowed.Contains(k)).ToList();
        if (unknown.Count > 0)
        {
            throw new CloudFranException(ErrorKind.Invalid, ErrorCodes.InvalidInput, $"Unknown or read-only field(s): {string.Join(", ", unknown)}.",
                unknown.Select(u => new FieldError(u, $"{u} is not accepted here; accepted: {string.Join(", ", allowed)}.")).ToList());
        }
        return values;
    }

    private static bool? Bool(string? raw) => raw?.Trim().ToLowerInvariant() switch
    {
        "true" or "1" => true,
        "false" or "0" => false,
        _ => null,
    };

    private static int? Integer(Check check, string? raw, string field, int min, int max)
    {
        if (raw is null) return null;
        if (int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max) return value;
        check.Invalid(field, $"{field} must be a whole number between {min} and {max}.");
        return null;
    }

    /// <summary>The seed's cancellation reason is a CancellationReason id (13 for all as of v1.6.3); the default is 13.</summary>
    private static string Reason(Check check, string? raw)
    {
        if (string.IsNullOrEmpty(raw)) return "13";
        return Integer(check, raw, "cancellation_reason", 1, 9999)?.ToString(CultureInfo.InvariantCulture) ?? "13";
    }

    private static DateTimeOffset? Instant(Check check, string? raw, string field)
    {
        if (string.IsNullOrEmpty(raw)) return null;
        if (DateTimeOffset.TryParse(raw, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var value)) return value;
        check.Invalid(field, $"{field} must be an ISO 8601 date or date-time.");
        return null;
    }

    /// <summary>A franchisee-local date-time: must carry its offset (e.g. 2026-03-02T10:00:00-06:00) so it is never ambiguous.</summary>
    private static DateTimeOffset? LocalInstant(Check check, string? raw, string field, bool required)
    {
        if (string.IsNullOrEmpty(raw))
        {
            if (required) check.Missing(field);
            return null;
        }
        if (OffsetSuffix().IsMatch(raw) && DateTimeOffset.TryParse(raw, CultureInfo.InvariantCulture, DateTimeStyles.None, out var value))
        {
            return value;
        }
        check.Invalid(field, $"{field} must be an ISO 8601 date-time with its offset, e.g. 2026-03-02T10:00:00-06:00.");
        return null;
    }

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$")]
    private static partial Regex OffsetSuffix();
}
