using CloudFran.Abstractions.Voice;
using CloudFran.Web.Messaging.Twilio;

namespace CloudFran.Web.Voice;

/// <summary>
/// Renders a call session's <see cref="CallReply"/> as the TwiML Twilio plays, with this layer's callback URLs:
/// a gather answers to <c>/respond</c> and falls back to <c>/no-input</c>, a hold-on redirects to <c>/poll</c> with
/// its turn, a dial reports to <c>/dial-status</c>.
/// </summary>
public static class CallReplyTwiml
{
    public static string Render(CallReply reply, string callSid)
    {
        var sid = Uri.EscapeDataString(callSid);
        var twiml = new TwiML();
        if (reply.PauseSeconds > 0)
        {
            twiml.Pause(reply.PauseSeconds);
        }
        var say = reply.Say;
        switch (reply.Next)
        {
            case CallNext.Gather:
                var gather = reply.Gather ?? throw new ArgumentException("A gather reply needs its gather settings.", nameof(reply));
                twiml.Gather(VoiceApi.Url(VoiceApi.RespondPath, sid), gather.Input, gather.Language, gather.SpeechTimeout,
                    timeoutSeconds: gather.TimeoutSeconds, hints: gather.Hints,
                    body: say is null ? null : g => g.Say(say.Text, say.Voice, say.Language));
                twiml.Redirect(VoiceApi.Url(VoiceApi.NoInputPath, sid));
                break;
            case CallNext.Poll:
                Say(twiml, say);
                twiml.Redirect($"{VoiceApi.Url(VoiceApi.PollPath, sid)}&turn={reply.PollTurn}");
                break;
            case CallNext.Dial:
                var dial = reply.Dial ?? throw new ArgumentException("A dial reply needs its number.", nameof(reply));
                Say(twiml, say);
                twiml.Dial(dial.Number, VoiceApi.Url(VoiceApi.DialStatusPath, sid), dial.TimeoutSeconds, dial.CallerId);
                break;
            default:
                Say(twiml, say);
                twiml.Hangup();
                break;
        }
        return twiml.ToString();
    }

    private static void Say(TwiML twiml, CallSpeech? say)
    {
        if (say is not null)
        {
            twiml.Say(say.Text, say.Voice, say.Language);
        }
    }
}
