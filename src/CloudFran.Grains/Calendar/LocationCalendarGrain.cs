using System.Text.Json;
using CloudFran.Abstractions.Calendar;
using CloudFran.Abstractions.Locations;
using CloudFran.Grains.Storage;

namespace CloudFran.Grains.Calendar;

/// <summary>
/// See <see cref="ILocationCalendarGrain"/>. The rules live apart and are unit-tested: <see cref="CalendarRules"/>
/// (providers, services, settings), <see cref="BookingPolicy"/> (notice, horizon, party size, fair order,
/// alternatives) and <see cref="AgentBooking"/> (text requests); the provider schedules hold the bookings.
/// </summary>
public sealed class LocationCalendarGrain(PlatformDb db, TimeProvider clock) : Grain, ILocationCalendarGrain
{
    private TenantScope _scope;
    private string _locationId = "";
    private CalendarSettings? _settings;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var location = LocationCalendarKey.Parse(this.GetPrimaryKeyString()).Location;
        (_scope, _locationId) = (location.Scope, location.LocationId);
        return Task.CompletedTask;
    }

    public async Task<ProviderView> AddProviderAsync(ProviderInput input)
    {
        await RequireLocationAsync();
        CalendarRules.CheckProvider(input);
        var id = Ids.New("prv");
        await db.ExecuteAsync(
            """
            INSERT INTO calendar_providers (tenant_id, env, provider_id, location_id, name, kind, weekly_hours, exceptions, seats)
            VALUES (@t, @e, @id, @loc, @name, @kind, @hours::jsonb, @exceptions::jsonb, @seats)
            """,
            ("t", _scope.TenantId), ("e", _scope.EnvName), ("id", id), ("loc", _locationId), ("name", input.Name!.Trim()),
            ("kind", input.Kind), ("hours", input.WeeklyHours is null ? null : JsonSerializer.Serialize(input.WeeklyHours, Json.Options)),
            ("exceptions", JsonSerializer.Serialize(input.Exceptions ?? [], Json.Options)), ("seats", (short)(input.Seats ?? 1)));
        return new ProviderView(id, _locationId, input.Name.Trim(), input.Kind!, input.WeeklyHours, true, input.Exceptions ?? [], input.Seats ?? 1);
    }

    public async Task<IReadOnlyList<ProviderView>> ListProvidersAsync()
    {
        await RequireLocationAsync();
        return await ProvidersAsync();
    }

    public async Task<IReadOnlyList<ServiceView>> ListServicesAsync()
    {
        await RequireLocationAsync();
        return await ServicesAsync();
    }

    private async Task<IReadOnlyList<ProviderView>> ProvidersAsync() =>
        await db.QueryAsync(
            "SELECT provider_id, location_id, name, kind, weekly_hours::text, active, exceptions::text, seats FROM calendar_providers WHERE tenant_id = @t AND env = @e AND location_id = @loc ORDER BY name, provider_id",
            r => new ProviderView(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3),
                r.IsDBNull(4) ? null : JsonSerializer.Deserialize<Dictionary<string, IReadOnlyList<OpenInterval>>>(r.GetString(4), Json.Options),
                r.GetBoolean(5), JsonSerializer.Deserialize<List<DateException>>(r.GetString(6), Json.Options) ?? [], r.GetInt16(7)),
            ("t", _scope.TenantId), ("e", _scope.EnvName), ("loc", _locationId));

    public async Task<ServiceView> AddServiceAsync(ServiceInput input)
    {
        await RequireLocationAsync();
        CalendarRules.CheckService(input);
        CalendarRules.CheckServiceProviders(input.ProviderIds ?? [], await ProvidersAsync());
        var view = CalendarRules.NewService(Ids.New("svc"), _locationId, input);
        var inserted = await db.ExecuteAsync(
            """
            INSERT INTO calendar_services (tenant_id, env, service_id, location_id, name, duration_minutes, buffer_before_minutes,
                                           buffer_after_minutes, price, provider_ids)
            VALUES (@t, @e, @id, @loc, @name, @d, @bb, @ba, @price, @providers::jsonb)
            ON CONFLICT (tenant_id, env, location_id, name) DO NOTHING
            """,
            ("t", _scope.TenantId), ("e", _scope.EnvName), ("id", view.ServiceId), ("loc", _locationId), ("name", view.Name),
            ("d", view.DurationMinutes), ("bb", view.BufferBeforeMinutes), ("ba", view.BufferAfterMinutes), ("price", view.Price),
            ("providers", JsonSerializer.Serialize(view.ProviderIds)));
        return inserted == 1 ? view : throw CloudFranException.Conflict($"A service named '{view.Name}' already exists here.");
    }

    private async Task<IReadOnlyList<ServiceView>> ServicesAsync() =>
        await db.QueryAsync(
            """
            SELECT service_id, location_id, name, duration_minutes, buffer_before_minutes, buffer_after_minutes, price, provider_ids::text
              FROM calendar_services WHERE tenant_id = @t AND env = @e AND location_id = @loc ORDER BY name
            """,
            r => new ServiceView(r.GetString(0), r.GetString(1), r.GetString(2), r.GetInt32(3), r.GetInt32(4), r.GetInt32(5),
                r.IsDBNull(6) ? null : r.GetDecimal(6), JsonSerializer.Deserialize<List<string>>(r.GetString(7)) ?? []),
            ("t", _scope.TenantId), ("e", _scope.EnvName), ("loc", _locationId));

    public async Task<AvailabilityView> GetAvailabilityAsync(AvailabilityQuery query)
    {
        var (location, zone, service, providers) = await ContextAsync(query.ServiceType, query.ProviderId);
        BookingPolicy.CheckWindow(query.DateFrom, query.DateTo);
        BookingPolicy.CheckHorizon(query.DateFrom, await GetSettingsAsync(), zone, clock.GetUtcNow());
        var party = query.PartySize;
        BookingPolicy.RequireParty(party, Math.Max(1, BookingPolicy.Capacity(providers)));
        var slots = await ComputeAsync(location, zone, service, providers, query.DateFrom, query.DateTo, null, party);
        return new AvailabilityView(_locationId, service.Name, location.Timezone, BookingPolicy.Available(slots, providers, zone));
    }

    public Task<AppointmentView> BookAsync(BookingRequest request) =>
        PlaceAsync(request, request.ProviderId, null, (grain, draft) => grain.BookAsync(draft));

    public Task<AppointmentView> HoldAsync(BookingRequest request, int minutes) =>
        PlaceAsync(request, request.ProviderId, null, (grain, draft) => grain.HoldAsync(draft, TimeSpan.FromMinutes(minutes)));

    public async Task<AgentBookingResult> BookFromTextAsync(AgentBookingRequest request)
    {
        var location = await RequireLocationAsync();
        var zone = TimeZoneInfo.FindSystemTimeZoneById(location.Timezone);
        var services = await ServicesAsync();
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(clock.GetUtcNow(), zone).DateTime);
        var intent = BookingLanguage.Parse(request.Request, today, services.Select(s => s.Name));
        var serviceName = AgentBooking.ServiceName(intent, request.ServiceType, services);
        var understood = AgentBooking.Understood(serviceName, intent);
        var (_, _, service, providers) = await ContextAsync(serviceName, null);
        var (from, to) = AgentBooking.Window(intent, today);
        var party = AgentBooking.Party(request.PartySize, intent, providers);
        var slots = await ComputeAsync(location, zone, service, providers, from, to, null, party);
        var details = AgentBooking.Details(service.Name, request, party);
        var rules = await GetSettingsAsync();
        if (AgentBooking.RuleCheck(intent, zone) is { } check)
        {
            BookingPolicy.Enforce(rules, check.Start, clock.GetUtcNow(), check.CheckNotice, "request");
        }
        if (intent.Time is { } time)
        {
            var exact = AgentBooking.Exact(slots, intent.Date, time, zone)
                ?? throw AgentBooking.TimeNotFree(service.Name, intent.Date ?? today, time, slots, clock.GetUtcNow(), zone);
            var booked = await BookAsync(details with { Start = exact.Start });
            return new AgentBookingResult(booked, understood, AgentBooking.Confirmation(service.Name, exact.Start, zone));
        }
        foreach (var candidate in AgentBooking.Candidates(slots, intent, zone))
        {
            try
            {
                var booked = await BookAsync(details with { Start = candidate.Start });
                return new AgentBookingResult(booked, understood, AgentBooking.Confirmation(service.Name, candidate.Start, zone));
            }
            catch (CloudFranException e) when (e.Code == CalendarErrors.SlotUnavailable)
            {
                // Taken meanwhile: the next one.
            }
        }
        throw AgentBooking.NothingFree();
    }

    public async Task<AppointmentView> RescheduleAsync(string appointmentId, DateTimeOffset start, string? providerId)
    {
        var current = await GrainFactory.GetAppointmentDirectory(_scope).GetAsync(appointmentId);
        if (current.LocationId != _locationId || current.Status != "booked")
        {
            throw CloudFranException.Conflict("Only booked appointments of this location can be rescheduled.");
        }
        var request = new BookingRequest(current.ServiceType, start, providerId, current.CustomerName, current.CustomerPhone,
            current.CustomerEmail, current.Notes, current.BookingMethod, null, current.PartySize);
        return await PlaceAsync(request, providerId, appointmentId, (grain, draft) => grain.MoveHereAsync(appointmentId, draft));
    }

    /// <summary>
    /// Finds the providers free at the requested start (ignoring <paramref name="moving"/>'s own block), tries them
    /// fairly — fewest bookings that day first — through their grains, and answers 409 with the nearest alternatives.
    /// </summary>
    private async Task<AppointmentView> PlaceAsync(BookingRequest request, string? providerId, string? moving,
        Func<IProviderScheduleGrain, BookingDraft, Task<AppointmentView>> place)
    {
        var (location, zone, service, providers) = await ContextAsync(request.ServiceType, providerId);
        BookingPolicy.Enforce(await GetSettingsAsync(), request.Start, clock.GetUtcNow(), checkNotice: true, field: "start");
        var party = request.PartySize;
        BookingPolicy.RequireParty(party, BookingPolicy.Capacity(providers), providerId is null ? "" : " for this provider");
        providers = providers.Where(p => p.Seats >= party).ToList();
        var local = AvailabilityEngine.InZone(request.Start, zone);
        var day = DateOnly.FromDateTime(local.DateTime);
        var free = await ComputeAsync(location, zone, service, providers, day, day, moving, party);
        var candidates = free.Where(s => s.Start == request.Start).Select(s => s.ProviderId).ToList();
        if (candidates.Count > 0)
        {
            var load = await db.QueryAsync(
                """
                SELECT provider_id, count(*) FROM appointments
                 WHERE tenant_id = @t AND env = @e AND status = 'booked' AND provider_id = ANY(@ids)
                   AND start_at >= @from AND start_at < @to GROUP BY provider_id
                """,
                r => (Id: r.GetString(0), Count: r.GetInt64(1)),
                ("t", _scope.TenantId), ("e", _scope.EnvName), ("ids", candidates.ToArray()),
                ("from", request.Start.UtcDateTime.Date), ("to", request.Start.UtcDateTime.Date.AddDays(1)));
            foreach (var candidate in BookingPolicy.FairOrder(candidates, load))
            {
                try
                {
                    var placed = await place(GrainFactory.GetProviderSchedule(_scope, candidate),
                        new BookingDraft(_locationId, service, request.Start, request with { ProviderId = candidate }));
                    return placed with { Start = AvailabilityEngine.InZone(placed.Start, zone), End = AvailabilityEngine.InZone(placed.End, zone) };
                }
                catch (CloudFranException e) when (e.Code == CalendarErrors.SlotUnavailable)
                {
                    // Taken meanwhile: try the next candidate.
                }
            }
        }
        var horizon = await ComputeAsync(location, zone, service, providers, day, day.AddDays(7), moving, party);
        throw BookingPolicy.SlotUnavailable("That time is not available.", "start", "No eligible provider is free at that time.",
            BookingPolicy.Alternatives(horizon, request.Start, zone));
    }

    private async Task<IReadOnlyList<SlotView>> ComputeAsync(LocationView location, TimeZoneInfo zone, ServiceView service,
        IReadOnlyList<ProviderView> providers, DateOnly from, DateOnly to, string? ignoreAppointmentId = null, int partySize = 1)
    {
        var settings = await GetSettingsAsync();
        var now = clock.GetUtcNow();
        var windowStart = AvailabilityEngine.ToInstant(from, 0, zone) ?? new DateTimeOffset(from.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        var blocks = await db.QueryAsync(
            """
            SELECT provider_id, block_start, block_end,
                   (SELECT coalesce(sum(1::bigint << g), 0) FROM unnest(seat_set) r, generate_series(lower(r), upper(r) - 1) g) AS seat_mask
              FROM appointments
             WHERE tenant_id = @t AND env = @e AND provider_id = ANY(@ids) AND NOT parked
               AND (status = 'booked' OR (status = 'held' AND hold_expires_at > @now))
               AND appointment_id <> @ignore AND block_end > @from AND block_start < @to
            """,
            r => new BookedBlock(r.GetString(0), r.Time("block_start"), r.Time("block_end"), (ulong)r.GetDecimal(3)),
            ("t", _scope.TenantId), ("e", _scope.EnvName), ("ids", providers.Select(p => p.ProviderId).ToArray()),
            ("from", windowStart.AddDays(-1).ToUniversalTime()), ("to", windowStart.AddDays(to.DayNumber - from.DayNumber + 2).ToUniversalTime()),
            ("now", clock.GetUtcNow()), ("ignore", ignoreAppointmentId ?? ""));
        return AvailabilityEngine.Compute(location.Hours, zone, service, providers, blocks, from, to,
            now.AddMinutes(settings.MinNoticeMinutes), partySize, now.AddDays(settings.MaxAdvanceDays));
    }

    public async Task<CalendarSettings> GetSettingsAsync()
    {
        if (_settings is not null)
        {
            return _settings;
        }
        await RequireLocationAsync(); // another tenant's (or no) location: 404
        var row = await db.QuerySingleAsync(
            "SELECT min_notice_minutes, max_advance_days, updated_at FROM calendar_settings WHERE tenant_id = @t AND env = @e AND location_id = @loc",
            r => new CalendarSettings(_locationId, r.GetInt32(0), r.GetInt32(1), r.Time("updated_at")),
            ("t", _scope.TenantId), ("e", _scope.EnvName), ("loc", _locationId));
        return _settings = row ?? new CalendarSettings(_locationId, 0, CalendarErrors.DefaultMaxAdvanceDays, null);
    }

    public async Task<CalendarSettings> UpdateSettingsAsync(CalendarSettingsInput input)
    {
        await RequireLocationAsync();
        var (notice, advance) = CalendarRules.Settings(input, await GetSettingsAsync());
        var now = clock.GetUtcNow();
        await db.ExecuteAsync(
            """
            INSERT INTO calendar_settings (tenant_id, env, location_id, min_notice_minutes, max_advance_days, updated_at)
            VALUES (@t, @e, @loc, @n, @a, @now)
            ON CONFLICT (tenant_id, env, location_id) DO UPDATE SET min_notice_minutes = @n, max_advance_days = @a, updated_at = @now
            """,
            ("t", _scope.TenantId), ("e", _scope.EnvName), ("loc", _locationId), ("n", notice), ("a", advance), ("now", now));
        return _settings = new CalendarSettings(_locationId, notice, advance, now);
    }

    private async Task<(LocationView Location, TimeZoneInfo Zone, ServiceView Service, IReadOnlyList<ProviderView> Providers)> ContextAsync(
        string serviceType, string? providerId)
    {
        var location = await RequireLocationAsync();
        var zone = TimeZoneInfo.FindSystemTimeZoneById(location.Timezone);
        var service = (await ServicesAsync()).FirstOrDefault(s => string.Equals(s.Name, serviceType, StringComparison.OrdinalIgnoreCase))
            ?? throw CloudFranException.Invalid("serviceType", $"This location offers no service '{serviceType}'.");
        var providers = (await ProvidersAsync())
            .Where(p => p.Active && (service.ProviderIds.Count == 0 || service.ProviderIds.Contains(p.ProviderId)))
            .Where(p => providerId is null || p.ProviderId == providerId)
            .ToList();
        if (providerId is not null && providers.Count == 0)
        {
            throw CloudFranException.Invalid("providerId", "That provider does not perform this service here.");
        }
        return (location, zone, service, providers);
    }

    private async Task<LocationView> RequireLocationAsync()
    {
        var location = await GrainFactory.GetLocation(_scope, _locationId).GetAsync();
        if (location.Status == "inactive")
        {
            throw CloudFranException.Invalid("locationId", "The location is inactive.");
        }
        return location;
    }
}
