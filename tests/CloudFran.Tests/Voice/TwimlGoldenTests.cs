using System.Net;
using CloudFran.Tests.Infrastructure;
using CloudFran.Tests.Messaging;
using Xunit;

namespace CloudFran.Tests.Voice;

/// <summary>
/// The exact TwiML documents Twilio receives for representative dialogues, byte for byte: verbs, attributes, voices,
/// languages and callback URLs. Written against the output before the grain stopped building TwiML itself.
/// </summary>
public sealed class TwimlGoldenTests(MessagingFactory factory) : IClassFixture<MessagingFactory>
{
    private async Task<string> RawAsync(VoiceCall call, VoiceLocation location, string pathAndQuery, params (string Key, string Value)[] extra)
    {
        var form = new Dictionary<string, string>
        {
            ["CallSid"] = call.CallSid, ["AccountSid"] = "AC" + new string('a', 32), ["From"] = call.Caller, ["To"] = location.Number,
            ["CallStatus"] = "in-progress", ["Direction"] = "inbound",
        };
        foreach (var (k, v) in extra) form[k] = v;
        var response = await factory.PostTwilioAsync(pathAndQuery, form);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadAsStringAsync()).Replace(call.CallSid, "{sid}", StringComparison.Ordinal)
            .Replace(location.TransferNumber, "{transfer}", StringComparison.Ordinal).Replace(location.Number, "{number}", StringComparison.Ordinal);
    }

    /// <summary>Captured from the platform before the rendering moved to the web layer; {sid}, {number} and {transfer} stand for the call's values.</summary>
    private static readonly Dictionary<string, string> Expected = new(StringComparer.Ordinal)
    {
        ["inbound"] =
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Pause length=\"1\" /><Gather input=\"speech dtmf\" action=\"/api/voice-receptionist/respond?callSid={sid}\" method=\"POST\" language=\"en-US\" speechTimeout=\"auto\"><Say voice=\"Google.en-US-Neural2-F\" language=\"en-US\">Thank you for calling BigBurger! How may I help you?</Say></Gather><Redirect method=\"POST\">/api/voice-receptionist/no-input?callSid={sid}</Redirect></Response>",
        ["inbound-replay"] =
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Gather input=\"speech dtmf\" action=\"/api/voice-receptionist/respond?callSid={sid}\" method=\"POST\" language=\"en-US\" speechTimeout=\"auto\"><Say voice=\"Google.en-US-Neural2-F\" language=\"en-US\">Thank you for calling BigBurger! How may I help you?</Say></Gather><Redirect method=\"POST\">/api/voice-receptionist/no-input?callSid={sid}</Redirect></Response>",
        ["faq"] =
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Gather input=\"speech dtmf\" action=\"/api/voice-receptionist/respond?callSid={sid}\" method=\"POST\" language=\"en-US\" speechTimeout=\"auto\"><Say voice=\"Google.en-US-Neural2-F\" language=\"en-US\">Yes, free parking behind the building. Is there anything else I can help you with?</Say></Gather><Redirect method=\"POST\">/api/voice-receptionist/no-input?callSid={sid}</Redirect></Response>",
        ["order"] =
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Gather input=\"speech dtmf\" action=\"/api/voice-receptionist/respond?callSid={sid}\" method=\"POST\" language=\"en-US\" speechTimeout=\"auto\"><Say voice=\"Google.en-US-Neural2-F\" language=\"en-US\">Got it: 2 Cheeseburger, 1 Fries. Anything else?</Say></Gather><Redirect method=\"POST\">/api/voice-receptionist/no-input?callSid={sid}</Redirect></Response>",
        ["order-no"] =
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Gather input=\"speech dtmf\" action=\"/api/voice-receptionist/respond?callSid={sid}\" method=\"POST\" language=\"en-US\" speechTimeout=\"auto\"><Say voice=\"Google.en-US-Neural2-F\" language=\"en-US\">What name is the order under?</Say></Gather><Redirect method=\"POST\">/api/voice-receptionist/no-input?callSid={sid}</Redirect></Response>",
        ["order-name"] =
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Gather input=\"speech dtmf\" action=\"/api/voice-receptionist/respond?callSid={sid}\" method=\"POST\" language=\"en-US\" speechTimeout=\"auto\"><Say voice=\"Google.en-US-Neural2-F\" language=\"en-US\">That's 2 Cheeseburger, 1 Fries, for a total of $21.47, under Ana. Shall I place the order?</Say></Gather><Redirect method=\"POST\">/api/voice-receptionist/no-input?callSid={sid}</Redirect></Response>",
        ["no-input"] =
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Gather input=\"speech dtmf\" action=\"/api/voice-receptionist/respond?callSid={sid}\" method=\"POST\" language=\"en-US\" speechTimeout=\"auto\"><Say voice=\"Google.en-US-Neural2-F\" language=\"en-US\">Are you still there? That's 2 Cheeseburger, 1 Fries, for a total of $21.47, under Ana. Shall I place the order?</Say></Gather><Redirect method=\"POST\">/api/voice-receptionist/no-input?callSid={sid}</Redirect></Response>",
        ["poll"] =
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Gather input=\"speech dtmf\" action=\"/api/voice-receptionist/respond?callSid={sid}\" method=\"POST\" language=\"en-US\" speechTimeout=\"auto\"><Say voice=\"Google.en-US-Neural2-F\" language=\"en-US\">That's 2 Cheeseburger, 1 Fries, for a total of $21.47, under Ana. Shall I place the order?</Say></Gather><Redirect method=\"POST\">/api/voice-receptionist/no-input?callSid={sid}</Redirect></Response>",
        ["low-confidence"] =
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Gather input=\"speech dtmf\" action=\"/api/voice-receptionist/respond?callSid={sid}\" method=\"POST\" language=\"en-US\" speechTimeout=\"auto\"><Say voice=\"Google.en-US-Neural2-F\" language=\"en-US\">I want to be sure I heard you right. Did you say: what are your hours?</Say></Gather><Redirect method=\"POST\">/api/voice-receptionist/no-input?callSid={sid}</Redirect></Response>",
        ["dtmf-transfer"] =
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Gather input=\"speech dtmf\" action=\"/api/voice-receptionist/respond?callSid={sid}\" method=\"POST\" language=\"en-US\" speechTimeout=\"auto\"><Say voice=\"Google.en-US-Neural2-F\" language=\"en-US\">Sorry about that. Could you say it again?</Say></Gather><Redirect method=\"POST\">/api/voice-receptionist/no-input?callSid={sid}</Redirect></Response>",
        ["dial-no-answer"] =
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Gather input=\"speech dtmf\" action=\"/api/voice-receptionist/respond?callSid={sid}\" method=\"POST\" language=\"en-US\" speechTimeout=\"auto\"><Say voice=\"Google.en-US-Neural2-F\" language=\"en-US\">Sorry, nobody was able to answer. Would you like to leave a message instead?</Say></Gather><Redirect method=\"POST\">/api/voice-receptionist/no-input?callSid={sid}</Redirect></Response>",
        ["bye"] =
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Gather input=\"speech dtmf\" action=\"/api/voice-receptionist/respond?callSid={sid}\" method=\"POST\" language=\"en-US\" speechTimeout=\"auto\"><Say voice=\"Google.en-US-Neural2-F\" language=\"en-US\">No problem. Is there anything else I can help you with?</Say></Gather><Redirect method=\"POST\">/api/voice-receptionist/no-input?callSid={sid}</Redirect></Response>",
        ["goodbye"] =
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Say voice=\"Google.en-US-Neural2-F\" language=\"en-US\">Thank you for calling BigBurger. Goodbye!</Say><Hangup /></Response>",
        ["ended"] =
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Hangup /></Response>",
        ["es-inbound"] =
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Pause length=\"1\" /><Gather input=\"speech dtmf\" action=\"/api/voice-receptionist/respond?callSid={sid}\" method=\"POST\" language=\"en-US\" speechTimeout=\"auto\"><Say voice=\"Google.en-US-Neural2-F\" language=\"en-US\">Thank you for calling BigBurger! How may I help you?</Say></Gather><Redirect method=\"POST\">/api/voice-receptionist/no-input?callSid={sid}</Redirect></Response>",
        ["es-faq"] =
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Gather input=\"speech dtmf\" action=\"/api/voice-receptionist/respond?callSid={sid}\" method=\"POST\" language=\"es-US\" speechTimeout=\"auto\"><Say voice=\"Google.es-US-Neural2-A\" language=\"es-US\">No estoy seguro de eso. Puedo tomar un mensaje para que el equipo le devuelva la llamada. ¿Le puedo ayudar con algo más?</Say></Gather><Redirect method=\"POST\">/api/voice-receptionist/no-input?callSid={sid}</Redirect></Response>",
        ["es-transfer"] =
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Say voice=\"Google.es-US-Neural2-A\" language=\"es-US\">Un momento, le comunico.</Say><Dial action=\"/api/voice-receptionist/dial-status?callSid={sid}\" method=\"POST\" timeout=\"20\" callerId=\"{number}\">{transfer}</Dial></Response>",
        ["es-dial-done"] =
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Hangup /></Response>",
        ["silent-inbound"] =
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Pause length=\"1\" /><Gather input=\"speech dtmf\" action=\"/api/voice-receptionist/respond?callSid={sid}\" method=\"POST\" language=\"en-US\" speechTimeout=\"auto\"><Say voice=\"Google.en-US-Neural2-F\" language=\"en-US\">Thank you for calling BigBurger! How may I help you?</Say></Gather><Redirect method=\"POST\">/api/voice-receptionist/no-input?callSid={sid}</Redirect></Response>",
        ["silent-1"] =
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Gather input=\"speech dtmf\" action=\"/api/voice-receptionist/respond?callSid={sid}\" method=\"POST\" language=\"en-US\" speechTimeout=\"auto\"><Say voice=\"Google.en-US-Neural2-F\" language=\"en-US\">Are you still there? Thank you for calling BigBurger! How may I help you?</Say></Gather><Redirect method=\"POST\">/api/voice-receptionist/no-input?callSid={sid}</Redirect></Response>",
        ["silent-2"] =
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Gather input=\"speech dtmf\" action=\"/api/voice-receptionist/respond?callSid={sid}\" method=\"POST\" language=\"en-US\" speechTimeout=\"auto\"><Say voice=\"Google.en-US-Neural2-F\" language=\"en-US\">Are you still there? Thank you for calling BigBurger! How may I help you?</Say></Gather><Redirect method=\"POST\">/api/voice-receptionist/no-input?callSid={sid}</Redirect></Response>",
        ["silent-3"] =
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Say voice=\"Google.en-US-Neural2-F\" language=\"en-US\">I haven't heard anything, so I'll end the call. Thank you for calling BigBurger. Goodbye!</Say><Hangup /></Response>",
        ["ghost"] =
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Say voice=\"Google.en-US-Neural2-F\">Sorry, we could not find this call. Please call again. Goodbye.</Say><Hangup /></Response>",
        ["bad-sid"] =
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Say voice=\"Google.en-US-Neural2-F\">Sorry, something went wrong with this call. Goodbye.</Say><Hangup /></Response>",
    };

    [Fact]
    public async Task Dialogues_render_exactly_the_TwiML_Twilio_received_before()
    {
        var location = await VoiceLocation.CreateAsync(factory);
        var call = new VoiceCall(factory, location);
        var steps = 0;
        async Task Step(string name, string path, params (string, string)[] extra)
        {
            steps++;
            Assert.Equal(Expected[name], await RawAsync(call, location, path, extra));
        }
        var sid = call.CallSid;
        await Step("inbound", "/api/voice-receptionist/inbound");
        await Step("inbound-replay", "/api/voice-receptionist/inbound");
        await Step("faq", $"/api/voice-receptionist/respond?callSid={sid}", ("SpeechResult", "Do you have parking?"), ("Confidence", "0.92"));
        await Step("order", $"/api/voice-receptionist/respond?callSid={sid}", ("SpeechResult", "I'd like to order two burgers and fries"), ("Confidence", "0.92"));
        await Step("order-no", $"/api/voice-receptionist/respond?callSid={sid}", ("SpeechResult", "no"), ("Confidence", "0.92"));
        await Step("order-name", $"/api/voice-receptionist/respond?callSid={sid}", ("SpeechResult", "My name is Ana"), ("Confidence", "0.92"));
        await Step("no-input", $"/api/voice-receptionist/no-input?callSid={sid}");
        await Step("poll", $"/api/voice-receptionist/poll?callSid={sid}&turn=3");
        await Step("low-confidence", $"/api/voice-receptionist/respond?callSid={sid}", ("SpeechResult", "what are your hours"), ("Confidence", "0.2"));
        await Step("dtmf-transfer", $"/api/voice-receptionist/respond?callSid={sid}", ("Digits", "0"));
        await Step("dial-no-answer", $"/api/voice-receptionist/dial-status?callSid={sid}", ("DialCallStatus", "no-answer"));
        await Step("bye", $"/api/voice-receptionist/respond?callSid={sid}", ("SpeechResult", "no thanks, goodbye"), ("Confidence", "0.92"));
        await Step("goodbye", $"/api/voice-receptionist/respond?callSid={sid}", ("SpeechResult", "no, goodbye"), ("Confidence", "0.92"));
        await call.EndAsync();
        await Step("ended", $"/api/voice-receptionist/respond?callSid={sid}", ("SpeechResult", "hello?"), ("Confidence", "0.92"));

        call = new VoiceCall(factory, location);
        sid = call.CallSid;
        await Step("es-inbound", "/api/voice-receptionist/inbound");
        await Step("es-faq", $"/api/voice-receptionist/respond?callSid={sid}", ("SpeechResult", "Hola, ¿tienen estacionamiento?"), ("Confidence", "0.92"));
        await Step("es-transfer", $"/api/voice-receptionist/respond?callSid={sid}", ("SpeechResult", "quiero hablar con una persona"), ("Confidence", "0.92"));
        await Step("es-dial-done", $"/api/voice-receptionist/dial-status?callSid={sid}", ("DialCallStatus", "completed"));

        call = new VoiceCall(factory, location);
        sid = call.CallSid;
        await Step("silent-inbound", "/api/voice-receptionist/inbound");
        await Step("silent-1", $"/api/voice-receptionist/no-input?callSid={sid}");
        await Step("silent-2", $"/api/voice-receptionist/no-input?callSid={sid}");
        await Step("silent-3", $"/api/voice-receptionist/no-input?callSid={sid}");

        call = new VoiceCall(factory, location);
        await Step("ghost", $"/api/voice-receptionist/respond?callSid={call.CallSid}", ("SpeechResult", "hi"));
        await Step("bad-sid", "/api/voice-receptionist/respond?callSid=bad%20sid", ("SpeechResult", "hi"));
        Assert.Equal(Expected.Count, steps);
    }

    [Fact]
    public async Task Recording_is_started_with_the_public_recording_status_callback()
    {
        var location = await VoiceLocation.CreateAsync(factory, recordCalls: true);
        var call = new VoiceCall(factory, location);
        await call.StartAsync();
        await call.SayAsync("Do you have parking?");
        var request = await Eventually.That("the recording request at the fake Twilio",
            () => factory.Twilio.Requests.FirstOrDefault(r => r.Path.EndsWith($"/Calls/{call.CallSid}/Recordings.json", StringComparison.Ordinal)),
            r => r is not null);
        Assert.NotNull(request);
        Assert.Equal($"{MessagingFactory.PublicBaseUrl}/api/voice-receptionist/recording-status", request.FormValue("RecordingStatusCallback"));
        Assert.Equal("completed", request.FormValue("RecordingStatusCallbackEvent"));
    }
}
