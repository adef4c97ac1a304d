using CloudFran.Abstractions.Voice;

namespace CloudFran.Grains.Voice;

/// <summary>What the receptionist decided on a turn: the words for the call log and the reply for the caller.</summary>
public sealed record Decision(string Said, CallReply Reply);

/// <summary>
/// The receptionist's conversation policy: what a caller's words mean given what was just asked (the pending
/// question), which task they start or continue (booking, order, question, message, transfer), and what to say next
/// in the call's language and voice. Works on the call's <see cref="CallState"/>; everything outside the
/// conversation goes through <see cref="IReceptionistActions"/>.
/// </summary>
public sealed class ReceptionistDialogue(CallState state, ReceptionistCall call, IReceptionistActions actions, TimeProvider clock)
{
    /// <summary>Speech recognised with less confidence than this is read back before anything is done with it.</summary>
    public const double LowConfidence = 0.45;

    private const string FallbackVoice = "Google.en-US-Neural2-F";

    private readonly BookingConversation _booking = new(state, call, actions, clock);

    public BookingConversation Booking => _booking;

    public ReceptionistCall Call => call;

    private ReceptionistSettings Settings => call.Settings;
    private string Voice => state.Language == "es" ? Settings.VoiceEs : Settings.VoiceEn;
    private string GatherLanguage => state.Language == "es" ? "es-US" : "en-US";
    private string L(string en, string es) => SpokenText.L(state.Language, en, es);

    public string Greeting() => L($"Thank you for calling {call.BusinessName}! How may I help you?",
        $"¡Gracias por llamar a {call.BusinessName}! ¿En qué le puedo ayudar?");

    /// <summary>The first answer: a short pause, then the greeting while listening.</summary>
    public CallReply Welcome() => CallReply.Ask(Speech(state.LastPrompt ?? Greeting()), new CallGather(GatherLanguage), pauseSeconds: 1);

    /// <summary>Asks again what was last asked (a replayed webhook); nothing changes.</summary>
    public CallReply Repeat() => Ask(state.LastPrompt ?? Greeting());

    /// <summary>Keeps the caller on the line while slow work finishes; Twilio comes back for the answer of <paramref name="turn"/>.</summary>
    public CallReply HoldOn(int turn) => CallReply.HoldOn(Speech(L("One moment please.", "Un momento, por favor.")), turn);

    /// <summary>The answer for a webhook about a call this platform never started.</summary>
    public static CallReply UnknownCall() =>
        CallReply.HangUp(new CallSpeech("Sorry, we could not find this call. Please call again. Goodbye.", FallbackVoice, null));

    /// <summary>One utterance: understood (switching language when the caller clearly did), decided, and the call's main intent kept.</summary>
    public async Task<(Decision Decision, string Intent)> HearAsync(string text, double? confidence, bool spoken)
    {
        state.Turn++;
        state.Reprompts = 0;
        var understood = await actions.UnderstandAsync(text, Context(Expecting()));
        if (understood.Language != state.Language && understood.Language is "en" or "es" && text.Split(' ').Length >= 2)
        {
            state.Language = understood.Language;
        }
        var lowConfidence = confidence is { } c && c < LowConfidence && spoken;
        var decision = await DecideAsync(text, understood, lowConfidence);
        // The call's intent is its main task; yes/no, goodbyes and mumbles do not replace it.
        if (!lowConfidence && (understood.Intent is VoiceIntents.MakeReservation or VoiceIntents.PlaceOrder or VoiceIntents.AskQuestion
                or VoiceIntents.LeaveMessage or VoiceIntents.TransferCall
            || understood.Intent == VoiceIntents.Goodbye && state.Intent == VoiceIntents.Unknown))
        {
            state.Intent = understood.Intent;
        }
        return (decision, understood.Intent);
    }

    /// <summary>The caller said nothing: ask again a bounded number of times, then say goodbye.</summary>
    public Decision NoInput()
    {
        state.Reprompts++;
        state.Turn++;
        if (state.Reprompts > Settings.MaxReprompts)
        {
            if (state.Outcomes.Count == 0) state.Outcomes.Add(VoiceOutcomes.NoInput);
            return Goodbye(L("I haven't heard anything, so I'll end the call.", "No escucho nada, así que terminaré la llamada."));
        }
        var prompt = L("Are you still there? ", "¿Sigue ahí? ") + (state.LastPrompt ?? Greeting());
        return new Decision(prompt, Ask(prompt));
    }

    /// <summary>A transfer ended: answered means the call is done; otherwise the caller is back and may leave a message.</summary>
    public Decision DialResult(string dialCallStatus)
    {
        state.Turn++;
        if (CallTransfer.Connected(dialCallStatus))
        {
            state.Outcomes.Add(VoiceOutcomes.Transferred);
            return new Decision("(transferred)", CallReply.HangUp());
        }
        state.Pending = "offer_message";
        return Gather(L("Sorry, nobody was able to answer. Would you like to leave a message instead?",
            "Lo siento, nadie pudo contestar. ¿Desea dejar un mensaje?"));
    }

    private EngineContext Context(string? expecting = null) =>
        new(state.Language, Settings.Industry, call.Today(clock), call.Services.Select(s => s.Name).ToList(), Settings.Menu, expecting);

    private string? Expecting() => state.Pending switch
    {
        "confirm_booking" or "confirm_order" or "confirm_heard" or "offer_message" or "order_more" => "confirm",
        "name" => "name",
        "anything_else" => "anything_else",
        _ => null,
    };

    private CallSpeech Speech(string text) => new(text, Voice, GatherLanguage);

    private CallReply Ask(string say) => CallReply.Ask(Speech(say), new CallGather(GatherLanguage));

    private Decision Gather(string say)
    {
        state.LastPrompt = say;
        return new Decision(say, Ask(say));
    }

    private Decision Goodbye(string? before = null)
    {
        var say = (before is null ? "" : before + " ") + L($"Thank you for calling {call.BusinessName}. Goodbye!", $"Gracias por llamar a {call.BusinessName}. ¡Adiós!");
        state.Pending = null;
        state.LastPrompt = say;
        return new Decision(say, CallReply.HangUp(Speech(say)));
    }

    private Decision Next(string said)
    {
        state.Pending = "anything_else";
        return Gather($"{said} {L("Is there anything else I can help you with?", "¿Le puedo ayudar con algo más?")}");
    }

    private Decision Booked(BookingStep step) => step.Done ? Next(step.Say) : Gather(step.Say);

    private async Task<Decision> BookingAsync() => Booked(await _booking.NextAsync());

    private async Task<Decision> DecideAsync(string text, Understanding u, bool lowConfidence)
    {
        foreach (var (k, v) in u.Slots)
        {
            if (k != "items") state.Slots[k] = v;
        }
        if (lowConfidence && state.Pending is not ("message_body" or "confirm_heard"))
        {
            if (u.Intent == VoiceIntents.Unknown)
            {
                return Gather(L("Sorry, I didn't catch that. Could you say it again?", "Perdón, no le entendí. ¿Me lo repite, por favor?"));
            }
            state.HeardText = text;
            state.Pending = "confirm_heard";
            return Gather(L($"I want to be sure I heard you right. Did you say: {text}?", $"Quiero asegurarme de haberle entendido. ¿Dijo: {text}?"));
        }
        var strongSwitch = u.Intent is VoiceIntents.TransferCall or VoiceIntents.LeaveMessage or VoiceIntents.Goodbye && u.Confidence >= 0.75;
        if (state.Pending is { } pending && !(strongSwitch && pending is not ("message_body" or "confirm_heard"))
            && await ContinueAsync(pending, text, u) is { } continued)
        {
            return continued;
        }
        state.Pending = null;
        return await HandleIntentAsync(u, text);
    }

    /// <summary>The answer to the pending question, or null when the caller moved on to something else.</summary>
    private async Task<Decision?> ContinueAsync(string pending, string text, Understanding u)
    {
        switch (pending)
        {
            case "confirm_heard":
                state.Pending = null;
                if (u.Intent == VoiceIntents.Affirm && state.HeardText is { } heard)
                {
                    var again = await actions.UnderstandAsync(heard, Context());
                    foreach (var (k, v) in again.Slots) if (k != "items") state.Slots[k] = v;
                    state.Intent = again.Intent;
                    return await HandleIntentAsync(again);
                }
                return Gather(L("Sorry about that. Could you say it again?", "Disculpe. ¿Me lo puede repetir?"));
            case "message_body":
                return await TakeMessageAsync(text);
            case "offer_message":
                if (u.Intent == VoiceIntents.Affirm || u.Intent == VoiceIntents.LeaveMessage)
                {
                    state.Pending = "message_body";
                    return Gather(L("Of course. What message would you like to leave?", "Claro. ¿Qué mensaje desea dejar?"));
                }
                if (u.Intent == VoiceIntents.Deny) return Next(L("No problem.", "Está bien."));
                return null;
            case "anything_else":
                if (u.Intent is VoiceIntents.Deny or VoiceIntents.Goodbye) return Goodbye();
                if (u.Intent == VoiceIntents.Affirm) { state.Pending = null; return Gather(L("Sure, what can I do for you?", "Claro, ¿en qué le ayudo?")); }
                return null;
            case "confirm_booking":
                if (u.Intent == VoiceIntents.Affirm) return Booked(await _booking.ConfirmAsync());
                if (u.Intent == VoiceIntents.Deny)
                {
                    await _booking.ReleaseHoldAsync();
                    state.Slots.Remove("time");
                    state.Pending = "datetime";
                    return Gather(L("No problem. What other day and time would work for you?", "Está bien. ¿Qué otro día y hora le convienen?"));
                }
                if (u.Slots.ContainsKey("time") || u.Slots.ContainsKey("date")) { await _booking.ReleaseHoldAsync(); return await BookingAsync(); }
                return Gather(L("Should I confirm it? Please say yes or no.", "¿Lo confirmo? Diga sí o no, por favor."));
            case "confirm_order":
                if (u.Intent == VoiceIntents.Affirm) return await PlaceOrderAsync();
                if (u.Intent == VoiceIntents.Deny)
                {
                    state.Order.Clear();
                    state.Pending = "items";
                    return Gather(L("Okay, I've cleared the order. What would you like instead?", "Está bien, borré el pedido. ¿Qué le gustaría pedir?"));
                }
                return Gather(L("Should I place the order? Please say yes or no.", "¿Hago el pedido? Diga sí o no, por favor."));
            case "order_more":
                if (u.Slots.ContainsKey("items")) return AddItems(text);
                if (u.Intent is VoiceIntents.Deny or VoiceIntents.Goodbye) return Gather(OrderTaking.Ready(state));
                if (u.Intent == VoiceIntents.Affirm) { state.Pending = "items"; return Gather(L("What else would you like?", "¿Qué más le gustaría?")); }
                return null;
            case "items":
                if (u.Slots.ContainsKey("items")) return AddItems(text);
                if (u.Intent == VoiceIntents.Deny && state.Order.Count > 0) return Gather(OrderTaking.Ready(state));
                return Gather(L($"Sorry, I couldn't find that on our menu. We have {MenuList()}. What would you like?",
                    $"Perdón, no encontré eso en el menú. Tenemos {MenuList()}. ¿Qué le gustaría?"));
            case "name":
                if (state.Slots.ContainsKey("name")) return state.Intent == VoiceIntents.PlaceOrder ? Gather(OrderTaking.Ready(state)) : await BookingAsync();
                return Gather(L("Sorry, what name should I put it under?", "Perdón, ¿a nombre de quién?"));
            case "partySize":
                if (SpokenText.FirstNumber(text) is { } n and >= 1 and <= 50) state.Slots["partySize"] = n.ToString(System.Globalization.CultureInfo.InvariantCulture);
                if (state.Slots.ContainsKey("partySize")) return await BookingAsync();
                return Gather(L("For how many people?", "¿Para cuántas personas?"));
            case "datetime" or "service":
                if (u.Slots.ContainsKey("date") || u.Slots.ContainsKey("time") || u.Slots.ContainsKey("service") || u.Slots.ContainsKey("partOfDay"))
                {
                    return await BookingAsync();
                }
                return null;
            default:
                return null;
        }
    }

    private async Task<Decision> HandleIntentAsync(Understanding u, string? text = null)
    {
        switch (u.Intent)
        {
            case VoiceIntents.MakeReservation:
                return await BookingAsync();
            case VoiceIntents.PlaceOrder:
                if (Settings.Menu.Count == 0)
                {
                    return Next(L("I'm sorry, we don't take orders by phone at this location.", "Lo siento, en esta sucursal no tomamos pedidos por teléfono."));
                }
                if (u.Slots.ContainsKey("items") && text is not null) return AddItems(text);
                if (u.Slots.ContainsKey("items") && state.HeardText is { } heard) return AddItems(heard);
                state.Pending = "items";
                return Gather(L($"Sure! What would you like to order? We have {MenuList()}.", $"¡Claro! ¿Qué le gustaría pedir? Tenemos {MenuList()}."));
            case VoiceIntents.AskQuestion:
                return Next(Answer(text ?? state.HeardText ?? ""));
            case VoiceIntents.LeaveMessage:
                if (text is not null && CallerMessages.Content(text) is { } content)
                {
                    return await TakeMessageAsync(content);
                }
                state.Pending = "message_body";
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

    private string MenuList() => OrderTaking.MenuList(Settings.Menu);

    private Decision AddItems(string text)
    {
        OrderTaking.AddItems(state, text, Settings.Menu);
        return Gather(OrderTaking.SoFar(state));
    }

    private string Answer(string text)
    {
        var today = call.Today(clock);
        var day = state.Slots.TryGetValue("date", out var d) ? DateOnly.ParseExact(d, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) : today;
        var answer = FaqAnswers.Answer(text, state.Language, Settings, call.Location, call.Services, day, today);
        if (answer.Answered) state.Outcomes.Add(VoiceOutcomes.Answered);
        else state.Pending = "offer_message";
        return answer.Say;
    }

    private async Task<Decision> PlaceOrderAsync()
    {
        var name = state.Slots.GetValueOrDefault("name");
        state.OrderPlaced = true;
        state.Outcomes.Add(VoiceOutcomes.Ordered);
        await actions.AppendEventAsync("voice.receptionist.order_confirmed", new
        {
            callSid = call.CallSid, locationId = call.LocationId, customerName = name, customerPhone = call.Caller,
            items = state.Order.Select(o => new { item = o.Item, quantity = o.Quantity, unitPrice = o.UnitPrice }), total = OrderTaking.Total(state),
        }, $"voice:{call.CallSid}:order:{state.Turn}");
        var texted = await actions.TextAsync(call.Caller, OrderTaking.Confirmation(state, call.BusinessName), $"voice:{call.CallSid}:order:{state.Turn}");
        return Next(L("Your order is placed." + (texted ? " I've texted you the details." : ""),
            "Su pedido está hecho." + (texted ? " Le envié los detalles por mensaje." : "")));
    }

    private async Task<Decision> TakeMessageAsync(string body)
    {
        body = CallerMessages.Truncate(body);
        var name = state.Slots.GetValueOrDefault("name");
        var messageId = await actions.SaveMessageAsync(name, body);
        await actions.AppendEventAsync("voice.receptionist.message_captured", new
        {
            callSid = call.CallSid, messageId, locationId = call.LocationId, callerPhone = call.Caller, callerName = name, message = body,
        }, $"voice:{call.CallSid}:message:{state.Turn}");
        if (Settings.NotificationPhone is { } contact)
        {
            await actions.TextAsync(contact, CallerMessages.Notification(call.BusinessName, name, call.Caller, body), $"voice:{call.CallSid}:message:{state.Turn}");
        }
        state.Outcomes.Add(VoiceOutcomes.MessageTaken);
        return Next(L("Thank you, I'll pass your message along.", "Gracias, le haré llegar su mensaje."));
    }

    private async Task<Decision> TransferAsync()
    {
        state.Intent = VoiceIntents.TransferCall;
        if (Settings.TransferNumber is not { } number)
        {
            state.Pending = "offer_message";
            return Gather(L("I'm sorry, no one is available to take your call right now. Would you like to leave a message?",
                "Lo siento, en este momento no hay nadie disponible. ¿Desea dejar un mensaje?"));
        }
        await actions.AppendEventAsync("voice.receptionist.transfer_requested", new
        {
            callSid = call.CallSid, locationId = call.LocationId, callerPhone = call.Caller, transferTo = number,
        }, $"voice:{call.CallSid}:transfer:{state.Turn}");
        var say = L("Please hold while I connect you.", "Un momento, le comunico.");
        state.Pending = null;
        state.LastPrompt = say;
        return new Decision(say, CallReply.Connect(Speech(say), CallTransfer.Dial(number, call.Called)));
    }
}
