using System.Xml.Linq;

namespace CloudFran.Web.Messaging.Twilio;

/// <summary>
/// Builds TwiML documents as XML trees (never by concatenating caller text), so any text is escaped.
/// <c>new TwiML().Say("Hi &lt;you&gt;").Hangup().ToString()</c>.
/// </summary>
public sealed class TwiML
{
    private readonly XElement _root = new("Response");

    public TwiML Say(string text, string? voice = null, string? language = null)
    {
        _root.Add(SayElement(text, voice, language));
        return this;
    }

    public TwiML Message(string text)
    {
        _root.Add(new XElement("Message", text));
        return this;
    }

    public TwiML Pause(int seconds)
    {
        _root.Add(new XElement("Pause", new XAttribute("length", seconds)));
        return this;
    }

    public TwiML Redirect(string url, string method = "POST")
    {
        _root.Add(new XElement("Redirect", new XAttribute("method", method), url));
        return this;
    }

    public TwiML Hangup()
    {
        _root.Add(new XElement("Hangup"));
        return this;
    }

    /// <summary>Gather with speech/DTMF. Pass either speechTimeout="auto" or a speechModel, not both (Twilio).</summary>
    public TwiML Gather(string action, string input = "speech dtmf", string language = "en-US", string? speechTimeout = "auto",
        string? speechModel = null, int? timeoutSeconds = null, Action<GatherBody>? body = null, string? hints = null)
    {
        if (speechTimeout == "auto" && speechModel is not null)
        {
            throw new ArgumentException("Twilio does not accept speechTimeout=\"auto\" together with a speechModel.");
        }
        var gather = new XElement("Gather", new XAttribute("input", input), new XAttribute("action", action),
            new XAttribute("method", "POST"), new XAttribute("language", language));
        if (speechTimeout is not null) gather.Add(new XAttribute("speechTimeout", speechTimeout));
        if (speechModel is not null) gather.Add(new XAttribute("speechModel", speechModel));
        if (timeoutSeconds is not null) gather.Add(new XAttribute("timeout", timeoutSeconds));
        if (hints is not null) gather.Add(new XAttribute("hints", hints));
        body?.Invoke(new GatherBody(gather));
        _root.Add(gather);
        return this;
    }

    public TwiML Dial(string number, string action, int timeoutSeconds = 20, string? callerId = null)
    {
        var dial = new XElement("Dial", new XAttribute("action", action), new XAttribute("method", "POST"),
            new XAttribute("timeout", timeoutSeconds), number);
        if (callerId is not null) dial.Add(new XAttribute("callerId", callerId));
        _root.Add(dial);
        return this;
    }

    public override string ToString() =>
        new XDocument(new XDeclaration("1.0", "UTF-8", null), _root).Declaration + _root.ToString(SaveOptions.DisableFormatting);

    internal static XElement SayElement(string text, string? voice, string? language)
    {
        var say = new XElement("Say", text);
        if (voice is not null) say.Add(new XAttribute("voice", voice));
        if (language is not null) say.Add(new XAttribute("language", language));
        return say;
    }

    public sealed class GatherBody(XElement gather)
    {
        public GatherBody Say(string text, string? voice = null, string? language = null)
        {
            gather.Add(SayElement(text, voice, language));
            return this;
        }
    }
}
