using System.Globalization;
using System.Text.Json;
using CloudFran.Abstractions.Calendar;
using CloudFran.Abstractions.Errors;
using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Locations;
using CloudFran.Abstractions.Validation;
using CloudFran.Grains.Locations;
using CloudFran.Grains.Storage;
using Npgsql;

namespace CloudFran.Grains.Calendar;

public static class CalendarErrors
{
    public const string SlotUnavailable = "SLOT_UNAVAILABLE";
    public const int MaxWindowDays = 31;
    public const string TooSoon = "BOOKING_TOO_SOON";
    public const string TooFarAhead = "BOOKING_TOO_FAR_AHEAD";
    public const int DefaultMaxAdvanceDays = 365;
}

/// <summary>See <see cref="ILocationCalendarGrain"/>.</summary>
public sealed class LocationCalendarGrain(PlatformDb db, TimeProvider clock) : Grain, ILocationCalendarGrain
{
    public static readonly string[] Kinds = ["staff", "room", "chair", "technician", "table"];
    private TenantScope _scope;
    private string _locationId = "";
    private CalendarSettings? _settings;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var key = this.GetPrimaryKeyString();
        var location = LocationKey.Parse(key[..key.LastIndexOf('/')]);
        (_scope, _locationId) = (location.Scope, location.LocationId);
        return Task.CompletedTask;
    }

    public async Task<ProviderView> AddProviderAsync(ProviderInput input)
    {
        await RequireLocationAsync();
        new Check().Required("name", input.Name, 200).Required("kind", input.Kind, 20).OneOf("kind", input.Kind, Kinds)
            .Range("seats", input.Seats, 1, 50).ThrowIfInvalid();
        if (input.WeeklyHours is not null)
        {
            LocationRules.Validate(new LocationInput(null, null, null, input.WeeklyHours, null, null, null), create: false);
        }
        foreach (var exception in input.Exceptions ?? [])
        {
            if (!exception.Closed)
            {
                var hours = new Dictionary<string, IReadOnlyList<OpenInterval>> { ["monday"] = exception.Hours ?? [] };
                LocationRules.Validate(new LocationInput(null, null, null, hours, null, null, null), create: false);
            }
        }
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
        var check = new Check().Required("name", input.Name, 100);
        if (input.DurationMinutes is null) check.Missing("durationMinutes");
        check.Range("durationMinutes", input.DurationMinutes, 5, 720)
            .Range("bufferBeforeMinutes", input.BufferBeforeMinutes, 0, 240)
            .Range("bufferAfterMinutes", input.BufferAfterMinutes, 0, 240);
        if (input.Price is < 0 or > 1_000_000) check.Invalid("price", "price must be between 0 and 1,000,000.");
        check.ThrowIfInvalid();
        var providers = await ProvidersAsync();
        var ids = input.ProviderIds ?? [];
        for (var i = 0; i < ids.Count; i++)
        {
            if (providers.All(p => p.ProviderId != ids[i])) check.Invalid($"providerIds[{i}]", "No such provider at this location.");
        }
        check.ThrowIfInvalid();
        var view = new ServiceView(Ids.New("svc"), _locationId, input.Name!.Trim(), input.DurationMinutes!.Value,
            input.BufferBeforeMinutes ?? 0, input.BufferAfterMinutes ?? 0, input.Price, ids.Distinct().ToList());
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
        if (query.DateTo < query.DateFrom)
        {
            throw CloudFranException.Invalid("dateTo", "dateTo must not be before dateFrom.");
        }
        if (query.DateTo.DayNumber - query.DateFrom.DayNumber + 1 > CalendarErrors.MaxWindowDays)
        {
            throw CloudFranException.Invalid("dateTo", $"The window may span at most {CalendarErrors.MaxWindowDays} days.");
        }
        var settings = await GetSettingsAsync();
        var horizon = clock.GetUtcNow().AddDays(settings.MaxAdvanceDays);
        if ((AvailabilityEngine.ToInstant(query.DateFrom, 0, zone) ?? horizon) > horizon)
        {
            throw new CloudFranException(ErrorKind.RuleViolation, CalendarErrors.TooFarAhead,
                $"This location takes bookings at most {settings.MaxAdvanceDays} days ahead (until {AvailabilityEngine.InZone(horizon, zone):yyyy-MM-dd HH:mm}).",
                [new FieldError("dateFrom", $"dateFrom is beyond the {settings.MaxAdvanceDays}-day booking horizon.")]);
        }
        var party = query.PartySize;
        var seated = providers.Where(p => p.Seats > 1).Select(p => p.ProviderId).ToHashSet();
        if (party < 1 || party > Math.Max(1, providers.Count == 0 ? 1 : providers.Max(p => p.Seats)))
        {
            throw CloudFranException.Invalid("partySize", $"partySize must be between 1 and {(providers.Count == 0 ? 1 : providers.Max(p => p.Seats))}.");
        }
        var slots = await ComputeAsync(location, zone, service, providers, query.DateFrom, query.DateTo, null, party);
        return new AvailabilityView(_locationId, service.Name, location.Timezone,
            slots.GroupBy(s => s.Start).Select(g => new AvailableSlot(AvailabilityEngine.InZone(g.Key, zone),
                AvailabilityEngine.InZone(g.First().End, zone), g.Select(s => s.ProviderId).ToList(),
                seated.Count == 0 ? null : g.Where(s => seated.Contains(s.ProviderId)).ToDictionary(s => s.ProviderId, s => s.RemainingSeats))).ToList());
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
        var serviceName = intent.Service ?? request.ServiceType ?? (services.Count == 1 ? services[0].Name : null)
            ?? throw CloudFranException.Invalid("serviceType", $"Which service? This location offers: {string.Join(", ", services.Select(s => s.Name))}.");
        var understood = new AgentInterpretation(serviceName, intent.Date, intent.Time,
            intent.PartOfDay is { } p ? $"{p.From.ToString("HH:mm", CultureInfo.InvariantCulture)}-{p.To.ToString("HH:mm", CultureInfo.InvariantCulture)}" : null);
        var (_, _, service, providers) = await ContextAsync(serviceName, null);
        var from = intent.Date ?? today;
        var to = intent.Date ?? today.AddDays(13);
        // An explicit partySize must fit a provider; one read from the text ("table for four") that no provider
        // seats falls back to one whole table, as the voice receptionist does.
        var capacity = providers.Count == 0 ? 1 : Math.Max(1, providers.Max(p => p.Seats));
        var party = request.PartySize > 0 ? request.PartySize : intent.PartySize is { } said && said <= capacity ? said : 1;
        if (party < 1 || party > capacity)
        {
            throw CloudFranException.Invalid("partySize", $"partySize must be between 1 and {capacity}.");
        }
        var slots = await ComputeAsync(location, zone, service, providers, from, to, null, party);
        var local = slots.Select(s => (Slot: s, Local: AvailabilityEngine.InZone(s.Start, zone))).ToList();
        var details = new BookingRequest(service.Name, default, null, request.CustomerName, request.Phone, request.Email,
            $"Booked by the appointment agent from: \"{request.Request}\"", 3, null, party);
        var rules = await GetSettingsAsync();
        if (intent.Date is { } askedDay && AvailabilityEngine.ToInstant(askedDay, 0, zone) is { } dayStart)
        {
            EnforceRules(rules, intent.Time is { } t ? AvailabilityEngine.ToInstant(askedDay, t.Hour * 60 + t.Minute, zone) ?? dayStart : dayStart,
                checkNotice: intent.Time is not null, field: "request");
        }
        if (intent.Time is { } time)
        {
            var date = intent.Date ?? local.Select(l => DateOnly.FromDateTime(l.Local.DateTime)).FirstOrDefault(d => local.Any(l =>
                DateOnly.FromDateTime(l.Local.DateTime) == d && TimeOnly.FromDateTime(l.Local.DateTime) == time));
            var exact = local.FirstOrDefault(l => DateOnly.FromDateTime(l.Local.DateTime) == date && TimeOnly.FromDateTime(l.Local.DateTime) == time);
            if (exact.Slot is null)
            {
                // A specific time was asked for: never book a different one silently.
                var target = AvailabilityEngine.ToInstant(intent.Date ?? today, time.Hour * 60 + time.Minute, zone) ?? clock.GetUtcNow();
                var alternatives = local.OrderBy(l => (l.Slot.Start - target).Duration()).Take(5).OrderBy(l => l.Slot.Start)
                    .Select(l => new AlternativeSlot(l.Local, AvailabilityEngine.InZone(l.Slot.End, zone), l.Slot.ProviderId)).ToList();
                throw new CloudFranException(ErrorKind.Conflict, CalendarErrors.SlotUnavailable, $"{service.Name} is not available at {time.ToString("HH:mm", CultureInfo.InvariantCulture)} on {(intent.Date ?? today).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}.",
                    [new FieldError("request", "The requested time is not free.")], alternatives);
            }
            var booked = await BookAsync(details with { Start = exact.Slot.Start });
            return new AgentBookingResult(booked, understood, $"Booked {service.Name} on {exact.Local:dddd MMMM d} at {exact.Local:h:mm tt}.");
        }
        var candidates = local.Where(l => intent.PartOfDay is not { } p
            || (TimeOnly.FromDateTime(l.Local.DateTime) >= p.From && TimeOnly.FromDateTime(l.Local.DateTime) < p.To)).ToList();
        foreach (var candidate in candidates.Take(10))
        {
            try
            {
                var booked = await BookAsync(details with { Start = candidate.Slot.Start });
                return new AgentBookingResult(booked, understood, $"Booked {service.Name} on {candidate.Local:dddd MMMM d} at {candidate.Local:h:mm tt}.");
            }
            catch (CloudFranException e) when (e.Code == CalendarErrors.SlotUnavailable)
            {
                // Taken meanwhile: the next one.
            }
        }
        throw new CloudFranException(ErrorKind.Conflict, CalendarErrors.SlotUnavailable, "Nothing matching that request is free.",
            [new FieldError("request", "No free slot matches.")], []);
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
        EnforceRules(await GetSettingsAsync(), request.Start, checkNotice: true, field: "start");
        var party = request.PartySize;
        var capacity = providers.Count == 0 ? 1 : providers.Max(p => p.Seats);
        if (party < 1 || party > capacity)
        {
            throw CloudFranException.Invalid("partySize", $"partySize must be between 1 and {capacity}{(providerId is null ? "" : " for this provider")}.");
        }
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
            foreach (var candidate in candidates.OrderBy(c => load.FirstOrDefault(l => l.Id == c).Count).ThenBy(c => c, StringComparer.Ordinal))
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
        var alternatives = horizon.OrderBy(s => (s.Start - request.Start).Duration()).Take(5).OrderBy(s => s.Start)
            .Select(s => new AlternativeSlot(AvailabilityEngine.InZone(s.Start, zone), AvailabilityEngine.InZone(s.End, zone), s.ProviderId))
            .ToList();
        throw new CloudFranException(ErrorKind.Conflict, CalendarErrors.SlotUnavailable, "That time is not available.",
            [new FieldError("start", "No eligible provider is free at that time.")], alternatives);
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
        var current = await GetSettingsAsync();
        var notice = input.MinNoticeMinutes ?? current.MinNoticeMinutes;
        var advance = input.MaxAdvanceDays ?? current.MaxAdvanceDays;
        var check = new Check().Range("minNoticeMinutes", input.MinNoticeMinutes, 0, 43_200).Range("maxAdvanceDays", input.MaxAdvanceDays, 1, 730);
        if (!check.HasErrors && notice >= advance * 1440)
        {
            check.Invalid("minNoticeMinutes", "minNoticeMinutes must be shorter than maxAdvanceDays.");
        }
        check.ThrowIfInvalid();
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

    /// <summary>422 when <paramref name="start"/> is inside the minimum notice or beyond the booking horizon.
    /// (A start in the past is simply not free: 409 with alternatives, as before.)</summary>
    private void EnforceRules(CalendarSettings settings, DateTimeOffset start, bool checkNotice, string field)
    {
        var now = clock.GetUtcNow();
        if (checkNotice && start >= now && start < now.AddMinutes(settings.MinNoticeMinutes))
        {
            throw new CloudFranException(ErrorKind.RuleViolation, CalendarErrors.TooSoon,
                $"This location needs at least {settings.MinNoticeMinutes} minutes' notice for a booking.",
                [new FieldError(field, $"Book at least {settings.MinNoticeMinutes} minutes ahead.")]);
        }
        if (start > now.AddDays(settings.MaxAdvanceDays))
        {
            throw new CloudFranException(ErrorKind.RuleViolation, CalendarErrors.TooFarAhead,
                $"This location takes bookings at most {settings.MaxAdvanceDays} days ahead.",
                [new FieldError(field, $"Book at most {settings.MaxAdvanceDays} days ahead.")]);
        }
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
        var location = await GrainFactory.GetLocationGrain(_scope, _locationId).GetAsync();
        if (location.Status == "inactive")
        {
            throw CloudFranException.Invalid("locationId", "The location is inactive.");
        }
        return location;
    }
}
