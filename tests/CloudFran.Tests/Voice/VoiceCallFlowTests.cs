using System.Net;
using System.Text.Json;
using CloudFran.Tests.Infrastructure;
using CloudFran.Tests.Messaging;
using Xunit;

namespace CloudFran.Tests.Voice;

/// <summary>Whole simulated calls through the signed Twilio webhooks, for every intent, in English and Spanish.</summary>
[Collection(VoiceCollection.Name)]
public sealed class VoiceCallFlowTests(MessagingFactory factory)
{
    [Fact]
    public async Task Inbound_greets_with_the_business_name_in_a_Neural2_voice_and_gathers_speech()
    {
        var location = await VoiceLocation.CreateAsync(factory);
        var call = new VoiceCall(factory, location);
        var twiml = await call.StartAsync();

        var root = twiml.Root!;
        Assert.Equal("Response", root.Name.LocalName);
        var verbs = root.Elements().Select(e => e.Name.LocalName).ToList();
        Assert.Equal(["Pause", "Gather", "Redirect"], verbs);
        var gather = VoiceCall.Gather(twiml)!;
        Assert.Equal("speech dtmf", gather.Attribute("input")!.Value);
        Assert.Equal($"/api/voice-receptionist/respond?callSid={call.CallSid}", gather.Attribute("action")!.Value);
        Assert.Equal("en-US", gather.Attribute("language")!.Value);
        // Twilio refuses speechTimeout="auto" together with a speechModel.
        Assert.False(gather.Attribute("speechTimeout")?.Value == "auto" && gather.Attribute("speechModel") is not null);
        var say = gather.Element("Say")!;
        Assert.Equal("Google.en-US-Neural2-F", say.Attribute("voice")!.Value);
        Assert.Contains("BigBurger", say.Value);
        Assert.Equal($"/api/voice-receptionist/no-input?callSid={call.CallSid}", root.Element("Redirect")!.Value);
        Assert.Equal(1, await VoiceCall.CountEventsAsync(factory, location.Tenant.TenantId, "voice.receptionist.call_started", call.CallSid));

        // A replayed inbound webhook does not start a second call.
        await call.StartAsync();
        Assert.Equal(1, await VoiceCall.CountEventsAsync(factory, location.Tenant.TenantId, "voice.receptionist.call_started", call.CallSid));
    }

    [Fact]
    public async Task Booking_in_English_holds_then_books_the_slot_and_texts_a_confirmation()
    {
        var location = await VoiceLocation.CreateAsync(factory);
        var call = new VoiceCall(factory, location);
        await call.StartAsync();

        var ask = await call.SayAsync("Hi, I'd like to book a table for four tomorrow at 7pm");
        Assert.Contains("name", VoiceCall.Said(ask));
        var confirm = await call.SayAsync("Ana Diaz");
        var said = VoiceCall.Said(confirm);
        Assert.Contains("for 4", said);
        Assert.Contains("7:00 PM", said);
        Assert.Contains("Ana Diaz", said);
        Assert.Contains("confirm", said);
        var done = await call.SayAsync("Yes please");
        Assert.Contains("You're all set", VoiceCall.Said(done));
        var bye = await call.SayAsync("No, that's all. Bye!");
        Assert.True(VoiceCall.HangsUp(bye));
        await call.EndAsync();

        var log = await call.LogAsync();
        Assert.Equal("booked", log.GetProperty("outcome").GetString());
        Assert.Equal("MakeReservation", log.GetProperty("intent").GetString());
        Assert.Equal(42, log.GetProperty("durationSeconds").GetInt32());
        Assert.Equal(4, log.GetProperty("turns").GetArrayLength());
        Assert.All(log.GetProperty("turns").EnumerateArray(), t => Assert.True(t.GetProperty("serverMs").GetDouble() >= 0));
        var appointmentId = log.GetProperty("appointmentId").GetString()!;

        using var client = location.Tenant.Live();
        var appointment = await (await client.GetAsync($"/v1/calendar/appointments/{appointmentId}")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal("booked", appointment.GetProperty("status").GetString());
        Assert.Equal("Ana Diaz", appointment.GetProperty("customerName").GetString());
        Assert.Equal(call.Caller, appointment.GetProperty("customerPhone").GetString());
        var start = appointment.GetProperty("start").GetDateTimeOffset();
        var local = TimeZoneInfo.ConvertTime(start, TimeZoneInfo.FindSystemTimeZoneById(VoiceLocation.Zone));
        Assert.Equal(19, local.Hour);

        var sms = await factory.Twilio.WaitForMessageAsync(call.Caller);
        Assert.Contains("booked", sms.FormValue("Body"));
        Assert.Equal(1, await VoiceCall.CountEventsAsync(factory, location.Tenant.TenantId, "voice.receptionist.booking_confirmed", call.CallSid));
        Assert.Equal(1, await VoiceCall.CountEventsAsync(factory, location.Tenant.TenantId, "voice.receptionist.call_ended", call.CallSid));
    }

    [Fact]
    public async Task A_party_on_seated_tables_takes_that_many_seats()
    {
        var location = await VoiceLocation.CreateAsync(factory, seats: 6);
        var call = new VoiceCall(factory, location);
        await call.StartAsync();
        await call.SayAsync("Hi, I'd like to book a table for four tomorrow at 8pm");
        Assert.Contains("for 4", VoiceCall.Said(await call.SayAsync("Lee Park")));
        Assert.Contains("You're all set", VoiceCall.Said(await call.SayAsync("Yes please")));
        await call.EndAsync();

        var appointmentId = (await call.LogAsync()).GetProperty("appointmentId").GetString()!;
        using var client = location.Tenant.Live();
        var appointment = await (await client.GetAsync($"/v1/calendar/appointments/{appointmentId}")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(4, appointment.GetProperty("partySize").GetInt32());
        Assert.Equal(4, appointment.GetProperty("seats").GetArrayLength());
    }

    [Fact]
    public async Task Booking_in_Spanish_switches_language_and_voice_for_the_rest_of_the_call()
    {
        var location = await VoiceLocation.CreateAsync(factory);
        var call = new VoiceCall(factory, location);
        await call.StartAsync();

        var ask = await call.SayAsync("Hola, quiero reservar una mesa para dos mañana a las ocho de la noche");
        var gather = VoiceCall.Gather(ask)!;
        Assert.Equal("es-US", gather.Attribute("language")!.Value);
        Assert.Equal("Google.es-US-Neural2-A", gather.Element("Say")!.Attribute("voice")!.Value);
        var confirm = await call.SayAsync("Me llamo Juan Pérez");
        Assert.Contains("Juan", VoiceCall.Said(confirm));
        Assert.Contains("para 2", VoiceCall.Said(confirm));
        var done = await call.SayAsync("Sí, claro");
        Assert.Contains("Listo", VoiceCall.Said(done));
        await call.EndAsync();

        var log = await call.LogAsync();
        Assert.Equal("booked", log.GetProperty("outcome").GetString());
        Assert.Equal("es", log.GetProperty("language").GetString());
        Assert.Equal(1, await VoiceCall.CountEventsAsync(factory, location.Tenant.TenantId, "voice.receptionist.language_switched", call.CallSid));
        var sms = await factory.Twilio.WaitForMessageAsync(call.Caller);
        Assert.Contains("reservación", sms.FormValue("Body"));
    }

    [Fact]
    public async Task Asking_for_a_taken_time_offers_the_nearest_free_ones_instead_of_booking_another()
    {
        var location = await VoiceLocation.CreateAsync(factory);
        // Both tables taken at 7pm tomorrow by two earlier callers.
        for (var i = 0; i < 2; i++)
        {
            var earlier = new VoiceCall(factory, location);
            await earlier.StartAsync();
            await earlier.SayAsync("A table for two tomorrow at 7pm please, my name is Guest");
            await earlier.SayAsync("yes");
        }
        var call = new VoiceCall(factory, location);
        await call.StartAsync();
        var offer = VoiceCall.Said(await call.SayAsync("Can I book a table for two tomorrow at 7pm? My name is Bo"));
        Assert.Contains("isn't available", offer);
        Assert.Contains("6:00 PM", offer);
        Assert.Contains("8:00 PM", offer);
        var confirm = VoiceCall.Said(await call.SayAsync("8pm works"));
        Assert.Contains("8:00 PM", confirm);
        Assert.Contains("confirm", confirm);
    }

    [Fact]
    public async Task Order_in_English_is_captured_against_the_menu_read_back_and_confirmed()
    {
        var location = await VoiceLocation.CreateAsync(factory);
        var call = new VoiceCall(factory, location);
        await call.StartAsync();

        var more = VoiceCall.Said(await call.SayAsync("I'd like to order two cheeseburgers and a large fries for pickup"));
        Assert.Contains("2 Cheeseburger", more);
        Assert.Contains("1 Fries", more);
        var shake = VoiceCall.Said(await call.SayAsync("Yes, add one milkshake"));
        Assert.Contains("1 Milkshake", shake);
        var name = VoiceCall.Said(await call.SayAsync("No that's it"));
        Assert.Contains("name", name);
        var readBack = VoiceCall.Said(await call.SayAsync("Sam"));
        Assert.Contains("$26.46", readBack); // 2 × 8.99 + 3.49 + 4.99
        var placed = VoiceCall.Said(await call.SayAsync("yes"));
        Assert.Contains("order is placed", placed);
        await call.EndAsync();

        var log = await call.LogAsync();
        Assert.Equal("ordered", log.GetProperty("outcome").GetString());
        var lines = log.GetProperty("order").EnumerateArray().ToDictionary(l => l.GetProperty("item").GetString()!, l => l.GetProperty("quantity").GetInt32());
        Assert.Equal(new Dictionary<string, int> { ["Cheeseburger"] = 2, ["Fries"] = 1, ["Milkshake"] = 1 }, lines);
        Assert.Equal(1, await VoiceCall.CountEventsAsync(factory, location.Tenant.TenantId, "voice.receptionist.order_confirmed", call.CallSid));
    }

    [Fact]
    public async Task Order_in_Spanish_with_number_words()
    {
        var location = await VoiceLocation.CreateAsync(factory);
        var call = new VoiceCall(factory, location);
        await call.StartAsync();
        var more = VoiceCall.Said(await call.SayAsync("Quiero pedir tres hamburguesas y unas papas para llevar"));
        Assert.Contains("3 Cheeseburger", more);
        Assert.Contains("1 Fries", more);
        Assert.Contains("¿A nombre de quién", VoiceCall.Said(await call.SayAsync("No, nada más")));
        Assert.Contains("$30.46", VoiceCall.Said(await call.SayAsync("Lucía")));
        Assert.Contains("pedido está hecho", VoiceCall.Said(await call.SayAsync("sí")));
    }

    [Fact]
    public async Task Questions_are_answered_from_the_location_data_and_the_FAQ_in_both_languages()
    {
        var location = await VoiceLocation.CreateAsync(factory);
        var call = new VoiceCall(factory, location);
        await call.StartAsync();
        Assert.Contains("open today from 9:00 AM to 11:00 PM", VoiceCall.Said(await call.SayAsync("What time do you close today?")));
        Assert.Contains("12 State St", VoiceCall.Said(await call.SayAsync("Where are you located?")));
        Assert.Contains("free parking", VoiceCall.Said(await call.SayAsync("Do you have parking?")));
        Assert.Contains("$8.99", VoiceCall.Said(await call.SayAsync("How much is the cheeseburger?")));
        Assert.Contains("Abrimos hoy de 9:00 a 23:00", VoiceCall.Said(await call.SayAsync("¿A qué hora abren hoy?")));
        await call.EndAsync();
        Assert.Equal("answered", (await call.LogAsync()).GetProperty("outcome").GetString());
    }

    [Fact]
    public async Task Message_is_stored_and_texted_to_the_location_contact()
    {
        var location = await VoiceLocation.CreateAsync(factory);
        var call = new VoiceCall(factory, location);
        await call.StartAsync();
        Assert.Contains("What message", VoiceCall.Said(await call.SayAsync("Can I leave a message for the manager?")));
        Assert.Contains("pass your message along", VoiceCall.Said(await call.SayAsync("Please call me back about a catering order for fifty people")));
        var sms = await factory.Twilio.WaitForMessageAsync(location.NotificationPhone);
        Assert.Contains("catering order for fifty people", sms.FormValue("Body"));
        Assert.Contains(call.Caller, sms.FormValue("Body"));

        var spanish = new VoiceCall(factory, location);
        await spanish.StartAsync();
        Assert.Contains("le haré llegar", VoiceCall.Said(await spanish.SayAsync("Dígale al gerente que llegaré tarde a mi turno")));

        using var client = location.Tenant.Live();
        var messages = await (await client.GetAsync("/v1/voice/messages")).JsonAsync(HttpStatusCode.OK);
        var bodies = messages.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("body").GetString()).ToList();
        Assert.Contains("Please call me back about a catering order for fifty people", bodies);
        Assert.Contains(bodies, b => b!.Contains("llegaré tarde", StringComparison.Ordinal));
        Assert.Equal(1, await VoiceCall.CountEventsAsync(factory, location.Tenant.TenantId, "voice.receptionist.message_captured", call.CallSid));
    }

    [Fact]
    public async Task Transfer_dials_the_location_and_an_unanswered_transfer_comes_back_to_the_receptionist()
    {
        var location = await VoiceLocation.CreateAsync(factory);
        var call = new VoiceCall(factory, location);
        await call.StartAsync();
        var dial = await call.SayAsync("Can I speak to a manager please?");
        var element = dial.Root!.Element("Dial")!;
        Assert.Equal(location.TransferNumber, element.Value.Trim());
        Assert.Equal($"/api/voice-receptionist/dial-status?callSid={call.CallSid}", element.Attribute("action")!.Value);
        Assert.Equal(1, await VoiceCall.CountEventsAsync(factory, location.Tenant.TenantId, "voice.receptionist.transfer_requested", call.CallSid));

        var back = await call.DialStatusAsync("no-answer");
        Assert.Contains("leave a message", VoiceCall.Said(back));
        Assert.NotNull(VoiceCall.Gather(back));
        Assert.Contains("What message", VoiceCall.Said(await call.SayAsync("yes")));

        var spanish = new VoiceCall(factory, location);
        await spanish.StartAsync();
        var dialEs = await spanish.SayAsync("Quiero hablar con una persona, por favor");
        Assert.NotNull(dialEs.Root!.Element("Dial"));
        Assert.Contains("le comunico", VoiceCall.Said(dialEs));
        Assert.True(VoiceCall.HangsUp(await spanish.DialStatusAsync("completed")));
        await spanish.EndAsync();
        Assert.Equal("transferred", (await spanish.LogAsync()).GetProperty("outcome").GetString());
    }

    [Fact]
    public async Task No_input_reprompts_a_bounded_number_of_times_then_says_goodbye()
    {
        var location = await VoiceLocation.CreateAsync(factory);
        var call = new VoiceCall(factory, location);
        await call.StartAsync();
        var first = await call.NoInputAsync();
        Assert.Contains("still there", VoiceCall.Said(first));
        Assert.NotNull(VoiceCall.Gather(first));
        Assert.NotNull(VoiceCall.Gather(await call.NoInputAsync()));
        var last = await call.NoInputAsync();
        Assert.True(VoiceCall.HangsUp(last));
        await call.EndAsync();
        Assert.Equal("no_input", (await call.LogAsync()).GetProperty("outcome").GetString());
    }

    [Fact]
    public async Task Low_confidence_is_confirmed_before_acting_and_caller_text_is_escaped()
    {
        var location = await VoiceLocation.CreateAsync(factory);
        var call = new VoiceCall(factory, location);
        await call.StartAsync();
        var hostile = "I want to order <Hangup/> & \"burgers\" 'now'";
        var check = await call.SayAsync(hostile, confidence: 0.2);
        // The text comes back inside <Say> as text, never as markup.
        Assert.False(VoiceCall.HangsUp(check));
        Assert.Contains(hostile, VoiceCall.Said(check));
        Assert.Empty(check.Descendants("Dial"));
        var ordered = VoiceCall.Said(await call.SayAsync("yes"));
        Assert.Contains("1 Cheeseburger", ordered);

        var other = new VoiceCall(factory, location);
        await other.StartAsync();
        var reask = VoiceCall.Said(await other.SayAsync("mumble grumble", confidence: 0.1));
        Assert.Contains("say it again", reask);
    }

    [Fact]
    public async Task Goodbye_hangs_up_and_DTMF_zero_transfers()
    {
        var location = await VoiceLocation.CreateAsync(factory);
        var call = new VoiceCall(factory, location);
        await call.StartAsync();
        var bye = await call.SayAsync("Thanks, goodbye");
        Assert.True(VoiceCall.HangsUp(bye));
        Assert.Contains("Goodbye", VoiceCall.Said(bye));

        var dtmf = new VoiceCall(factory, location);
        await dtmf.StartAsync();
        Assert.NotNull((await dtmf.PressAsync("0")).Root!.Element("Dial"));
    }

    [Fact]
    public async Task Opted_out_caller_is_booked_but_not_texted()
    {
        var location = await VoiceLocation.CreateAsync(factory);
        var caller = MessagingFactory.RandomPhone();
        using (var client = location.Tenant.Live())
        {
            await (await client.PostJsonAsync("/v1/sms/opt-outs", new { phone = caller, reason = "customer_request" })).JsonAsync(HttpStatusCode.Created);
        }
        var call = new VoiceCall(factory, location, caller: caller);
        await call.StartAsync();
        await call.SayAsync("Table for 2 tomorrow at 1pm, name is Kim");
        var done = VoiceCall.Said(await call.SayAsync("yes"));
        Assert.Contains("You're all set", done);
        Assert.DoesNotContain("text", done);
        await call.EndAsync();
        Assert.Equal("booked", (await call.LogAsync()).GetProperty("outcome").GetString());
        // The confirmation text is attempted inside the turn that booked: no outbox row was written for the caller, and
        // nothing to the caller is left queued, so the fake Twilio's record for them is final.
        Assert.Equal(0, await factory.CountAsync("SELECT count(*) FROM sms_messages WHERE direction = 'outbound' AND contact_phone = @p AND status <> 'suppressed'",
            ("p", caller)));
        await factory.SmsOutboxSettledAsync(caller);
        Assert.DoesNotContain(factory.Twilio.Messages, m => m.FormValue("To") == caller);
    }

    [Fact]
    public async Task Unknown_CallSid_and_unknown_number_get_graceful_TwiML_and_bad_signatures_403()
    {
        var location = await VoiceLocation.CreateAsync(factory);
        var ghost = new VoiceCall(factory, location);
        var reply = await ghost.SayAsync("hello?");
        Assert.True(VoiceCall.HangsUp(reply));

        var unknownNumber = await factory.PostTwilioAsync("/api/voice-receptionist/inbound",
            new Dictionary<string, string> { ["CallSid"] = "CAunknown1", ["From"] = "+15551234567", ["To"] = "+15550000001" });
        Assert.Equal(HttpStatusCode.OK, unknownNumber.StatusCode);
        Assert.Contains("<Hangup", await unknownNumber.Content.ReadAsStringAsync());

        var forged = await factory.PostTwilioAsync("/api/voice-receptionist/inbound",
            new Dictionary<string, string> { ["CallSid"] = "CAforged", ["From"] = "+15551234567", ["To"] = location.Number }, token: "wrong-token");
        await forged.ErrorAsync(HttpStatusCode.Forbidden, "INVALID_SIGNATURE");
        var unsigned = await factory.PostTwilioAsync($"/api/voice-receptionist/respond?callSid=CAx",
            new Dictionary<string, string> { ["CallSid"] = "CAx", ["To"] = location.Number, ["SpeechResult"] = "hi" }, token: null);
        await unsigned.ErrorAsync(HttpStatusCode.Forbidden, "INVALID_SIGNATURE");
    }

    [Fact]
    public async Task Status_callback_replays_are_idempotent_and_recordings_are_stored_only_when_enabled()
    {
        var location = await VoiceLocation.CreateAsync(factory, recordCalls: true);
        var call = new VoiceCall(factory, location);
        await call.StartAsync();
        await call.SayAsync("What are your hours?");
        await call.EndAsync(duration: 30);
        await call.EndAsync(duration: 99);
        Assert.Equal(1, await VoiceCall.CountEventsAsync(factory, location.Tenant.TenantId, "voice.receptionist.call_ended", call.CallSid));
        Assert.Equal(30, (await call.LogAsync()).GetProperty("durationSeconds").GetInt32());

        var form = new Dictionary<string, string>
        {
            ["CallSid"] = call.CallSid, ["RecordingSid"] = "RE123", ["RecordingUrl"] = "https://api.twilio.com/recordings/RE123", ["RecordingStatus"] = "completed",
        };
        Assert.Equal(HttpStatusCode.NoContent, (await factory.PostTwilioAsync("/api/voice-receptionist/recording-status", form)).StatusCode);
        Assert.Equal("https://api.twilio.com/recordings/RE123", (await call.LogAsync()).GetProperty("recordingUrl").GetString());
        await WaitForRecordingRequestAsync(call.CallSid);

        var quiet = await VoiceLocation.CreateAsync(factory, recordCalls: false);
        var other = new VoiceCall(factory, quiet);
        await other.StartAsync();
        form["CallSid"] = other.CallSid;
        Assert.Equal(HttpStatusCode.NoContent, (await factory.PostTwilioAsync("/api/voice-receptionist/recording-status", form)).StatusCode);
        Assert.Equal(JsonValueKind.Null, (await other.LogAsync()).GetProperty("recordingUrl").ValueKind);
    }

    private Task WaitForRecordingRequestAsync(string callSid) =>
        Eventually.True($"the recording request for call {callSid} at the fake Twilio",
            () => factory.Twilio.Requests.Any(r => r.Path.EndsWith($"/Calls/{callSid}/Recordings.json", StringComparison.Ordinal)));

    [Fact]
    public async Task Call_log_filters_by_outcome_and_date_and_validates_input()
    {
        var location = await VoiceLocation.CreateAsync(factory);
        var answered = new VoiceCall(factory, location);
        await answered.StartAsync();
        await answered.SayAsync("What time do you open?");
        await answered.EndAsync();
        var silent = new VoiceCall(factory, location);
        await silent.StartAsync();
        await silent.EndAsync();

        using var client = location.Tenant.Live();
        var all = await (await client.GetAsync("/v1/voice/calls")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(2, all.GetProperty("data").GetArrayLength());
        var filtered = await (await client.GetAsync("/v1/voice/calls?outcome=answered")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(answered.CallSid, Assert.Single(filtered.GetProperty("data").EnumerateArray()).GetProperty("callSid").GetString());
        var future = await (await client.GetAsync($"/v1/voice/calls?from={DateTime.UtcNow.AddDays(1):yyyy-MM-dd}")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(0, future.GetProperty("data").GetArrayLength());
        await (await client.GetAsync("/v1/voice/calls?outcome=maybe")).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await client.GetAsync("/v1/voice/calls?from=yesterday")).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await client.GetAsync("/v1/voice/calls/CAnope")).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        await (await client.PutJsonAsync($"/v1/voice/locations/{location.LocationId}/settings", new { industry = "bakery-of-doom" }))
            .ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await client.PutJsonAsync($"/v1/voice/locations/{location.LocationId}/settings", new { engine = "llm" }))
            .ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
    }

    [Fact]
    public async Task Active_calls_returns_the_seed_shape_for_the_own_tenant_only()
    {
        var location = await VoiceLocation.CreateAsync(factory);
        var call = new VoiceCall(factory, location);
        await call.StartAsync();
        await call.SayAsync("I'd like a reservation");

        using var client = location.Tenant.Live();
        var active = await (await client.GetAsync($"/api/voice-receptionist/active-calls?tenantId={location.Tenant.TenantId}")).JsonAsync(HttpStatusCode.OK);
        var entry = Assert.Single(active.EnumerateArray());
        Assert.Equal(["callSid", "callerPhone", "intent", "turnCount", "durationSeconds", "lastMessage", "language"],
            entry.EnumerateObject().Select(p => p.Name).ToArray());
        Assert.Equal("MakeReservation", entry.GetProperty("intent").GetString());
        Assert.Equal(1, entry.GetProperty("turnCount").GetInt32());
        Assert.Equal("en", entry.GetProperty("language").GetString());

        var other = await factory.CreateTenantAsync();
        using var otherClient = other.Live();
        await (await otherClient.GetAsync($"/api/voice-receptionist/active-calls?tenantId={location.Tenant.TenantId}"))
            .ErrorAsync(HttpStatusCode.Forbidden, "TENANT_MISMATCH");
        Assert.Equal(0, (await (await otherClient.GetAsync("/api/voice-receptionist/active-calls")).JsonAsync(HttpStatusCode.OK)).GetArrayLength());
        await (await otherClient.GetAsync($"/v1/voice/calls/{call.CallSid}")).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        using var mismatched = factory.ClientFor(other.LiveKey, location.Tenant.TenantId);
        await (await mismatched.GetAsync("/v1/voice/calls")).ErrorAsync(HttpStatusCode.Forbidden, "TENANT_MISMATCH");
        await (await otherClient.PutJsonAsync($"/v1/voice/locations/{location.LocationId}/settings", new { industry = "salon" }))
            .ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        await call.EndAsync();
        Assert.Equal(0, (await (await client.GetAsync("/api/voice-receptionist/active-calls")).JsonAsync(HttpStatusCode.OK)).GetArrayLength());
    }
}
