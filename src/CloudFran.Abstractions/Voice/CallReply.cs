namespace CloudFran.Abstractions.Voice;

/// <summary>What the call does after the speech, if any.</summary>
public enum CallNext
{
    /// <summary>Listen for the caller's answer (speech or keypad); silence leads to the no-input turn.</summary>
    Gather,
    /// <summary>Slow work is still running: come back for the answer of <see cref="CallReply.PollTurn"/>.</summary>
    Poll,
    /// <summary>Connect the caller to <see cref="CallReply.Dial"/>; the dial's outcome comes back as a dial result.</summary>
    Dial,
    /// <summary>End the call.</summary>
    Hangup,
}

/// <summary>Words spoken to the caller: the text, the voice, and the spoken language (null: the voice's own).</summary>
[GenerateSerializer, Immutable, Alias("cf.CallSpeech")]
public sealed record CallSpeech(
    [property: Id(0)] string Text,
    [property: Id(1)] string Voice,
    [property: Id(2)] string? Language);

/// <summary>How to listen: the recognition language, the inputs (speech, keypad), end-of-speech detection, hints, timeout.</summary>
[GenerateSerializer, Immutable, Alias("cf.CallGather")]
public sealed record CallGather(
    [property: Id(0)] string Language,
    [property: Id(1)] string Input = "speech dtmf",
    [property: Id(2)] string? SpeechTimeout = "auto",
    [property: Id(3)] string? Hints = null,
    [property: Id(4)] int? TimeoutSeconds = null);

/// <summary>A number to connect the caller to, how long to ring it, and the caller id it shows.</summary>
[GenerateSerializer, Immutable, Alias("cf.CallDial")]
public sealed record CallDial(
    [property: Id(0)] string Number,
    [property: Id(1)] int TimeoutSeconds,
    [property: Id(2)] string? CallerId);

/// <summary>
/// What happened on one turn of a call, as the call session decides it: an optional pause, what to say in which voice,
/// and what follows (gather, poll, dial or hang up). The web layer turns it into the document Twilio plays and owns
/// every callback URL in it.
/// </summary>
[GenerateSerializer, Immutable, Alias("cf.CallReply")]
public sealed record CallReply(
    [property: Id(0)] CallNext Next,
    [property: Id(1)] CallSpeech? Say,
    [property: Id(2)] int PauseSeconds = 0,
    [property: Id(3)] CallGather? Gather = null,
    [property: Id(4)] int? PollTurn = null,
    [property: Id(5)] CallDial? Dial = null)
{
    public static CallReply Ask(CallSpeech say, CallGather gather, int pauseSeconds = 0) => new(CallNext.Gather, say, pauseSeconds, gather);

    public static CallReply HoldOn(CallSpeech say, int turn) => new(CallNext.Poll, say, PollTurn: turn);

    public static CallReply Connect(CallSpeech say, CallDial dial) => new(CallNext.Dial, say, Dial: dial);

    public static CallReply HangUp(CallSpeech? say = null) => new(CallNext.Hangup, say);
}
