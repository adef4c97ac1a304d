using CloudFran.Abstractions.Voice;
using CloudFran.Web.Voice;
using Xunit;

namespace CloudFran.Tests.Voice;

/// <summary>Each kind of call reply rendered as the exact TwiML document, with the web layer's callback URLs.</summary>
public sealed class CallReplyTwimlTests
{
    private const string Head = """<?xml version="1.0" encoding="UTF-8"?>""";
    private static readonly CallSpeech English = new("Thank you for calling BigBurger! How may I help you?", "Google.en-US-Neural2-F", "en-US");

    [Fact]
    public void A_gather_listens_at_respond_and_falls_back_to_no_input()
    {
        Assert.Equal(Head + """<Response><Pause length="1" /><Gather input="speech dtmf" action="/api/voice-receptionist/respond?callSid=CA1" method="POST" language="en-US" speechTimeout="auto"><Say voice="Google.en-US-Neural2-F" language="en-US">Thank you for calling BigBurger! How may I help you?</Say></Gather><Redirect method="POST">/api/voice-receptionist/no-input?callSid=CA1</Redirect></Response>""",
            CallReplyTwiml.Render(CallReply.Ask(English, new CallGather("en-US"), pauseSeconds: 1), "CA1"));
        Assert.Equal(Head + """<Response><Gather input="dtmf" action="/api/voice-receptionist/respond?callSid=CA%20x%261" method="POST" language="es-US" timeout="5" hints="sí, no"><Say voice="Google.es-US-Neural2-A" language="es-US">¿Sí o no? &lt;1&gt; &amp; &lt;2&gt;</Say></Gather><Redirect method="POST">/api/voice-receptionist/no-input?callSid=CA%20x%261</Redirect></Response>""",
            CallReplyTwiml.Render(CallReply.Ask(new CallSpeech("¿Sí o no? <1> & <2>", "Google.es-US-Neural2-A", "es-US"),
                new CallGather("es-US", "dtmf", null, "sí, no", 5)), "CA x&1"));
    }

    [Fact]
    public void A_hold_on_redirects_to_poll_with_its_turn()
    {
        Assert.Equal(Head + """<Response><Say voice="Google.en-US-Neural2-F" language="en-US">One moment please.</Say><Redirect method="POST">/api/voice-receptionist/poll?callSid=CA1&amp;turn=3</Redirect></Response>""",
            CallReplyTwiml.Render(CallReply.HoldOn(English with { Text = "One moment please." }, 3), "CA1"));
    }

    [Fact]
    public void A_dial_reports_to_dial_status_and_shows_the_caller_id()
    {
        Assert.Equal(Head + """<Response><Say voice="Google.es-US-Neural2-A" language="es-US">Un momento, le comunico.</Say><Dial action="/api/voice-receptionist/dial-status?callSid=CA1" method="POST" timeout="20" callerId="+14155550199">+14155550142</Dial></Response>""",
            CallReplyTwiml.Render(CallReply.Connect(new CallSpeech("Un momento, le comunico.", "Google.es-US-Neural2-A", "es-US"),
                new CallDial("+14155550142", 20, "+14155550199")), "CA1"));
    }

    [Fact]
    public void A_hang_up_says_its_words_first_if_any()
    {
        Assert.Equal(Head + "<Response><Hangup /></Response>", CallReplyTwiml.Render(CallReply.HangUp(), "CA1"));
        Assert.Equal(Head + """<Response><Say voice="Google.en-US-Neural2-F">Sorry, we could not find this call. Please call again. Goodbye.</Say><Hangup /></Response>""",
            CallReplyTwiml.Render(ReceptionistDialogueUnknown(), "CA1"));
    }

    private static CallReply ReceptionistDialogueUnknown() =>
        CallReply.HangUp(new CallSpeech("Sorry, we could not find this call. Please call again. Goodbye.", "Google.en-US-Neural2-F", null));
}
