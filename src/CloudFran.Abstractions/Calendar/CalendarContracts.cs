using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Locations;
using CloudFran.Abstractions.Platform;
using Orleans.Concurrency;

namespace CloudFran.Abstractions.Calendar;

[GenerateSerializer, Immutable, Alias("cf.ProviderInput")]
public sealed record ProviderInput(
    [property: Id(0)] string? LocationId,
    [property: Id(1)] string? Name,
    [property: Id(2)] string? Kind,
    /// <summary>Weekday → intervals like location hours; null = the location's hours.</summary>
    [property: Id(3)] IReadOnlyDictionary<string, IReadOnlyList<OpenInterval>>? WeeklyHours,
    /// <summary>Date-specific changes: closed days or different hours (still bounded by the location's hours).</summary>
    [property: Id(4)] IReadOnlyList<DateException>? Exceptions = null,
    /// <summary>Parallel capacity (1–50, default 1): a table with 6 seats takes bookings for up to 6 people at once.</summary>
    [property: Id(5)] int? Seats = null);

[GenerateSerializer, Immutable, Alias("cf.DateException")]
public sealed record DateException(
    [property: Id(0)] DateOnly Date,
    [property: Id(1)] bool Closed,
    [property: Id(2)] IReadOnlyList<OpenInterval>? Hours);

[GenerateSerializer, Immutable, Alias("cf.ProviderView")]
public sealed record ProviderView(
    [property: Id(0)] string ProviderId,
    [property: Id(1)] string LocationId,
    [property: Id(2)] string Name,
    [property: Id(3)] string Kind,
    [property: Id(4)] IReadOnlyDictionary<string, IReadOnlyList<OpenInterval>>? WeeklyHours,
    [property: Id(5)] bool Active,
    [property: Id(6)] IReadOnlyList<DateException>? Exceptions = null,
    [property: Id(7)] int Seats = 1);

[GenerateSerializer, Immutable, Alias("cf.ServiceInput")]
public sealed record ServiceInput(
    [property: Id(0)] string? LocationId,
    [property: Id(1)] string? Name,
    [property: Id(2)] int? DurationMinutes,
    [property: Id(3)] int? BufferBeforeMinutes,
    [property: Id(4)] int? BufferAfterMinutes,
    [property: Id(5)] decimal? Price,
    [property: Id(6)] IReadOnlyList<string>? ProviderIds);

[GenerateSerializer, Immutable, Alias("cf.ServiceView")]
public sealed record ServiceView(
    [property: Id(0)] string ServiceId,
    [property: Id(1)] string LocationId,
    [property: Id(2)] string Name,
    [property: Id(3)] int DurationMinutes,
    [property: Id(4)] int BufferBeforeMinutes,
    [property: Id(5)] int BufferAfterMinutes,
    [property: Id(6)] decimal? Price,
    [property: Id(7)] IReadOnlyList<string> ProviderIds);

[GenerateSerializer, Immutable, Alias("cf.SlotView")]
public sealed record SlotView(
    [property: Id(0)] DateTimeOffset Start,
    [property: Id(1)] DateTimeOffset End,
    [property: Id(2)] string ProviderId,
    /// <summary>Seats still free at this start (after the new party would take its seats, plus the party).</summary>
    [property: Id(3)] int RemainingSeats = 1);

[GenerateSerializer, Immutable, Alias("cf.AvailabilityQuery")]
public sealed record AvailabilityQuery(
    [property: Id(0)] string ServiceType,
    [property: Id(1)] DateOnly DateFrom,
    [property: Id(2)] DateOnly DateTo,
    [property: Id(3)] string? ProviderId,
    [property: Id(4)] int PartySize = 1);

[GenerateSerializer, Immutable, Alias("cf.AvailabilityView")]
public sealed record AvailabilityView(
    [property: Id(0)] string LocationId,
    [property: Id(1)] string ServiceType,
    [property: Id(2)] string Timezone,
    [property: Id(3)] IReadOnlyList<AvailableSlot> Slots);

/// <summary>A free start time and every eligible provider free for it (one entry per start, not per provider).</summary>
[GenerateSerializer, Immutable, Alias("cf.AvailableSlot")]
public sealed record AvailableSlot(
    [property: Id(0)] DateTimeOffset Start,
    [property: Id(1)] DateTimeOffset End,
    [property: Id(2)] IReadOnlyList<string> ProviderIds,
    /// <summary>For providers with more than one seat: seats free at this start, by provider id.</summary>
    [property: Id(3)] IReadOnlyDictionary<string, int>? RemainingSeats = null);

[GenerateSerializer, Immutable, Alias("cf.BookingRequest")]
public sealed record BookingRequest(
    [property: Id(0)] string ServiceType,
    [property: Id(1)] DateTimeOffset Start,
    [property: Id(2)] string? ProviderId,
    [property: Id(3)] string CustomerName,
    [property: Id(4)] string CustomerPhone,
    [property: Id(5)] string? CustomerEmail,
    [property: Id(6)] string? Notes,
    /// <summary>1 call center, 2 online scheduler, 3 chat bot (Scheduling Center).</summary>
    [property: Id(7)] int BookingMethod,
    [property: Id(8)] string? ParentAppointmentId = null,
    /// <summary>Seats the booking takes on a seated provider (1 elsewhere).</summary>
    [property: Id(9)] int PartySize = 1);

[GenerateSerializer, Immutable, Alias("cf.AppointmentView")]
public sealed record AppointmentView(
    [property: Id(0)] string AppointmentId,
    [property: Id(1)] string LocationId,
    [property: Id(2)] string ProviderId,
    [property: Id(3)] string ServiceType,
    [property: Id(4)] DateTimeOffset Start,
    [property: Id(5)] DateTimeOffset End,
    [property: Id(6)] string CustomerName,
    [property: Id(7)] string CustomerPhone,
    [property: Id(8)] string? CustomerEmail,
    [property: Id(9)] string? Notes,
    [property: Id(10)] int BookingMethod,
    [property: Id(11)] bool Cancelled,
    [property: Id(12)] string? CancelReason,
    [property: Id(13)] string? CancelMessage,
    [property: Id(14)] DateTimeOffset LastModified,
    /// <summary>held, booked, cancelled or released (an expired or released hold).</summary>
    [property: Id(15)] string Status = "booked",
    [property: Id(16)] bool Parked = false,
    [property: Id(17)] string? ParentAppointmentId = null,
    [property: Id(18)] DateTimeOffset? HoldExpiresAt = null,
    [property: Id(19)] int PartySize = 1,
    /// <summary>The seat numbers (0-based) the appointment occupies on its provider.</summary>
    [property: Id(20)] IReadOnlyList<int>? Seats = null,
    [property: Id(21)] DateTimeOffset? CreatedAt = null,
    [property: Id(22)] DateTimeOffset? CancelledAt = null,
    [property: Id(23)] string? ServiceId = null);

/// <summary>Booking rules of a location's calendar.</summary>
[GenerateSerializer, Immutable, Alias("cf.CalendarSettings")]
public sealed record CalendarSettings(
    [property: Id(0)] string LocationId,
    /// <summary>Bookings must start at least this many minutes from now (0–43,200).</summary>
    [property: Id(1)] int MinNoticeMinutes,
    /// <summary>Bookings may start at most this many days from now (1–730).</summary>
    [property: Id(2)] int MaxAdvanceDays,
    [property: Id(3)] DateTimeOffset? UpdatedAt);

[GenerateSerializer, Immutable, Alias("cf.CalendarSettingsInput")]
public sealed record CalendarSettingsInput(
    [property: Id(0)] int? MinNoticeMinutes,
    [property: Id(1)] int? MaxAdvanceDays);

/// <summary>An appointment with what the Scheduling Center surface adds: the location's time zone and service length.</summary>
[GenerateSerializer, Immutable, Alias("cf.CenterAppointment")]
public sealed record CenterAppointment(
    [property: Id(0)] AppointmentView Appointment,
    [property: Id(1)] string Timezone,
    [property: Id(2)] int DurationMinutes);

[GenerateSerializer, Immutable, Alias("cf.CenterAppointmentQuery")]
public sealed record CenterAppointmentQuery(
    /// <summary>Null = every location of the tenant (the seed's franchise_id 0).</summary>
    [property: Id(0)] string? LocationId,
    [property: Id(1)] DateTimeOffset? LastModifiedAfter,
    [property: Id(2)] DateTimeOffset? From,
    [property: Id(3)] DateTimeOffset? To,
    [property: Id(4)] string? ProviderId,
    [property: Id(5)] bool? Cancelled,
    [property: Id(6)] int Page,
    [property: Id(7)] int Limit);

[GenerateSerializer, Immutable, Alias("cf.AgentBookingRequest")]
public sealed record AgentBookingRequest(
    [property: Id(0)] string Request,
    [property: Id(1)] string? ServiceType,
    [property: Id(2)] string CustomerName,
    [property: Id(3)] string Phone,
    [property: Id(4)] string? Email,
    /// <summary>Seats to take on seated providers (tables); 0 = as the request text says, else 1.</summary>
    [property: Id(5)] int PartySize = 0);

[GenerateSerializer, Immutable, Alias("cf.AgentInterpretation")]
public sealed record AgentInterpretation(
    [property: Id(0)] string? ServiceType,
    [property: Id(1)] DateOnly? Date,
    [property: Id(2)] TimeOnly? Time,
    [property: Id(3)] string? PartOfDay);

[GenerateSerializer, Immutable, Alias("cf.AgentBookingResult")]
public sealed record AgentBookingResult(
    [property: Id(0)] AppointmentView Appointment,
    [property: Id(1)] AgentInterpretation Understood,
    [property: Id(2)] string Message);

/// <summary>A booking a provider's grain is asked to make: times already resolved, buffers included in the block.</summary>
[GenerateSerializer, Immutable, Alias("cf.BookingDraft")]
public sealed record BookingDraft(
    [property: Id(0)] string LocationId,
    [property: Id(1)] ServiceView Service,
    [property: Id(2)] DateTimeOffset Start,
    [property: Id(3)] BookingRequest Request);

[GenerateSerializer, Immutable, Alias("cf.AppointmentQuery")]
public sealed record AppointmentQuery(
    [property: Id(0)] DateTimeOffset? From,
    [property: Id(1)] DateTimeOffset? To,
    [property: Id(2)] string? ProviderId,
    [property: Id(3)] string? Status,
    [property: Id(4)] DateTimeOffset? LastModifiedAfter,
    [property: Id(5)] int Page,
    [property: Id(6)] int PageSize);

/// <summary>A location's calendar: providers, services, availability; books through the providers' grains.
/// Key: <c>tn_…/live|test/loc_…/calendar</c>.</summary>
public interface ILocationCalendarGrain : IGrainWithStringKey
{
    Task<ProviderView> AddProviderAsync(ProviderInput input);
    // Reads may interleave with each other (not with writes): many availability queries overlap their database waits.
    [ReadOnly] Task<IReadOnlyList<ProviderView>> ListProvidersAsync();
    Task<ServiceView> AddServiceAsync(ServiceInput input);
    [ReadOnly] Task<IReadOnlyList<ServiceView>> ListServicesAsync();
    [ReadOnly] Task<AvailabilityView> GetAvailabilityAsync(AvailabilityQuery query);
    Task<AppointmentView> BookAsync(BookingRequest request);

    /// <summary>Reserves a slot for <paramref name="minutes"/> (customer details come at confirmation).</summary>
    Task<AppointmentView> HoldAsync(BookingRequest request, int minutes);

    /// <summary>The appointment agent: understands a natural-language request and books the matching slot.</summary>
    Task<AgentBookingResult> BookFromTextAsync(AgentBookingRequest request);

    /// <summary>Moves an appointment; the new slot is taken in the same statement that frees the old one.</summary>
    Task<AppointmentView> RescheduleAsync(string appointmentId, DateTimeOffset start, string? providerId);

    /// <summary>The location's booking rules (defaults when never set).</summary>
    [ReadOnly] Task<CalendarSettings> GetSettingsAsync();

    Task<CalendarSettings> UpdateSettingsAsync(CalendarSettingsInput input);
}

/// <summary>The only writer of one provider's appointments. Key: <c>tn_…/live|test/prv_…</c>.</summary>
public interface IProviderScheduleGrain : IGrainWithStringKey
{
    Task<AppointmentView> BookAsync(BookingDraft draft);
    Task<AppointmentView> HoldAsync(BookingDraft draft, TimeSpan ttl);
    Task<AppointmentView> ConfirmHoldAsync(string holdId, BookingRequest details);
    Task<AppointmentView> ReleaseHoldAsync(string holdId);
    Task<AppointmentView> MoveHereAsync(string appointmentId, BookingDraft draft);
    Task<AppointmentView> SetParkedAsync(string appointmentId, bool parked);
    Task<AppointmentView> CancelAsync(string appointmentId, string? reason, string? message);
    Task<AppointmentView> SetNotesAsync(string appointmentId, string? notes);

    /// <summary>Issues (or rotates) the provider's secret feed token; returns the token itself, which is stored only hashed.</summary>
    Task<string> IssueFeedTokenAsync();

    /// <summary>Revokes the provider's feed token; false when there was none.</summary>
    Task<bool> RevokeFeedTokenAsync();
}

/// <summary>Reads over a tenant partition's appointments (stateless). Key: <c>tn_…/live|test</c>.</summary>
public interface IAppointmentDirectoryGrain : IGrainWithStringKey
{
    Task<AppointmentView> GetAsync(string appointmentId);
    Task<PagedList<AppointmentView>> ListAsync(AppointmentQuery query);
    Task<CenterAppointment> GetForCenterAsync(string appointmentId);
    Task<PagedList<CenterAppointment>> ListForCenterAsync(CenterAppointmentQuery query);
}

public static class CalendarGrainFactoryExtensions
{
    public static ILocationCalendarGrain GetLocationCalendar(this IGrainFactory factory, TenantScope scope, string locationId) =>
        factory.GetGrain<ILocationCalendarGrain>(new LocationCalendarKey(new LocationKey(scope, locationId)).ToString());

    public static IProviderScheduleGrain GetProviderSchedule(this IGrainFactory factory, TenantScope scope, string providerId) =>
        factory.GetGrain<IProviderScheduleGrain>(new ScopedKey(scope, providerId).ToString());

    public static IAppointmentDirectoryGrain GetAppointmentDirectory(this IGrainFactory factory, TenantScope scope) =>
        factory.GetGrain<IAppointmentDirectoryGrain>(new ScopedKey(scope, "appointments").ToString());
}

/// <summary>Key of a location's calendar grain: <c>tn_abc/live/loc_xyz/calendar</c>.</summary>
public readonly record struct LocationCalendarKey(LocationKey Location)
{
    private const string Suffix = "/calendar";

    public override string ToString() => $"{Location}{Suffix}";

    public static LocationCalendarKey Parse(string value) =>
        value.EndsWith(Suffix, StringComparison.Ordinal)
            ? new LocationCalendarKey(LocationKey.Parse(value[..^Suffix.Length]))
            : throw new FormatException($"'{value}' is not a location calendar key.");
}
