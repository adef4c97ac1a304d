using System.Globalization;
using CloudFran.Abstractions.Calendar;
using CloudFran.Abstractions.Errors;
using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Locations;
using CloudFran.Abstractions.Platform;
using CloudFran.Abstractions.Validation;
using CloudFran.Web.Calendar;
using CloudFran.Web.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace CloudFran.Web.Calendar;

/// <summary>POST /v1/calendar/providers.</summary>
public sealed record ProviderRequest(string? LocationId, string? Name, string? Kind,
    IReadOnlyDictionary<string, IReadOnlyList<OpenInterval>>? WeeklyHours, IReadOnlyList<DateException>? Exceptions = null, int? Seats = null)
{
    public ProviderInput ToInput() => new(LocationId, Name, Kind, WeeklyHours, Exceptions, Seats);
}

/// <summary>POST /v1/calendar/services.</summary>
public sealed record ServiceRequest(string? LocationId, string? Name, int? DurationMinutes, int? BufferBeforeMinutes, int? BufferAfterMinutes,
    decimal? Price, IReadOnlyList<string>? ProviderIds)
{
    public ServiceInput ToInput() => new(LocationId, Name, DurationMinutes, BufferBeforeMinutes, BufferAfterMinutes, Price, ProviderIds);
}

/// <summary>PUT /v1/calendar/settings.</summary>
public sealed record CalendarSettingsRequest(int? MinNoticeMinutes, int? MaxAdvanceDays)
{
    public CalendarSettingsInput ToInput() => new(MinNoticeMinutes, MaxAdvanceDays);
}

public sealed record BookAppointmentRequest(string? LocationId, string? ServiceType, DateTimeOffset? Start, string? ProviderId,
    string? CustomerName, string? CustomerPhone, string? CustomerEmail, string? Notes, int? BookingMethod, int? PartySize = null);

public sealed record CancelAppointmentRequest(string? Reason, string? Message);

public sealed record HoldRequest(string? LocationId, string? ServiceType, DateTimeOffset? Start, string? ProviderId, int? Minutes, int? PartySize = null);

public sealed record FeedTokenView(string ProviderId, string Token, string Url);

public sealed record ConfirmHoldRequest(string? CustomerName, string? CustomerPhone, string? CustomerEmail, string? Notes,
    int? BookingMethod, string? ParentAppointmentId);

public sealed record RescheduleRequest(DateTimeOffset? Start, string? ProviderId);

public sealed record AgentAppointmentRequest(string? CustomerName, string? Phone, string? Email, string? Request, string? ServiceType, string? LocationId,
    int? PartySize = null);

/// <summary>Calendar: providers, services, availability and appointments (booked through the provider's grain).</summary>
public static class CalendarApi
{
    public static RouteGroupBuilder MapCalendarApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/calendar").WithTags("Calendar").RequireTenant(Role.Viewer);

        group.MapPost("/providers", async Task<Created<ProviderView>> (ProviderRequest body, HttpContext http, IGrainFactory grains) =>
            {
                var provider = await Calendar(grains, http, body.LocationId).AddProviderAsync(body.ToInput());
                return TypedResults.Created($"/v1/calendar/providers/{provider.ProviderId}", provider);
            })
            .RequireTenant(Role.Manager)
            .WithName("CreateProvider").WithSummary("A provider or resource (staff, room, chair, technician, table) of a location, with optional weekly hours.");

        group.MapGet("/providers", (HttpContext http, IGrainFactory grains) =>
                Calendar(grains, http, http.Request.Query["locationId"]).ListProvidersAsync())
            .WithName("ListProviders").WithSummary("Providers of a location (locationId required).");

        group.MapPost("/services", async Task<Created<ServiceView>> (ServiceRequest body, HttpContext http, IGrainFactory grains) =>
            {
                var service = await Calendar(grains, http, body.LocationId).AddServiceAsync(body.ToInput());
                return TypedResults.Created($"/v1/calendar/services/{service.ServiceId}", service);
            })
            .RequireTenant(Role.Manager)
            .WithName("CreateService").WithSummary("A bookable service: name, durationMinutes, buffers before/after, price, providerIds (empty = all).");

        group.MapGet("/services", (HttpContext http, IGrainFactory grains) =>
                Calendar(grains, http, http.Request.Query["locationId"]).ListServicesAsync())
            .WithName("ListServices").WithSummary("Services of a location (locationId required).");

        group.MapGet("/availability", (HttpContext http, IGrainFactory grains) =>
            {
                var check = new Check();
                var serviceType = check.Text(http, "serviceType", 100);
                if (serviceType is null) check.Missing("serviceType");
                var from = Date(check, http, "dateFrom", required: true);
                var to = Date(check, http, "dateTo", required: true);
                var providerId = http.Request.Query["providerId"].ToString() is { Length: > 0 } p ? p : null;
                if (providerId is not null && !Ids.IsValid(providerId, "prv")) check.Invalid("providerId", "providerId must be a provider id (prv_…).");
                var party = check.Int(http, "partySize", 1, 1, 50);
                check.ThrowIfInvalid();
                return Calendar(grains, http, http.Request.Query["locationId"])
                    .GetAvailabilityAsync(new AvailabilityQuery(serviceType!, from!.Value, to!.Value, providerId, party));
            })
            .WithName("GetAvailability").WithSummary("Free slots (location time zone, with offsets) for a service between dateFrom and dateTo (≤ 31 days); partySize for seated providers, with remainingSeats per slot.");

        group.MapGet("/settings", (HttpContext http, IGrainFactory grains) =>
                Calendar(grains, http, http.Request.Query["locationId"]).GetSettingsAsync())
            .WithName("GetCalendarSettings").WithSummary("The location's booking rules: minNoticeMinutes (default 0) and maxAdvanceDays (default 365).");

        group.MapPut("/settings", (CalendarSettingsRequest body, HttpContext http, IGrainFactory grains) =>
            {
                new Check().Range("minNoticeMinutes", body.MinNoticeMinutes, 0, 43_200).Range("maxAdvanceDays", body.MaxAdvanceDays, 1, 730).ThrowIfInvalid();
                return Calendar(grains, http, http.Request.Query["locationId"]).UpdateSettingsAsync(body.ToInput());
            })
            .RequireTenant(Role.Manager)
            .WithName("UpdateCalendarSettings").WithSummary("Set the location's booking rules (?locationId): bookings, holds, reschedules and the agent outside them get 422 BOOKING_TOO_SOON / BOOKING_TOO_FAR_AHEAD.");

        group.MapPost("/appointments", async Task<Created<AppointmentView>> (BookAppointmentRequest body, HttpContext http, IGrainFactory grains) =>
            {
                var check = new Check()
                    .Required("serviceType", body.ServiceType, 100)
                    .Required("customerName", body.CustomerName, 200)
                    .Required("customerPhone", body.CustomerPhone, 20).Phone("customerPhone", body.CustomerPhone)
                    .Email("customerEmail", body.CustomerEmail)
                    .Text("notes", body.Notes, 2000)
                    .Range("bookingMethod", body.BookingMethod, 1, 3)
                    .Range("partySize", body.PartySize, 1, 50);
                if (body.Start is null) check.Missing("start");
                if (body.ProviderId is not null && !Ids.IsValid(body.ProviderId, "prv")) check.Invalid("providerId", "providerId must be a provider id (prv_…).");
                check.ThrowIfInvalid();
                var appointment = await Calendar(grains, http, body.LocationId).BookAsync(new BookingRequest(body.ServiceType!, body.Start!.Value,
                    body.ProviderId, body.CustomerName!.Trim(), body.CustomerPhone!, body.CustomerEmail, body.Notes, body.BookingMethod ?? 2, null,
                    body.PartySize ?? 1));
                return TypedResults.Created($"/v1/calendar/appointments/{appointment.AppointmentId}", appointment);
            })
            .RequireTenant(Role.Agent)
            .WithName("BookAppointment").WithSummary("Book a slot (provider optional: assigned fairly); 409 SLOT_UNAVAILABLE with the nearest alternatives.");

        group.MapGet("/appointments", (HttpContext http, IGrainFactory grains) =>
            {
                var check = new Check();
                var from = Date(check, http, "dateFrom", required: false);
                var to = Date(check, http, "dateTo", required: false);
                var status = check.Enum(http, "status", ["booked", "cancelled"]);
                var providerId = http.Request.Query["providerId"].ToString() is { Length: > 0 } p ? p : null;
                DateTimeOffset? modifiedAfter = null;
                if (http.Request.Query["last_modified_after"].ToString() is { Length: > 0 } lm)
                {
                    if (DateTimeOffset.TryParse(lm, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var v)) modifiedAfter = v;
                    else check.Invalid("last_modified_after", "last_modified_after must be an ISO 8601 date-time.");
                }
                var page = check.Int(http, "page", 1, 1, 100_000);
                var pageSize = check.Int(http, "pageSize", 50, 1, 200);
                check.ThrowIfInvalid();
                return grains.GetAppointmentDirectory(http.Caller().Scope).ListAsync(new AppointmentQuery(
                    from is null ? null : new DateTimeOffset(from.Value.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero),
                    to is null ? null : new DateTimeOffset(to.Value.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero),
                    providerId, status, modifiedAfter, page, pageSize));
            })
            .WithName("ListAppointments").WithSummary("Appointments by date range (UTC days), provider, status, last_modified_after; paged.");

        group.MapGet("/appointments/{appointmentId}", (string appointmentId, HttpContext http, IGrainFactory grains) =>
                grains.GetAppointmentDirectory(http.Caller().Scope).GetAsync(RequireAppointment(appointmentId)))
            .WithName("GetAppointment").WithSummary("One appointment.");

        group.MapPost("/appointments/{appointmentId}/cancel", async (string appointmentId, CancelAppointmentRequest body, HttpContext http, IGrainFactory grains) =>
            {
                new Check().Text("reason", body.Reason, 100).Text("message", body.Message, 1000).ThrowIfInvalid();
                var scope = http.Caller().Scope;
                var appointment = await grains.GetAppointmentDirectory(scope).GetAsync(RequireAppointment(appointmentId));
                return await grains.GetProviderSchedule(scope, appointment.ProviderId).CancelAsync(appointmentId, body.Reason, body.Message);
            })
            .RequireTenant(Role.Agent)
            .WithName("CancelAppointment").WithSummary("Cancel with reason and message; the slot is free again.");

        group.MapPost("/holds", async Task<Created<AppointmentView>> (HoldRequest body, HttpContext http, IGrainFactory grains) =>
            {
                var check = new Check().Required("serviceType", body.ServiceType, 100).Range("minutes", body.Minutes, 1, 30).Range("partySize", body.PartySize, 1, 50);
                if (body.Start is null) check.Missing("start");
                if (body.ProviderId is not null && !Ids.IsValid(body.ProviderId, "prv")) check.Invalid("providerId", "providerId must be a provider id (prv_…).");
                check.ThrowIfInvalid();
                var hold = await Calendar(grains, http, body.LocationId).HoldAsync(
                    new BookingRequest(body.ServiceType!, body.Start!.Value, body.ProviderId, "", "", null, null, 2, null, body.PartySize ?? 1), body.Minutes ?? 5);
                return TypedResults.Created($"/v1/calendar/appointments/{hold.AppointmentId}", hold);
            })
            .RequireTenant(Role.Agent)
            .WithName("HoldSlot").WithSummary("Reserve a slot for minutes (default 5, max 30) so a phone or web flow can confirm without losing it.");

        group.MapPost("/holds/{holdId}/confirm", async Task<Created<AppointmentView>> (string holdId, ConfirmHoldRequest body, HttpContext http, IGrainFactory grains) =>
            {
                var check = new Check()
                    .Required("customerName", body.CustomerName, 200)
                    .Required("customerPhone", body.CustomerPhone, 20).Phone("customerPhone", body.CustomerPhone)
                    .Email("customerEmail", body.CustomerEmail).Text("notes", body.Notes, 2000).Range("bookingMethod", body.BookingMethod, 1, 3);
                if (body.ParentAppointmentId is not null && !Ids.IsValid(body.ParentAppointmentId, "apt")) check.Invalid("parentAppointmentId", "parentAppointmentId must be an appointment id.");
                check.ThrowIfInvalid();
                var scope = http.Caller().Scope;
                var hold = await grains.GetAppointmentDirectory(scope).GetAsync(RequireAppointment(holdId));
                var booked = await grains.GetProviderSchedule(scope, hold.ProviderId).ConfirmHoldAsync(holdId, new BookingRequest(hold.ServiceType,
                    hold.Start, hold.ProviderId, body.CustomerName!.Trim(), body.CustomerPhone!, body.CustomerEmail, body.Notes, body.BookingMethod ?? 2,
                    body.ParentAppointmentId));
                return TypedResults.Created($"/v1/calendar/appointments/{booked.AppointmentId}", booked);
            })
            .RequireTenant(Role.Agent)
            .WithName("ConfirmHold").WithSummary("Turn a live hold into an appointment atomically; 409 HOLD_EXPIRED after it lapsed.");

        group.MapDelete("/holds/{holdId}", async (string holdId, HttpContext http, IGrainFactory grains) =>
            {
                var scope = http.Caller().Scope;
                var hold = await grains.GetAppointmentDirectory(scope).GetAsync(RequireAppointment(holdId));
                return await grains.GetProviderSchedule(scope, hold.ProviderId).ReleaseHoldAsync(holdId);
            })
            .RequireTenant(Role.Agent)
            .WithName("ReleaseHold").WithSummary("Give a held slot back before it expires.");

        group.MapPost("/appointments/{appointmentId}/reschedule", async (string appointmentId, RescheduleRequest body, HttpContext http, IGrainFactory grains) =>
            {
                var check = new Check();
                if (body.Start is null) check.Missing("start");
                if (body.ProviderId is not null && !Ids.IsValid(body.ProviderId, "prv")) check.Invalid("providerId", "providerId must be a provider id (prv_…).");
                check.ThrowIfInvalid();
                var scope = http.Caller().Scope;
                var current = await grains.GetAppointmentDirectory(scope).GetAsync(RequireAppointment(appointmentId));
                return await grains.GetLocationCalendar(scope, current.LocationId).RescheduleAsync(appointmentId, body.Start!.Value, body.ProviderId);
            })
            .RequireTenant(Role.Agent)
            .WithName("RescheduleAppointment").WithSummary("Move an appointment; the new slot is taken in the same statement that frees the old one, or 409 with alternatives.");

        group.MapPost("/appointments/{appointmentId}/park", (string appointmentId, HttpContext http, IGrainFactory grains) => Park(appointmentId, true, http, grains))
            .RequireTenant(Role.Agent)
            .WithName("ParkAppointment").WithSummary("Set an appointment aside: it keeps its record but frees its slot.");
        group.MapPost("/appointments/{appointmentId}/unpark", (string appointmentId, HttpContext http, IGrainFactory grains) => Park(appointmentId, false, http, grains))
            .RequireTenant(Role.Agent)
            .WithName("UnparkAppointment").WithSummary("Put a parked appointment back in its slot (409 if the slot was taken meanwhile).");

        group.MapGet("/appointments/{appointmentId}/ics", async (string appointmentId, HttpContext http, IGrainFactory grains) =>
            {
                var appointment = await grains.GetAppointmentDirectory(http.Caller().Scope).GetAsync(RequireAppointment(appointmentId));
                return TypedResults.Text(ICalendar.Event(appointment), "text/calendar; charset=utf-8");
            })
            .WithName("AppointmentIcs").WithSummary("The appointment as an iCalendar (.ics) event.");

        group.MapGet("/providers/{providerId}/feed.ics", async (string providerId, HttpContext http, IGrainFactory grains, TimeProvider clock) =>
            {
                if (!Ids.IsValid(providerId, "prv"))
                {
                    throw CloudFranException.NotFound("Provider");
                }
                var page = await grains.GetAppointmentDirectory(http.Caller().Scope).ListAsync(new AppointmentQuery(
                    clock.GetUtcNow().AddDays(-7), clock.GetUtcNow().AddDays(90), providerId, "booked", null, 1, 1000));
                return TypedResults.Text(ICalendar.Calendar(page.Data), "text/calendar; charset=utf-8");
            })
            .WithName("ProviderFeed").WithSummary("The provider's booked appointments (last 7 to next 90 days) as an iCalendar feed.");

        group.MapPost("/providers/{providerId}/feed-token", async Task<Created<FeedTokenView>> (string providerId, HttpContext http, IGrainFactory grains) =>
            {
                var token = await grains.GetProviderSchedule(http.Caller().Scope, RequireProvider(providerId)).IssueFeedTokenAsync();
                var url = $"/v1/calendar/feeds/{token}.ics";
                return TypedResults.Created(url, new FeedTokenView(providerId, token, url));
            })
            .RequireTenant(Role.Manager)
            .WithName("IssueProviderFeedToken").WithSummary("A secret feed URL (/v1/calendar/feeds/{token}.ics) calendar apps can poll without headers; issuing again rotates it.");

        group.MapDelete("/providers/{providerId}/feed-token", async (string providerId, HttpContext http, IGrainFactory grains) =>
                await grains.GetProviderSchedule(http.Caller().Scope, RequireProvider(providerId)).RevokeFeedTokenAsync()
                    ? TypedResults.NoContent()
                    : throw CloudFranException.NotFound("Feed token"))
            .RequireTenant(Role.Manager)
            .WithName("RevokeProviderFeedToken").WithSummary("Revoke the provider's secret feed URL (it answers 404 from then on).");

        // No API key here: the secret in the URL is the credential, and the tenant comes from its row.
        routes.MapGet("/v1/calendar/feeds/{token}.ics", async (string token, IGrainFactory grains, TimeProvider clock) =>
            {
                var target = await grains.GetCalendarFeeds().ResolveAsync(token) ?? throw CloudFranException.NotFound("Feed");
                TenantContext.Set(target.Scope.TenantId);
                var page = await grains.GetAppointmentDirectory(target.Scope).ListAsync(new AppointmentQuery(
                    clock.GetUtcNow().AddDays(-7), clock.GetUtcNow().AddDays(90), target.ProviderId, "booked", null, 1, 1000));
                return TypedResults.Text(ICalendar.Calendar(page.Data), "text/calendar; charset=utf-8");
            })
            .WithTags("Calendar")
            .WithName("SecretProviderFeed").WithSummary("A provider's iCalendar feed by secret token (no headers); unknown or revoked tokens answer 404.");

        routes.MapPost("/v1/agents/appointments", async Task<Created<AgentBookingResult>> (AgentAppointmentRequest body, HttpContext http, IGrainFactory grains) =>
            {
                new Check()
                    .Required("customerName", body.CustomerName, 200)
                    .Required("phone", body.Phone, 20).Phone("phone", body.Phone)
                    .Email("email", body.Email)
                    .Required("request", body.Request, 4000)
                    .Text("serviceType", body.ServiceType, 100)
                    .Range("partySize", body.PartySize, 1, 50)
                    .ThrowIfInvalid();
                var scope = http.Caller().Scope;
                var locationId = body.LocationId;
                if (locationId is null)
                {
                    var active = await grains.GetLocationDirectory(scope).ListAsync(new Abstractions.Locations.LocationQuery("active", null, 1, 2));
                    locationId = active.Total == 1 ? active.Data[0].LocationId
                        : throw CloudFranException.Invalid("locationId", "locationId is required when the tenant has several locations.");
                }
                var result = await Calendar(grains, http, locationId).BookFromTextAsync(new AgentBookingRequest(body.Request!, body.ServiceType,
                    body.CustomerName!.Trim(), body.Phone!, body.Email, body.PartySize ?? 0));
                return TypedResults.Created($"/v1/calendar/appointments/{result.Appointment.AppointmentId}", result);
            })
            .WithTags("AI agents").RequireTenant(Role.Agent)
            .WithName("AppointmentAgent").WithSummary("Book from natural language (\"Haircut next Tuesday at 2pm\", Spanish too); never invents a slot availability did not return.");

        return group;
    }

    private static async Task<AppointmentView> Park(string appointmentId, bool parked, HttpContext http, IGrainFactory grains)
    {
        var scope = http.Caller().Scope;
        var current = await grains.GetAppointmentDirectory(scope).GetAsync(RequireAppointment(appointmentId));
        return await grains.GetProviderSchedule(scope, current.ProviderId).SetParkedAsync(appointmentId, parked);
    }

    private static ILocationCalendarGrain Calendar(IGrainFactory grains, HttpContext http, string? locationId)
    {
        if (string.IsNullOrEmpty(locationId))
        {
            throw new CloudFranException(ErrorKind.Invalid, ErrorCodes.MissingField, "locationId is required.", [new FieldError("locationId", "locationId is required.")]);
        }
        return Ids.IsValid(locationId, "loc")
            ? grains.GetLocationCalendar(http.Caller().Scope, locationId)
            : throw CloudFranException.NotFound("Location");
    }

    private static string RequireProvider(string id) =>
        Ids.IsValid(id, "prv") ? id : throw CloudFranException.NotFound("Provider");

    private static string RequireAppointment(string id) =>
        Ids.IsValid(id, "apt") ? id : throw CloudFranException.NotFound("Appointment");

    private static DateOnly? Date(Check check, HttpContext http, string name, bool required)
    {
        var raw = http.Request.Query[name].ToString();
        if (raw.Length == 0)
        {
            if (required) check.Missing(name);
            return null;
        }
        if (DateOnly.TryParseExact(raw, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            return date;
        }
        check.Invalid(name, $"{name} must be a date YYYY-MM-DD.");
        return null;
    }
}
