using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using CloudFran.Abstractions.Calendar;
using CloudFran.Abstractions.Errors;
using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Locations;
using CloudFran.Abstractions.Email;
using CloudFran.Abstractions.Messaging;
using CloudFran.Abstractions.Webhooks;
using CloudFran.Abstractions.Voice;
using CloudFran.Grains.Calendar;
using CloudFran.Grains.Events;
using CloudFran.Grains.Messaging.Twilio;
using CloudFran.Grains.Storage;
using Microsoft.Extensions.Logging;

namespace CloudFran.Grains.Voice;

/// <summary>The conversation state of one call; persisted as JSON in <c>voice_calls.state</c> after every turn.</summary>
public sealed class CallState
{
    public string Language { get; set; } = "en";
    public string Intent { get; set; } = VoiceIntents.Unknown;
    public string? Pending { get; set; }
    public Dictionary<string, string> Slots { get; set; } = new(StringComparer.Ordinal);
    public int Turn { get; set; }
    public int Reprompts { get; set; }
    public string? LastPrompt { get; set; }
    public string? HeardText { get; set; }
    public string? HoldId { get; set; }
    public string? HoldProviderId { get; set; }
    public DateTimeOffset? HoldStart { get; set; }
    /// <summary>Seats the hold takes (the caller's party on seated tables; 1 where each table is its own provider).</summary>
    public int HoldPartySize { get; set; } = 1;
    public string? AppointmentId { get; set; }
    public List<OrderLine> Order { get; set; } = [];
    public bool OrderPlaced { get; set; }
    public HashSet<string> Outcomes { get; set; } = [];
    public List<DateTimeOffset> Offered { get; set; } = [];
    public string? OfferedService { get; set; }
    public bool RecordingRequested { get; set; }
}

/// <summary>
/// One phone call. Each Twilio webhook is one grain call that decides the next TwiML in memory, writes the call
/// row (state, turn, transcript) in one statement, and publishes the dashboard event; booking, ordering, messages
/// and transfers go through the calendar, messaging and outbox paths every other module uses.
/// </summary>
public sealed partial class CallSessionGrain(
    PlatformDb db,
    TimeProvider clock,
    ConversationEngines engines,
    TwilioClient twilio,
    Messaging.SenderAccountCache senders,
    Microsoft.Extensions.Options.IOptions<Messaging.MessagingOptions> messaging,
    ILogger<CallSessionGrain> logger) : Grain, ICallSessionGrain
{
    private const double LowConfidence = 0.45;
    private TenantScope _scope;
    private string _callSid = "";
    private bool _started;
    private bool _ended;
    private CallState _state = new();
    private string _caller = "";
    private string _called = "";
    private string? _locationId;
    private DateTimeOffset _startedAt;
    private ReceptionistSettings _settings = ReceptionistSettings.Default;
    private LocationView? _location;
    private IReadOnlyList<ServiceView> _services = [];
    private Task<string>? _slowTurn;
    private int _slowTurnNumber;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var key = this.GetPrimaryKeyString();
        var cut = key.LastIndexOf('/');
        _scope = TenantScope.Parse(key[..cut]);
        _callSid = key[(cut + 1)..];
        var row = (await db.QueryAsync(
            """
            SELECT location_id, caller_phone, called_number, started_at, ended_at, state::text
              FROM voice_calls WHERE tenant_id = @t AND env = @e AND call_sid = @c
            """,
            r => (Location: r.IsDBNull(0) ? null : r.GetString(0), Caller: r.GetString(1), Called: r.GetString(2),
                Started: r.GetFieldValue<DateTimeOffset>(3), Ended: !r.IsDBNull(4), State: r.GetString(5)),
            ("t", _scope.TenantId), ("e", _scope.EnvName), ("c", _callSid))).FirstOrDefault();
        if (row.Caller is not null)
        {
            _started = true;
            _ended = row.Ended;
            _locationId = row.Location;
            _caller = row.Caller;
            _called = row.Called;
            _startedAt = row.Started;
            _state = JsonSerializer.Deserialize<CallState>(row.State, Json.Options) ?? new CallState();
            await LoadContextAsync();
        }
    }

    private async Task LoadContextAsync()
    {
        _settings = await GrainFactory.GetVoiceAccount(_scope).GetSettingsAsync(_locationId ?? "");
        if (_locationId is not null)
        {
            try
            {
                _location = await GrainFactory.GetLocationGrain(_scope, _locationId).GetAsync();
                _services = await GrainFactory.GetLocationCalendar(_scope, _locationId).ListServicesAsync();
            }
            catch (CloudFranException e)
            {
                logger.LogWarning("Call {CallSid}: location context unavailable ({Code}).", _callSid, e.Code);
            }
        }
    }

    private string BusinessName => _settings.BusinessName ?? _location?.Name ?? "us";
    private string Voice => _state.Language == "es" ? _settings.VoiceEs : _settings.VoiceEn;
    private string GatherLanguage => _state.Language == "es" ? "es-US" : "en-US";
    private string L(string en, string es) => _state.Language == "es" ? es : en;

    public async Task<string> StartAsync(CallStart start)
    {
        if (_started)
        {
            // A replayed inbound webhook: answer the same greeting, start nothing twice.
            return _ended ? new TwiML().Hangup().ToString() : Ask(_state.LastPrompt ?? Greeting());
        }
        _caller = start.CallerPhone;
        _called = start.CalledNumber;
        _locationId = start.LocationId;
        _startedAt = clock.GetUtcNow();
        await LoadContextAsync();
        _state.LastPrompt = Greeting();
        await using (var connection = await db.Source.OpenConnectionAsync())
        await using (var tx = await connection.BeginTransactionAsync())
        {
            await using (var cmd = new Npgsql.NpgsqlCommand(
                """
                INSERT INTO voice_calls (tenant_id, env, call_sid, location_id, caller_phone, called_number, started_at, state, last_message)
                VALUES (@t, @e, @c, @l, @from, @to, @now, @state::jsonb, @last)
                ON CONFLICT DO NOTHING
                """, connection, tx))
            {
                cmd.Parameters.AddWithValue("t", _scope.TenantId);
                cmd.Parameters.AddWithValue("e", _scope.EnvName);
                cmd.Parameters.AddWithValue("c", _callSid);
                cmd.Parameters.AddWithValue("l", (object?)_locationId ?? DBNull.Value);
                cmd.Parameters.AddWithValue("from", _caller);
                cmd.Parameters.AddWithValue("to", _called);
                cmd.Parameters.AddWithValue("now", _startedAt);
                cmd.Parameters.AddWithValue("state", JsonSerializer.Serialize(_state, Json.Options));
                cmd.Parameters.AddWithValue("last", _state.LastPrompt);
                await cmd.ExecuteNonQueryAsync();
            }
            await EventOutbox.AppendAsync(connection, tx, _scope, "voice.receptionist.call_started",
                new { callSid = _callSid, callerPhone = _caller, calledNumber = _called, locationId = _locationId, startedAt = _startedAt },
                dedupeKey: $"voice:{_callSid}:started");
            await tx.CommitAsync();
        }
        _started = true;
        Publish("CallStarted", null);

        var twiml = new TwiML().Pause(1);
        AddGather(twiml, _state.LastPrompt);
        return twiml.ToString();
    }

    private string Greeting() => L($"Thank you for calling {BusinessName}! How may I help you?",
        $"¡Gracias por llamar a {BusinessName}! ¿En qué le puedo ayudar?");

    public async Task<string> RespondAsync(CallInput input)
    {
        if (!_started)
        {
            return Unknown();
        }
        if (_ended)
        {
            return new TwiML().Hangup().ToString();
        }
        if (_slowTurn is { IsCompleted: false })
        {
            // Twilio never sends speech while it is following our Redirect; a stray one waits for the turn in flight.
            return await PollAsync(_slowTurnNumber);
        }
        var turn = TurnAsync(input);
        if (turn.IsCompleted)
        {
            return await turn;
        }
        // Slow engine (LLM): keep the caller engaged and let Twilio poll, far inside its 15 s limit.
        _slowTurn = turn;
        _slowTurnNumber = _state.Turn; // counted when the turn began
        var finished = await Task.WhenAny(turn, Task.Delay(TimeSpan.FromSeconds(2.5)));
        if (finished == turn)
        {
            return await turn;
        }
        return HoldOn(_slowTurnNumber);
    }

    public async Task<string> PollAsync(int turn)
    {
        if (!_started)
        {
            return Unknown();
        }
        if (_slowTurn is null || _slowTurnNumber != turn)
        {
            return _ended ? new TwiML().Hangup().ToString() : Ask(_state.LastPrompt ?? Greeting());
        }
        var finished = await Task.WhenAny(_slowTurn, Task.Delay(TimeSpan.FromSeconds(8)));
        if (finished != _slowTurn)
        {
            return HoldOn(turn);
        }
        var twiml = await _slowTurn;
        _slowTurn = null;
        return twiml;
    }

    private string HoldOn(int turn) =>
        new TwiML().Say(L("One moment please.", "Un momento, por favor."), Voice, GatherLanguage)
            .Redirect($"/api/voice-receptionist/poll?callSid={Uri.EscapeDataString(_callSid)}&turn={turn}").ToString();

    private static string Unknown() =>
        new TwiML().Say("Sorry, we could not find this call. Please call again. Goodbye.", "Google.en-US-Neural2-F").Hangup().ToString();

    private async Task<string> TurnAsync(CallInput input)
    {
        var watch = Stopwatch.StartNew();
        var text = (input.SpeechResult ?? "").Trim();
        if (text.Length == 0 && input.Digits is { Length: > 0 } digits)
        {
            text = DigitsToText(digits);
        }
        if (text.Length == 0)
        {
            return await NoInputAsync();
        }
        MaybeStartRecording();
        _state.Turn++;
        _state.Reprompts = 0;
        var previousLanguage = _state.Language;
        var context = new EngineContext(_state.Language, _settings.Industry, Today(), _services.Select(s => s.Name).ToList(), _settings.Menu, Expecting());
        var understood = await engines.For(_settings.Engine).UnderstandAsync(text, context);
        if (understood.Language != _state.Language && understood.Language is "en" or "es" && text.Split(' ').Length >= 2)
        {
            _state.Language = understood.Language;
        }
        var lowConfidence = input.Confidence is { } c && c < LowConfidence && input.SpeechResult is not null;
        var reply = await DecideAsync(text, understood, lowConfidence);
        // The call's intent is its main task; yes/no, goodbyes and mumbles do not replace it.
        if (!lowConfidence && (understood.Intent is VoiceIntents.MakeReservation or VoiceIntents.PlaceOrder or VoiceIntents.AskQuestion
                or VoiceIntents.LeaveMessage or VoiceIntents.TransferCall
            || understood.Intent == VoiceIntents.Goodbye && _state.Intent == VoiceIntents.Unknown))
        {
            _state.Intent = understood.Intent;
        }
        var callTurn = new CallTurn(_state.Turn, clock.GetUtcNow(), text, input.Confidence, understood.Intent, reply.Say,
            Math.Round(watch.Elapsed.TotalMilliseconds, 2), _state.Language);
        await SaveTurnAsync(callTurn, languageSwitched: previousLanguage != _state.Language ? previousLanguage : null);
        Publish("CallUpdated", null);
        return reply.TwiML;
    }

    private static string DigitsToText(string digits) => digits switch
    {
        "0" => "speak to a person",
        "1" => "yes",
        "2" => "no",
        _ => digits.Length >= 10 ? digits : $"number {digits}",
    };

    private string? Expecting() => _state.Pending switch
    {
        "confirm_booking" or "confirm_order" or "confirm_heard" or "offer_message" or "order_more" => "confirm",
        "name" => "name",
        "anything_else" => "anything_else",
        _ => null,
    };

    private DateOnly Today()
    {
        var zone = _location is null ? TimeZoneInfo.Utc : TimeZoneInfo.FindSystemTimeZoneById(_location.Timezone);
        return DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(clock.GetUtcNow(), zone).DateTime);
    }

    private readonly record struct Reply(string Say, string TwiML);

    private Reply Gather(string say)
    {
        _state.LastPrompt = say;
        var twiml = new TwiML();
        AddGather(twiml, say);
        return new Reply(say, twiml.ToString());
    }

    private string Ask(string say)
    {
        var twiml = new TwiML();
        AddGather(twiml, say);
        return twiml.ToString();
    }

    private void AddGather(TwiML twiml, string say)
    {
        var sid = Uri.EscapeDataString(_callSid);
        twiml.Gather($"/api/voice-receptionist/respond?callSid={sid}", language: GatherLanguage, speechTimeout: "auto",
            body: g => g.Say(say, Voice, GatherLanguage));
        twiml.Redirect($"/api/voice-receptionist/no-input?callSid={sid}");
    }

    private Reply Goodbye(string? before = null)
    {
        var say = (before is null ? "" : before + " ") + L($"Thank you for calling {BusinessName}. Goodbye!", $"Gracias por llamar a {BusinessName}. ¡Adiós!");
        _state.Pending = null;
        _state.LastPrompt = say;
        return new Reply(say, new TwiML().Say(say, Voice, GatherLanguage).Hangup().ToString());
    }

    private string AnythingElse() => L("Is there anything else I can help you with?", "¿Le puedo ayudar con algo más?");

    private Reply Next(string said)
    {
        _state.Pending = "anything_else";
        return Gather($"{said} {AnythingElse()}");
    }

    private async Task<Reply> DecideAsync(string text, Understanding u, bool lowConfidence)
    {
        foreach (var (k, v) in u.Slots)
        {
            if (k != "items") _state.Slots[k] = v;
        }
        if (lowConfidence && _state.Pending is not ("message_body" or "confirm_heard"))
        {
            if (u.Intent == VoiceIntents.Unknown)
            {
                return Gather(L("Sorry, I didn't catch that. Could you say it again?", "Perdón, no le entendí. ¿Me lo repite, por favor?"));
            }
            _state.HeardText = text;
            _state.Pending = "confirm_heard";
            return Gather(L($"I want to be sure I heard you right. Did you say: {text}?", $"Quiero asegurarme de haberle entendido. ¿Dijo: {text}?"));
        }
        var strongSwitch = u.Intent is VoiceIntents.TransferCall or VoiceIntents.LeaveMessage or VoiceIntents.Goodbye && u.Confidence >= 0.75;
        if (_state.Pending is { } pending && !(strongSwitch && pending is not ("message_body" or "confirm_heard")))
        {
            switch (pending)
            {
                case "confirm_heard":
                    _state.Pending = null;
                    if (u.Intent == VoiceIntents.Affirm && _state.HeardText is { } heard)
                    {
                        var again = await engines.For(_settings.Engine).UnderstandAsync(heard,
                            new EngineContext(_state.Language, _settings.Industry, Today(), _services.Select(s => s.Name).ToList(), _settings.Menu));
                        foreach (var (k, v) in again.Slots) if (k != "items") _state.Slots[k] = v;
                        _state.Intent = again.Intent;
                        return await HandleIntentAsync(again);
                    }
                    return Gather(L("Sorry about that. Could you say it again?", "Disculpe. ¿Me lo puede repetir?"));
                case "message_body":
                    return await TakeMessageAsync(text);
                case "offer_message":
                    if (u.Intent == VoiceIntents.Affirm || u.Intent == VoiceIntents.LeaveMessage)
                    {
                        _state.Pending = "message_body";
                        return Gather(L("Of course. What message would you like to leave?", "Claro. ¿Qué mensaje desea dejar?"));
                    }
                    if (u.Intent == VoiceIntents.Deny) return Next(L("No problem.", "Está bien."));
                    break;
                case "anything_else":
                    if (u.Intent is VoiceIntents.Deny or VoiceIntents.Goodbye) return Goodbye();
                    if (u.Intent == VoiceIntents.Affirm) { _state.Pending = null; return Gather(L("Sure, what can I do for you?", "Claro, ¿en qué le ayudo?")); }
                    break;
                case "confirm_booking":
                    if (u.Intent == VoiceIntents.Affirm) return await ConfirmBookingAsync();
                    if (u.Intent == VoiceIntents.Deny)
                    {
                        await ReleaseHoldAsync();
                        _state.Slots.Remove("time");
                        _state.Pending = "datetime";
                        return Gather(L("No problem. What other day and time would work for you?", "Está bien. ¿Qué otro día y hora le convienen?"));
                    }
                    if (u.Slots.ContainsKey("time") || u.Slots.ContainsKey("date")) { await ReleaseHoldAsync(); return await BookingAsync(); }
                    return Gather(L("Should I confirm it? Please say yes or no.", "¿Lo confirmo? Diga sí o no, por favor."));
                case "confirm_order":
                    if (u.Intent == VoiceIntents.Affirm) return await PlaceOrderAsync();
                    if (u.Intent == VoiceIntents.Deny)
                    {
                        _state.Order.Clear();
                        _state.Pending = "items";
                        return Gather(L("Okay, I've cleared the order. What would you like instead?", "Está bien, borré el pedido. ¿Qué le gustaría pedir?"));
                    }
                    return Gather(L("Should I place the order? Please say yes or no.", "¿Hago el pedido? Diga sí o no, por favor."));
                case "order_more":
                    if (u.Slots.TryGetValue("items", out _)) { AddItems(text); return OrderSoFar(); }
                    if (u.Intent is VoiceIntents.Deny or VoiceIntents.Goodbye) return await OrderReadyAsync();
                    if (u.Intent == VoiceIntents.Affirm) { _state.Pending = "items"; return Gather(L("What else would you like?", "¿Qué más le gustaría?")); }
                    break;
                case "items":
                    if (u.Slots.ContainsKey("items")) { AddItems(text); return OrderSoFar(); }
                    if (u.Intent == VoiceIntents.Deny && _state.Order.Count > 0) return await OrderReadyAsync();
                    return Gather(L($"Sorry, I couldn't find that on our menu. We have {MenuList()}. What would you like?",
                        $"Perdón, no encontré eso en el menú. Tenemos {MenuList()}. ¿Qué le gustaría?"));
                case "name":
                    if (_state.Slots.ContainsKey("name")) return _state.Intent == VoiceIntents.PlaceOrder ? await OrderReadyAsync() : await BookingAsync();
                    return Gather(L("Sorry, what name should I put it under?", "Perdón, ¿a nombre de quién?"));
                case "partySize":
                    if (FirstNumber(text) is { } n and >= 1 and <= 50) _state.Slots["partySize"] = n.ToString(CultureInfo.InvariantCulture);
                    if (_state.Slots.ContainsKey("partySize")) return await BookingAsync();
                    return Gather(L("For how many people?", "¿Para cuántas personas?"));
                case "datetime" or "service":
                    if (u.Slots.ContainsKey("date") || u.Slots.ContainsKey("time") || u.Slots.ContainsKey("service") || u.Slots.ContainsKey("partOfDay"))
                    {
                        return await BookingAsync();
                    }
                    break;
            }
        }
        _state.Pending = null;
        return await HandleIntentAsync(u, text);
    }

    private async Task<Reply> HandleIntentAsync(Understanding u, string? text = null)
    {
        switch (u.Intent)
        {
            case VoiceIntents.MakeReservation:
                return await BookingAsync();
            case VoiceIntents.PlaceOrder:
                if (_settings.Menu.Count == 0)
                {
                    return Next(L("I'm sorry, we don't take orders by phone at this location.", "Lo siento, en esta sucursal no tomamos pedidos por teléfono."));
                }
                if (u.Slots.ContainsKey("items") && text is not null) { AddItems(text); return OrderSoFar(); }
                if (u.Slots.ContainsKey("items") && _state.HeardText is { } heard) { AddItems(heard); return OrderSoFar(); }
                _state.Pending = "items";
                return Gather(L($"Sure! What would you like to order? We have {MenuList()}.", $"¡Claro! ¿Qué le gustaría pedir? Tenemos {MenuList()}."));
            case VoiceIntents.AskQuestion:
                return Next(Answer(text ?? _state.HeardText ?? ""));
            case VoiceIntents.LeaveMessage:
                if (text is not null && MessageContent(text) is { } content)
                {
                    return await TakeMessageAsync(content);
                }
                _state.Pending = "message_body";
                return Gather(L("Of course. What message would you like to leave?", "Claro. ¿Qué mensaje desea dejar?"));
            case VoiceIntents.TransferCall:
                return await TransferAsync();
            case VoiceIntents.Goodbye:
                return Goodbye();
            case VoiceIntents.Affirm or VoiceIntents.Deny:
                return Gather(L("How can I help you today?", "¿En qué le puedo ayudar hoy?"));
            default:
                return Gather(L("Sorry, I didn't get that. I can make a reservation, take an order, answer questions, take a message or transfer you. What would you like?",
                    "Perdón, no le entendí. Puedo hacer una reservación, tomar un pedido, contestar preguntas, tomar un mensaje o transferirle. ¿Qué desea?"));
        }
    }

    // ---------------------------------------------------------------- booking

    private async Task<Reply> BookingAsync()
    {
        _state.Intent = VoiceIntents.MakeReservation;
        var vocabulary = IndustryVocabulary.For(_settings.Industry);
        var noun = vocabulary.BookingNoun(_state.Language);
        if (_locationId is null || _services.Count == 0)
        {
            _state.Pending = "offer_message";
            return Gather(L($"I'm sorry, I can't make a {noun} by phone right now. Would you like to leave a message for the team?",
                $"Lo siento, ahora no puedo hacer una {noun} por teléfono. ¿Desea dejar un mensaje para el equipo?"));
        }
        var service = _settings.ReservationService ?? (_state.Slots.TryGetValue("service", out var s) ? s : null)
            ?? (_services.Count == 1 ? _services[0].Name : null);
        if (service is null)
        {
            _state.Pending = "service";
            var list = string.Join(", ", _services.Select(x => x.Name));
            return Gather(L($"Which service would you like? We offer {list}.", $"¿Qué servicio desea? Ofrecemos {list}."));
        }
        if (!_state.Slots.ContainsKey("date") && !_state.Slots.ContainsKey("time") && !_state.Slots.ContainsKey("partOfDay"))
        {
            _state.Pending = "datetime";
            return Gather(L($"I'd be happy to help with a {noun}. What day and time would you like?", $"Con gusto le ayudo con su {noun}. ¿Qué día y a qué hora?"));
        }
        if (vocabulary.AskPartySize && !_state.Slots.ContainsKey("partySize"))
        {
            _state.Pending = "partySize";
            return Gather(L("For how many people?", "¿Para cuántas personas?"));
        }
        if (!_state.Slots.ContainsKey("name"))
        {
            _state.Pending = "name";
            return Gather(L($"And what name should I put the {noun} under?", $"¿Y a nombre de quién hago la {noun}?"));
        }

        var zone = TimeZoneInfo.FindSystemTimeZoneById(_location!.Timezone);
        var date = _state.Slots.TryGetValue("date", out var d) ? DateOnly.ParseExact(d, "yyyy-MM-dd", CultureInfo.InvariantCulture) : Today();
        var calendar = GrainFactory.GetLocationCalendar(_scope, _locationId);
        var party = _state.Slots.TryGetValue("partySize", out var ps) ? ps : null;
        var seats = int.TryParse(party, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 1 ? n : 1;
        AvailabilityView availability;
        try
        {
            try
            {
                availability = await calendar.GetAvailabilityAsync(new AvailabilityQuery(service, date, date.AddDays(2), null, seats));
            }
            catch (CloudFranException e) when (seats > 1 && e.Kind == ErrorKind.Invalid)
            {
                // No table here seats the whole party: each table is booked whole (the party goes in the notes).
                seats = 1;
                availability = await calendar.GetAvailabilityAsync(new AvailabilityQuery(service, date, date.AddDays(2), null, seats));
            }
        }
        catch (CloudFranException)
        {
            _state.Pending = "offer_message";
            return Gather(L("I'm sorry, I couldn't check the schedule. Would you like to leave a message instead?",
                "Lo siento, no pude revisar la agenda. ¿Desea dejar un mensaje?"));
        }
        var local = availability.Slots.Select(x => (Slot: x, Local: TimeZoneInfo.ConvertTime(x.Start, zone))).ToList();
        var sameDay = local.Where(x => DateOnly.FromDateTime(x.Local.DateTime) == date).ToList();
        (AvailableSlot Slot, DateTimeOffset Local)? pick = null;
        if (_state.Slots.TryGetValue("time", out var t))
        {
            var time = TimeOnly.ParseExact(t, "HH:mm", CultureInfo.InvariantCulture);
            var exact = sameDay.FirstOrDefault(x => TimeOnly.FromDateTime(x.Local.DateTime) == time);
            if (exact.Slot is not null)
            {
                pick = exact;
            }
            else
            {
                var target = date.ToDateTime(time);
                var nearest = local.OrderBy(x => Math.Abs((x.Local.DateTime - target).TotalMinutes)).Take(2).OrderBy(x => x.Slot.Start).ToList();
                _state.Slots.Remove("time");
                _state.Pending = "datetime";
                if (nearest.Count == 0)
                {
                    return Gather(L("I'm sorry, we're fully booked around then. Would another day work?", "Lo siento, no hay espacio en esas fechas. ¿Le sirve otro día?"));
                }
                var options = string.Join(L(" or ", " o "), nearest.Select(x => Spoken(x.Local, date)));
                return Gather(L($"{SpokenTime(time)} isn't available. I have {options}. Which would you like?",
                    $"A las {SpokenTime(time)} no hay lugar. Tengo {options}. ¿Cuál prefiere?"));
            }
        }
        else
        {
            var window = _state.Slots.TryGetValue("partOfDay", out var p) ? p.Split('-') : null;
            var candidates = sameDay.Where(x => window is null
                || (TimeOnly.FromDateTime(x.Local.DateTime) >= TimeOnly.Parse(window[0], CultureInfo.InvariantCulture)
                    && TimeOnly.FromDateTime(x.Local.DateTime) < TimeOnly.Parse(window[1], CultureInfo.InvariantCulture))).Take(2).ToList();
            _state.Pending = "datetime";
            if (candidates.Count == 0)
            {
                return Gather(L("I'm sorry, nothing is free then. Would another day or time work?", "Lo siento, no hay lugar a esa hora. ¿Le sirve otro día u hora?"));
            }
            var options = string.Join(L(" or ", " o "), candidates.Select(x => Spoken(x.Local, date)));
            return Gather(L($"I have {options}. Which would you like?", $"Tengo {options}. ¿Cuál prefiere?"));
        }

        var name = _state.Slots["name"];
        var notes = (party is null ? "" : $"Party of {party}. ") + "Booked by the voice receptionist.";
        try
        {
            var hold = await calendar.HoldAsync(new BookingRequest(service, pick.Value.Slot.Start, null, name, _caller, null, notes, 1, null, seats), 5);
            _state.HoldPartySize = seats;
            _state.HoldId = hold.AppointmentId;
            _state.HoldProviderId = hold.ProviderId;
            _state.HoldStart = hold.Start;
            _state.OfferedService = service;
        }
        catch (CloudFranException e) when (e.Code == CalendarErrors.SlotUnavailable)
        {
            _state.Slots.Remove("time");
            _state.Pending = "datetime";
            return Gather(L("That time was just taken. What other time would work?", "Esa hora se acaba de ocupar. ¿Qué otra hora le sirve?"));
        }
        _state.Pending = "confirm_booking";
        var forParty = party is null ? "" : L($" for {party}", $" para {party}");
        return Gather(L($"I can book {Article(noun)} {noun}{forParty} on {Spoken(pick.Value.Local, null)} under {name}. Shall I confirm it?",
            $"Puedo hacer la {noun}{forParty} el {Spoken(pick.Value.Local, null)} a nombre de {name}. ¿La confirmo?"));
    }

    private static string Article(string noun) => "aeiou".Contains(noun[0], StringComparison.Ordinal) ? "an" : "a";

    private async Task<Reply> ConfirmBookingAsync()
    {
        if (_state.HoldId is not { } holdId || _state.HoldProviderId is not { } providerId)
        {
            return await BookingAsync();
        }
        var name = _state.Slots.GetValueOrDefault("name") ?? "Caller";
        var party = _state.Slots.GetValueOrDefault("partySize");
        var notes = (party is null ? "" : $"Party of {party}. ") + "Booked by the voice receptionist.";
        AppointmentView appointment;
        try
        {
            appointment = await GrainFactory.GetProviderSchedule(_scope, providerId).ConfirmHoldAsync(holdId,
                new BookingRequest(_state.OfferedService ?? "", _state.HoldStart ?? default, providerId, name, _caller, null, notes, 1, null,
                    _state.HoldPartySize));
        }
        catch (CloudFranException)
        {
            // The hold lapsed while the caller thought: try the same time once more.
            _state.HoldId = null;
            return await BookingAsync();
        }
        _state.HoldId = null;
        _state.AppointmentId = appointment.AppointmentId;
        _state.Outcomes.Add(VoiceOutcomes.Booked);
        var zone = TimeZoneInfo.FindSystemTimeZoneById(_location!.Timezone);
        var when = Spoken(TimeZoneInfo.ConvertTime(appointment.Start, zone), null);
        await EventOutbox.AppendAsync(db, _scope, "voice.receptionist.booking_confirmed", new
        {
            callSid = _callSid, appointmentId = appointment.AppointmentId, locationId = _locationId, serviceType = appointment.ServiceType,
            start = appointment.Start, customerName = name, customerPhone = _caller, partySize = party,
        }, dedupeKey: $"voice:{_callSid}:booking:{appointment.AppointmentId}");
        var texted = await TextAsync(_caller, L($"{BusinessName}: you're booked for {when} under {name}. Reply STOP to opt out.",
            $"{BusinessName}: su reservación es el {when} a nombre de {name}. Responda STOP para no recibir mensajes."), $"voice:{_callSid}:booking");
        return Next(L($"You're all set for {when}." + (texted ? " I've sent you a text confirmation." : ""),
            $"Listo, queda reservado para el {when}." + (texted ? " Le envié un mensaje de confirmación." : "")));
    }

    private async Task ReleaseHoldAsync()
    {
        if (_state.HoldId is { } holdId && _state.HoldProviderId is { } providerId)
        {
            try
            {
                await GrainFactory.GetProviderSchedule(_scope, providerId).ReleaseHoldAsync(holdId);
            }
            catch (CloudFranException)
            {
                // Already expired.
            }
        }
        _state.HoldId = null;
    }

    private static readonly string[] EsDays = ["domingo", "lunes", "martes", "miércoles", "jueves", "viernes", "sábado"];
    private static readonly string[] EsMonths = ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"];

    private string Spoken(DateTimeOffset local, DateOnly? sameDayAs)
    {
        var time = SpokenTime(TimeOnly.FromDateTime(local.DateTime));
        if (sameDayAs is { } day && DateOnly.FromDateTime(local.DateTime) == day)
        {
            return time;
        }
        return _state.Language == "es"
            ? $"{EsDays[(int)local.DayOfWeek]} {local.Day} de {EsMonths[local.Month - 1]} a las {time}"
            : $"{local.ToString("dddd, MMMM d", CultureInfo.InvariantCulture)} at {time}";
    }

    private string SpokenTime(TimeOnly time) => _state.Language == "es"
        ? time.ToString("H:mm", CultureInfo.InvariantCulture)
        : time.ToString("h:mm tt", CultureInfo.InvariantCulture);

    // ---------------------------------------------------------------- orders

    private void AddItems(string text)
    {
        var lines = OfflineConversationEngine.ExtractItems(OfflineConversationEngine.DigitsText(text), _settings.Menu);
        foreach (var line in lines)
        {
            var existing = _state.Order.FindIndex(o => o.Item == line.Item);
            if (existing >= 0) _state.Order[existing] = _state.Order[existing] with { Quantity = _state.Order[existing].Quantity + line.Quantity };
            else _state.Order.Add(line);
        }
        _state.Intent = VoiceIntents.PlaceOrder;
    }

    private string OrderText() => string.Join(", ", _state.Order.Select(o => $"{o.Quantity} {o.Item}"));

    private Reply OrderSoFar()
    {
        _state.Pending = "order_more";
        return Gather(L($"Got it: {OrderText()}. Anything else?", $"Anotado: {OrderText()}. ¿Algo más?"));
    }

    private Task<Reply> OrderReadyAsync() => Task.FromResult(OrderReady());

    private Reply OrderReady()
    {
        if (_state.Order.Count == 0)
        {
            _state.Pending = "items";
            return Gather(L("What would you like to order?", "¿Qué le gustaría pedir?"));
        }
        if (!_state.Slots.ContainsKey("name"))
        {
            _state.Pending = "name";
            return Gather(L("What name is the order under?", "¿A nombre de quién es el pedido?"));
        }
        var total = _state.Order.Sum(o => o.Quantity * o.UnitPrice);
        _state.Pending = "confirm_order";
        return Gather(L($"That's {OrderText()}, for a total of ${total:0.00}, under {_state.Slots["name"]}. Shall I place the order?",
            $"Son {OrderText()}, con un total de ${total:0.00}, a nombre de {_state.Slots["name"]}. ¿Hago el pedido?"));
    }

    private async Task<Reply> PlaceOrderAsync()
    {
        var total = _state.Order.Sum(o => o.Quantity * o.UnitPrice);
        var name = _state.Slots.GetValueOrDefault("name");
        _state.OrderPlaced = true;
        _state.Outcomes.Add(VoiceOutcomes.Ordered);
        await EventOutbox.AppendAsync(db, _scope, "voice.receptionist.order_confirmed", new
        {
            callSid = _callSid, locationId = _locationId, customerName = name, customerPhone = _caller,
            items = _state.Order.Select(o => new { item = o.Item, quantity = o.Quantity, unitPrice = o.UnitPrice }), total,
        }, dedupeKey: $"voice:{_callSid}:order:{_state.Turn}");
        var texted = await TextAsync(_caller, L($"{BusinessName}: order received — {OrderText()}, total ${total:0.00}. Reply STOP to opt out.",
            $"{BusinessName}: pedido recibido — {OrderText()}, total ${total:0.00}. Responda STOP para no recibir mensajes."), $"voice:{_callSid}:order:{_state.Turn}");
        return Next(L("Your order is placed." + (texted ? " I've texted you the details." : ""),
            "Su pedido está hecho." + (texted ? " Le envié los detalles por mensaje." : "")));
    }

    private string MenuList() => string.Join(", ", _settings.Menu.Take(6).Select(m => m.Name));

    // ---------------------------------------------------------------- questions

    private string Answer(string text)
    {
        var t = Calendar.BookingLanguage.Normalize(text);
        bool Has(params string[] words) => words.Any(w => Text.TextPatterns.IsMatch(t, $@"\b{System.Text.RegularExpressions.Regex.Escape(w)}\b"));

        var faq = BestFaq(t);
        if (faq is not null)
        {
            _state.Outcomes.Add(VoiceOutcomes.Answered);
            return faq.Answer;
        }
        if (_location is not null && Has("hours", "open", "close", "closing", "closed", "what time", "how late", "horario", "abren", "cierran", "abierto", "a que hora"))
        {
            _state.Outcomes.Add(VoiceOutcomes.Answered);
            return HoursAnswer();
        }
        if (_location is not null && Has("where", "address", "located", "location", "directions", "donde", "direccion", "ubicados", "quedan"))
        {
            _state.Outcomes.Add(VoiceOutcomes.Answered);
            var a = _location.Address;
            var parts = new[] { a.Street, a.City, a.State }.Where(p => !string.IsNullOrWhiteSpace(p));
            return L($"We're at {string.Join(", ", parts)}.", $"Estamos en {string.Join(", ", parts)}.");
        }
        var item = _settings.Menu.FirstOrDefault(m => new[] { m.Name }.Concat(m.Aliases ?? []).Any(n => t.Contains(Calendar.BookingLanguage.Normalize(n), StringComparison.Ordinal)));
        if (item is not null)
        {
            _state.Outcomes.Add(VoiceOutcomes.Answered);
            return L($"The {item.Name} is ${item.Price:0.00}.", $"{item.Name} cuesta ${item.Price:0.00}.");
        }
        var service = _services.FirstOrDefault(s => t.Contains(Calendar.BookingLanguage.Normalize(s.Name), StringComparison.Ordinal));
        if (service is not null)
        {
            _state.Outcomes.Add(VoiceOutcomes.Answered);
            return service.Price is { } price
                ? L($"{service.Name} is ${price:0.00} and takes about {service.DurationMinutes} minutes.", $"{service.Name} cuesta ${price:0.00} y dura unos {service.DurationMinutes} minutos.")
                : L($"{service.Name} takes about {service.DurationMinutes} minutes.", $"{service.Name} dura unos {service.DurationMinutes} minutos.");
        }
        if (Has("services", "menu", "offer", "price", "prices", "servicios", "menu", "precios", "ofrecen"))
        {
            var list = _settings.Menu.Count > 0 ? MenuList() : string.Join(", ", _services.Select(s => s.Name));
            if (list.Length > 0)
            {
                _state.Outcomes.Add(VoiceOutcomes.Answered);
                return L($"We offer {list}.", $"Ofrecemos {list}.");
            }
        }
        _state.Pending = "offer_message";
        return L("I'm not sure about that one. I can take a message so the team can call you back.",
            "No estoy seguro de eso. Puedo tomar un mensaje para que el equipo le devuelva la llamada.");
    }

    private FaqEntry? BestFaq(string t)
    {
        var words = Words(t);
        FaqEntry? best = null;
        double bestScore = 0;
        foreach (var entry in _settings.Faq)
        {
            var q = Words(Calendar.BookingLanguage.Normalize(entry.Question));
            if (q.Count == 0) continue;
            var score = (double)q.Count(words.Contains) / q.Count;
            if (score > bestScore) { bestScore = score; best = entry; }
        }
        return bestScore >= 0.5 ? best : null;
    }

    private static readonly HashSet<string> StopWords = new(StringComparer.Ordinal)
    {
        "the", "a", "an", "do", "you", "is", "are", "i", "can", "your", "what", "to", "of", "for", "we", "it", "have", "there", "any", "in", "on",
        "el", "la", "los", "las", "de", "que", "se", "un", "una", "tienen", "hay", "es", "y", "en", "con", "su",
    };

    private static HashSet<string> Words(string t) =>
        t.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(w => !StopWords.Contains(w)).Select(w => w.TrimEnd('s')).ToHashSet(StringComparer.Ordinal);

    private string HoursAnswer()
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(_location!.Timezone);
        var day = _state.Slots.TryGetValue("date", out var d) ? DateOnly.ParseExact(d, "yyyy-MM-dd", CultureInfo.InvariantCulture) : Today();
        _ = zone;
        var key = day.DayOfWeek.ToString().ToLowerInvariant();
        var which = day == Today() ? L("today", "hoy") : (_state.Language == "es" ? "el " + EsDays[(int)day.DayOfWeek] : "on " + day.DayOfWeek);
        if (!_location.Hours.TryGetValue(key, out var intervals) || intervals.Count == 0)
        {
            return L($"We're closed {which}.", $"Estamos cerrados {which}.");
        }
        var spans = string.Join(L(" and ", " y "), intervals.Select(i =>
            $"{SpokenTime(TimeOnly.Parse(i.Open, CultureInfo.InvariantCulture))} {L("to", "a")} {(i.Close == "24:00" ? L("midnight", "medianoche") : SpokenTime(TimeOnly.Parse(i.Close, CultureInfo.InvariantCulture)))}"));
        return L($"We're open {which} from {spans}.", $"Abrimos {which} de {spans}.");
    }

    // ---------------------------------------------------------------- messages and transfers

    private static string? MessageContent(string text)
    {
        var m = Text.TextPatterns.Match(text,
            @"\b(?:tell (?:them|him|her|the \w+)|let (?:them|him|her|the \w+) know|message (?:for \w+ )?(?:saying|that)|d[ií]ganle|d[ií]gale|que sepan)\s+(?:that\s+|que\s+)?(?<body>.{3,})$",
            System.Text.RegularExpressions.RegexOptions.IgnoreCase);
        return m.Success ? m.Groups["body"].Value.Trim() : null;
    }

    private async Task<Reply> TakeMessageAsync(string body)
    {
        body = body.Length > 2000 ? body[..2000] : body;
        var name = _state.Slots.GetValueOrDefault("name");
        var messageId = Ids.New("vmsg");
        await db.ExecuteAsync(
            """
            INSERT INTO voice_messages (tenant_id, env, message_id, call_sid, location_id, caller_phone, caller_name, body, created_at)
            VALUES (@t, @e, @id, @c, @l, @p, @n, @b, @now) ON CONFLICT DO NOTHING
            """,
            ("t", _scope.TenantId), ("e", _scope.EnvName), ("id", messageId), ("c", _callSid), ("l", _locationId), ("p", _caller),
            ("n", name), ("b", body), ("now", clock.GetUtcNow()));
        await EventOutbox.AppendAsync(db, _scope, "voice.receptionist.message_captured", new
        {
            callSid = _callSid, messageId, locationId = _locationId, callerPhone = _caller, callerName = name, message = body,
        }, dedupeKey: $"voice:{_callSid}:message:{_state.Turn}");
        if (_settings.NotificationPhone is { } contact)
        {
            await TextAsync(contact, $"New message for {BusinessName} from {name ?? _caller} ({_caller}): {body}", $"voice:{_callSid}:message:{_state.Turn}");
        }
        _state.Outcomes.Add(VoiceOutcomes.MessageTaken);
        return Next(L("Thank you, I'll pass your message along.", "Gracias, le haré llegar su mensaje."));
    }

    private async Task<Reply> TransferAsync()
    {
        _state.Intent = VoiceIntents.TransferCall;
        if (_settings.TransferNumber is not { } number)
        {
            _state.Pending = "offer_message";
            return Gather(L("I'm sorry, no one is available to take your call right now. Would you like to leave a message?",
                "Lo siento, en este momento no hay nadie disponible. ¿Desea dejar un mensaje?"));
        }
        await EventOutbox.AppendAsync(db, _scope, "voice.receptionist.transfer_requested", new
        {
            callSid = _callSid, locationId = _locationId, callerPhone = _caller, transferTo = number,
        }, dedupeKey: $"voice:{_callSid}:transfer:{_state.Turn}");
        var say = L("Please hold while I connect you.", "Un momento, le comunico.");
        _state.Pending = null;
        _state.LastPrompt = say;
        var twiml = new TwiML().Say(say, Voice, GatherLanguage)
            .Dial(number, $"/api/voice-receptionist/dial-status?callSid={Uri.EscapeDataString(_callSid)}", 20, _called);
        return new Reply(say, twiml.ToString());
    }

    public async Task<string> DialResultAsync(string dialCallStatus)
    {
        if (!_started) return Unknown();
        if (_ended) return new TwiML().Hangup().ToString();
        _state.Turn++;
        Reply reply;
        if (dialCallStatus is "completed" or "answered")
        {
            _state.Outcomes.Add(VoiceOutcomes.Transferred);
            reply = new Reply("(transferred)", new TwiML().Hangup().ToString());
        }
        else
        {
            _state.Pending = "offer_message";
            reply = Gather(L("Sorry, nobody was able to answer. Would you like to leave a message instead?",
                "Lo siento, nadie pudo contestar. ¿Desea dejar un mensaje?"));
        }
        await SaveTurnAsync(new CallTurn(_state.Turn, clock.GetUtcNow(), $"(transfer {dialCallStatus})", null, VoiceIntents.TransferCall, reply.Say, 0, _state.Language), null);
        Publish("CallUpdated", null);
        return reply.TwiML;
    }

    public async Task<string> NoInputAsync()
    {
        if (!_started) return Unknown();
        if (_ended) return new TwiML().Hangup().ToString();
        MaybeStartRecording();
        _state.Reprompts++;
        _state.Turn++;
        Reply reply;
        if (_state.Reprompts > _settings.MaxReprompts)
        {
            if (_state.Outcomes.Count == 0) _state.Outcomes.Add(VoiceOutcomes.NoInput);
            reply = Goodbye(L("I haven't heard anything, so I'll end the call.", "No escucho nada, así que terminaré la llamada."));
        }
        else
        {
            var prompt = L("Are you still there? ", "¿Sigue ahí? ") + (_state.LastPrompt ?? Greeting());
            var twiml = new TwiML();
            AddGather(twiml, prompt);
            reply = new Reply(prompt, twiml.ToString());
        }
        await SaveTurnAsync(new CallTurn(_state.Turn, clock.GetUtcNow(), "(no input)", null, VoiceIntents.Unknown, reply.Say, 0, _state.Language), null);
        Publish("CallUpdated", null);
        return reply.TwiML;
    }

    // ---------------------------------------------------------------- completion and recording

    public async Task CompleteAsync(string callStatus, int? durationSeconds)
    {
        if (!_started || _ended)
        {
            return;
        }
        await ReleaseHoldAsync();
        var now = clock.GetUtcNow();
        var duration = durationSeconds ?? (int)Math.Max(0, (now - _startedAt).TotalSeconds);
        var outcome = FinalOutcome(callStatus);
        await using (var connection = await db.Source.OpenConnectionAsync())
        await using (var tx = await connection.BeginTransactionAsync())
        {
            await using (var cmd = new Npgsql.NpgsqlCommand(
                """
                UPDATE voice_calls SET ended_at = @now, status = @s, outcome = @o, duration_seconds = @d, state = @state::jsonb
                 WHERE tenant_id = @t AND env = @e AND call_sid = @c AND ended_at IS NULL
                """, connection, tx))
            {
                cmd.Parameters.AddWithValue("now", now);
                cmd.Parameters.AddWithValue("s", callStatus);
                cmd.Parameters.AddWithValue("o", outcome);
                cmd.Parameters.AddWithValue("d", duration);
                cmd.Parameters.AddWithValue("state", JsonSerializer.Serialize(_state, Json.Options));
                cmd.Parameters.AddWithValue("t", _scope.TenantId);
                cmd.Parameters.AddWithValue("e", _scope.EnvName);
                cmd.Parameters.AddWithValue("c", _callSid);
                if (await cmd.ExecuteNonQueryAsync() == 0)
                {
                    _ended = true;
                    return;
                }
            }
            await EventOutbox.AppendAsync(connection, tx, _scope, "voice.receptionist.call_ended", new
            {
                callSid = _callSid, locationId = _locationId, callerPhone = _caller, callStatus, outcome, durationSeconds = duration,
                turns = _state.Turn, intent = _state.Intent, appointmentId = _state.AppointmentId,
            }, dedupeKey: $"voice:{_callSid}:ended");
            await tx.CommitAsync();
        }
        _ended = true;
        Publish("CallEnded", outcome, duration);
        DeactivateOnIdle();
    }

    private string FinalOutcome(string callStatus)
    {
        foreach (var outcome in VoiceOutcomes.All)
        {
            if (_state.Outcomes.Contains(outcome)) return outcome;
        }
        return callStatus is "failed" or "busy" or "no-answer" or "canceled" ? VoiceOutcomes.Failed : VoiceOutcomes.Abandoned;
    }

    public async Task RecordingAsync(string recordingSid, string recordingUrl, string recordingStatus)
    {
        if (!_started || !_settings.RecordCalls || recordingStatus != "completed")
        {
            return;
        }
        await db.ExecuteAsync(
            "UPDATE voice_calls SET recording_sid = @sid, recording_url = @url WHERE tenant_id = @t AND env = @e AND call_sid = @c",
            ("sid", recordingSid), ("url", recordingUrl), ("t", _scope.TenantId), ("e", _scope.EnvName), ("c", _callSid));
    }

    /// <summary>
    /// Recording starts with the first webhook after the greeting (the call is in progress by then; Twilio refuses
    /// recordings of ringing calls). It runs beside the turn, never delaying the TwiML.
    /// </summary>
    private void MaybeStartRecording()
    {
        if (_settings.RecordCalls && !_state.RecordingRequested)
        {
            _state.RecordingRequested = true;
            StartRecordingAsync(CancellationToken.None).Ignore();
        }
    }

    private async Task StartRecordingAsync(CancellationToken ct)
    {
        try
        {
            var sender = await senders.GetAsync(_scope);
            if (sender.Account is not { } account || _ended) return;
            var baseUrl = messaging.Value.PublicBaseUrl?.TrimEnd('/') ?? "";
            await twilio.StartRecordingAsync(account, _callSid, $"{baseUrl}/api/voice-receptionist/recording-status", ct);
        }
        catch (Exception e) when (e is TwilioException or HttpRequestException or TaskCanceledException)
        {
            logger.LogWarning("Call {CallSid}: recording could not be started ({Error}).", _callSid, e.Message);
        }
    }

    // ---------------------------------------------------------------- persistence and fan-out

    private async Task SaveTurnAsync(CallTurn turn, string? languageSwitched)
    {
        var turnJson = JsonSerializer.Serialize(turn, Json.Options);
        await using var connection = await db.Source.OpenConnectionAsync();
        await using var tx = languageSwitched is null ? null : await connection.BeginTransactionAsync();
        await using (var cmd = new Npgsql.NpgsqlCommand(
            """
            UPDATE voice_calls SET intent = @i, language = @lang, turn_count = @n, last_message = @last,
                   turns = turns || jsonb_build_array(@turn::jsonb), state = @state::jsonb, appointment_id = @appt, order_lines = @order::jsonb
             WHERE tenant_id = @t AND env = @e AND call_sid = @c
            """, connection, tx))
        {
            cmd.Parameters.AddWithValue("i", _state.Intent);
            cmd.Parameters.AddWithValue("lang", _state.Language);
            cmd.Parameters.AddWithValue("n", _state.Turn);
            cmd.Parameters.AddWithValue("last", _state.LastPrompt ?? "");
            cmd.Parameters.AddWithValue("turn", turnJson);
            cmd.Parameters.AddWithValue("state", JsonSerializer.Serialize(_state, Json.Options));
            cmd.Parameters.AddWithValue("appt", (object?)_state.AppointmentId ?? DBNull.Value);
            cmd.Parameters.AddWithValue("order", JsonSerializer.Serialize(_state.OrderPlaced ? _state.Order : [], Json.Options));
            cmd.Parameters.AddWithValue("t", _scope.TenantId);
            cmd.Parameters.AddWithValue("e", _scope.EnvName);
            cmd.Parameters.AddWithValue("c", _callSid);
            await cmd.ExecuteNonQueryAsync();
        }
        if (tx is not null)
        {
            await EventOutbox.AppendAsync(connection, tx, _scope, "voice.receptionist.language_switched",
                new { callSid = _callSid, from = languageSwitched, to = _state.Language, turn = turn.Turn },
                dedupeKey: $"voice:{_callSid}:lang:{turn.Turn}");
            await tx.CommitAsync();
        }
    }

    private void Publish(string name, string? outcome, int? duration = null)
    {
        var now = clock.GetUtcNow();
        var seconds = duration ?? (int)Math.Max(0, (now - _startedAt).TotalSeconds);
        GrainFactory.GetVoiceDashboard(_scope).PublishAsync(new CallEvent(name, _scope, _callSid, _caller, _state.Intent, _state.Turn, seconds,
            _state.LastPrompt, _startedAt, outcome, now)).Ignore();
    }

    private async Task<bool> TextAsync(string to, string body, string idempotencyKey)
    {
        try
        {
            await GrainFactory.GetSmsSender(_scope).SendAsync(new SmsSendRequest(to, body, null, _locationId, idempotencyKey));
            return true;
        }
        catch (CloudFranException e)
        {
            // Opted out, invalid number or messaging not configured: the call goes on without the text.
            logger.LogInformation("Call {CallSid}: no SMS to the caller ({Code}).", _callSid, e.Code);
            return false;
        }
    }

    private static int? FirstNumber(string text)
    {
        var m = Text.TextPatterns.Match(OfflineConversationEngine.DigitsText(text), @"\b(\d{1,2})\b");
        return m.Success ? int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : null;
    }
}
