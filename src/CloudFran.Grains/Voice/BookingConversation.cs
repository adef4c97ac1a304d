using System.Globalization;
using CloudFran.Abstractions.Calendar;
using CloudFran.Abstractions.Errors;
using CloudFran.Abstractions.Voice;
using CloudFran.Grains.Calendar;
using static CloudFran.Grains.Voice.SpokenText;

namespace CloudFran.Grains.Voice;

/// <summary>A booking step's words; <see cref="Done"/> when the booking is made (the receptionist then offers more help).</summary>
public sealed record BookingStep(string Say, bool Done = false);

/// <summary>
/// Booking by phone: ask for what is missing (service, day and time, party size, name), find the slot or offer the
/// nearest ones, hold it while the caller confirms, then book it and text a confirmation.
/// </summary>
public sealed class BookingConversation(CallState state, ReceptionistCall call, IReceptionistActions actions, TimeProvider clock)
{
    private const string BookedNote = "Booked by the voice receptionist.";

    private string L(string en, string es) => SpokenText.L(state.Language, en, es);

    /// <summary>The next booking question, the slots on offer, or the hold to confirm.</summary>
    public async Task<BookingStep> NextAsync()
    {
        state.Intent = VoiceIntents.MakeReservation;
        var vocabulary = IndustryVocabulary.For(call.Settings.Industry);
        var noun = vocabulary.BookingNoun(state.Language);
        var services = call.Services;
        if (call.LocationId is null || services.Count == 0)
        {
            state.Pending = "offer_message";
            return new(L($"I'm sorry, I can't make a {noun} by phone right now. Would you like to leave a message for the team?",
                $"Lo siento, ahora no puedo hacer una {noun} por teléfono. ¿Desea dejar un mensaje para el equipo?"));
        }
        var service = call.Settings.ReservationService ?? (state.Slots.TryGetValue("service", out var s) ? s : null)
            ?? (services.Count == 1 ? services[0].Name : null);
        if (service is null)
        {
            state.Pending = "service";
            var list = string.Join(", ", services.Select(x => x.Name));
            return new(L($"Which service would you like? We offer {list}.", $"¿Qué servicio desea? Ofrecemos {list}."));
        }
        if (!state.Slots.ContainsKey("date") && !state.Slots.ContainsKey("time") && !state.Slots.ContainsKey("partOfDay"))
        {
            state.Pending = "datetime";
            return new(L($"I'd be happy to help with a {noun}. What day and time would you like?", $"Con gusto le ayudo con su {noun}. ¿Qué día y a qué hora?"));
        }
        if (vocabulary.AskPartySize && !state.Slots.ContainsKey("partySize"))
        {
            state.Pending = "partySize";
            return new(L("For how many people?", "¿Para cuántas personas?"));
        }
        if (!state.Slots.ContainsKey("name"))
        {
            state.Pending = "name";
            return new(L($"And what name should I put the {noun} under?", $"¿Y a nombre de quién hago la {noun}?"));
        }

        var zone = TimeZoneInfo.FindSystemTimeZoneById(call.Location!.Timezone);
        var date = state.Slots.TryGetValue("date", out var d) ? DateOnly.ParseExact(d, "yyyy-MM-dd", CultureInfo.InvariantCulture) : call.Today(clock);
        var party = state.Slots.TryGetValue("partySize", out var ps) ? ps : null;
        var seats = int.TryParse(party, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 1 ? n : 1;
        AvailabilityView availability;
        try
        {
            try
            {
                availability = await actions.AvailabilityAsync(new AvailabilityQuery(service, date, date.AddDays(2), null, seats));
            }
            catch (CloudFranException e) when (seats > 1 && e.Kind == ErrorKind.Invalid)
            {
                // No table here seats the whole party: each table is booked whole (the party goes in the notes).
                seats = 1;
                availability = await actions.AvailabilityAsync(new AvailabilityQuery(service, date, date.AddDays(2), null, seats));
            }
        }
        catch (CloudFranException)
        {
            state.Pending = "offer_message";
            return new(L("I'm sorry, I couldn't check the schedule. Would you like to leave a message instead?",
                "Lo siento, no pude revisar la agenda. ¿Desea dejar un mensaje?"));
        }
        var pick = Choose(availability, zone, date, out var offer);
        if (pick is null)
        {
            return new(offer!);
        }

        var name = state.Slots["name"];
        try
        {
            var hold = await actions.HoldAsync(new BookingRequest(service, pick.Value.Slot.Start, null, name, call.Caller, null, Notes(party), 1, null, seats), 5);
            state.HoldPartySize = seats;
            state.HoldId = hold.AppointmentId;
            state.HoldProviderId = hold.ProviderId;
            state.HoldStart = hold.Start;
            state.OfferedService = service;
        }
        catch (CloudFranException e) when (e.Code == CalendarErrors.SlotUnavailable)
        {
            state.Slots.Remove("time");
            state.Pending = "datetime";
            return new(L("That time was just taken. What other time would work?", "Esa hora se acaba de ocupar. ¿Qué otra hora le sirve?"));
        }
        state.Pending = "confirm_booking";
        var forParty = party is null ? "" : L($" for {party}", $" para {party}");
        var when = When(pick.Value.Local, null, state.Language);
        return new(L($"I can book {Article(noun)} {noun}{forParty} on {when} under {name}. Shall I confirm it?",
            $"Puedo hacer la {noun}{forParty} el {when} a nombre de {name}. ¿La confirmo?"));
    }

    /// <summary>
    /// The slot at the asked time; otherwise null and <paramref name="offer"/>: the two nearest times, the first two
    /// free times in the asked part of the day, or "nothing then".
    /// </summary>
    private (AvailableSlot Slot, DateTimeOffset Local)? Choose(AvailabilityView availability, TimeZoneInfo zone, DateOnly date, out string? offer)
    {
        offer = null;
        var local = availability.Slots.Select(x => (Slot: x, Local: TimeZoneInfo.ConvertTime(x.Start, zone))).ToList();
        var sameDay = local.Where(x => DateOnly.FromDateTime(x.Local.DateTime) == date).ToList();
        if (state.Slots.TryGetValue("time", out var t))
        {
            var time = TimeOnly.ParseExact(t, "HH:mm", CultureInfo.InvariantCulture);
            var exact = sameDay.FirstOrDefault(x => TimeOnly.FromDateTime(x.Local.DateTime) == time);
            if (exact.Slot is not null)
            {
                return exact;
            }
            var target = date.ToDateTime(time);
            var nearest = local.OrderBy(x => Math.Abs((x.Local.DateTime - target).TotalMinutes)).Take(2).OrderBy(x => x.Slot.Start).ToList();
            state.Slots.Remove("time");
            state.Pending = "datetime";
            if (nearest.Count == 0)
            {
                offer = L("I'm sorry, we're fully booked around then. Would another day work?", "Lo siento, no hay espacio en esas fechas. ¿Le sirve otro día?");
                return null;
            }
            var options = string.Join(L(" or ", " o "), nearest.Select(x => When(x.Local, date, state.Language)));
            offer = L($"{Time(time, state.Language)} isn't available. I have {options}. Which would you like?",
                $"A las {Time(time, state.Language)} no hay lugar. Tengo {options}. ¿Cuál prefiere?");
            return null;
        }
        var window = state.Slots.TryGetValue("partOfDay", out var p) ? p.Split('-') : null;
        var candidates = sameDay.Where(x => window is null
            || (TimeOnly.FromDateTime(x.Local.DateTime) >= TimeOnly.Parse(window[0], CultureInfo.InvariantCulture)
                && TimeOnly.FromDateTime(x.Local.DateTime) < TimeOnly.Parse(window[1], CultureInfo.InvariantCulture))).Take(2).ToList();
        state.Pending = "datetime";
        if (candidates.Count == 0)
        {
            offer = L("I'm sorry, nothing is free then. Would another day or time work?", "Lo siento, no hay lugar a esa hora. ¿Le sirve otro día u hora?");
            return null;
        }
        var offered = string.Join(L(" or ", " o "), candidates.Select(x => When(x.Local, date, state.Language)));
        offer = L($"I have {offered}. Which would you like?", $"Tengo {offered}. ¿Cuál prefiere?");
        return null;
    }

    /// <summary>The caller said yes: book the held slot (or find it again if the hold lapsed), record it, text it.</summary>
    public async Task<BookingStep> ConfirmAsync()
    {
        if (state.HoldId is not { } holdId || state.HoldProviderId is not { } providerId)
        {
            return await NextAsync();
        }
        var name = state.Slots.GetValueOrDefault("name") ?? "Caller";
        var party = state.Slots.GetValueOrDefault("partySize");
        AppointmentView appointment;
        try
        {
            appointment = await actions.ConfirmHoldAsync(providerId, holdId,
                new BookingRequest(state.OfferedService ?? "", state.HoldStart ?? default, providerId, name, call.Caller, null, Notes(party), 1, null,
                    state.HoldPartySize));
        }
        catch (CloudFranException)
        {
            // The hold lapsed while the caller thought: try the same time once more.
            state.HoldId = null;
            return await NextAsync();
        }
        state.HoldId = null;
        state.AppointmentId = appointment.AppointmentId;
        state.Outcomes.Add(VoiceOutcomes.Booked);
        var zone = TimeZoneInfo.FindSystemTimeZoneById(call.Location!.Timezone);
        var when = When(TimeZoneInfo.ConvertTime(appointment.Start, zone), null, state.Language);
        await actions.AppendEventAsync("voice.receptionist.booking_confirmed", new
        {
            callSid = call.CallSid, appointmentId = appointment.AppointmentId, locationId = call.LocationId, serviceType = appointment.ServiceType,
            start = appointment.Start, customerName = name, customerPhone = call.Caller, partySize = party,
        }, $"voice:{call.CallSid}:booking:{appointment.AppointmentId}");
        var texted = await actions.TextAsync(call.Caller, L($"{call.BusinessName}: you're booked for {when} under {name}. Reply STOP to opt out.",
            $"{call.BusinessName}: su reservación es el {when} a nombre de {name}. Responda STOP para no recibir mensajes."), $"voice:{call.CallSid}:booking");
        return new(L($"You're all set for {when}." + (texted ? " I've sent you a text confirmation." : ""),
            $"Listo, queda reservado para el {when}." + (texted ? " Le envié un mensaje de confirmación." : "")), Done: true);
    }

    /// <summary>Gives back a slot the caller is no longer holding.</summary>
    public async Task ReleaseHoldAsync()
    {
        if (state.HoldId is { } holdId && state.HoldProviderId is { } providerId)
        {
            await actions.ReleaseHoldAsync(providerId, holdId);
        }
        state.HoldId = null;
    }

    private static string Notes(string? party) => (party is null ? "" : $"Party of {party}. ") + BookedNote;
}
