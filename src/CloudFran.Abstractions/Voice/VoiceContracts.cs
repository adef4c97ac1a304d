using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Platform;
using Orleans.Concurrency;

namespace CloudFran.Abstractions.Voice;

/// <summary>What a caller wants. The names are the ones the live dashboard and the call log show.</summary>
public static class VoiceIntents
{
    public const string MakeReservation = "MakeReservation";
    public const string PlaceOrder = "PlaceOrder";
    public const string AskQuestion = "AskQuestion";
    public const string LeaveMessage = "LeaveMessage";
    public const string TransferCall = "TransferCall";
    public const string Goodbye = "Goodbye";
    public const string Affirm = "Affirm";
    public const string Deny = "Deny";
    public const string Unknown = "Unknown";

    public static readonly IReadOnlyList<string> All =
        [MakeReservation, PlaceOrder, AskQuestion, LeaveMessage, TransferCall, Goodbye, Affirm, Deny, Unknown];
}

/// <summary>How a call ended, most valuable first when several apply.</summary>
public static class VoiceOutcomes
{
    public const string Booked = "booked";
    public const string Ordered = "ordered";
    public const string MessageTaken = "message_taken";
    public const string Transferred = "transferred";
    public const string Answered = "answered";
    public const string NoInput = "no_input";
    public const string Abandoned = "abandoned";
    public const string Failed = "failed";

    public static readonly IReadOnlyList<string> All = [Booked, Ordered, MessageTaken, Transferred, Answered, NoInput, Abandoned, Failed];
}

/// <summary>One utterance understood: intent, how sure, which language, and the slots found (name, date, time, partySize, phone, items…).</summary>
[GenerateSerializer, Immutable, Alias("cf.Understanding")]
public sealed record Understanding(
    [property: Id(0)] string Intent,
    [property: Id(1)] double Confidence,
    [property: Id(2)] string Language,
    [property: Id(3)] IReadOnlyDictionary<string, string> Slots);

[GenerateSerializer, Immutable, Alias("cf.UnderstandRequest")]
public sealed record UnderstandRequest(
    [property: Id(0)] string Text,
    [property: Id(1)] string? Language,
    [property: Id(2)] string? Industry,
    [property: Id(3)] string? LocationId);

[GenerateSerializer, Immutable, Alias("cf.FaqEntry")]
public sealed record FaqEntry([property: Id(0)] string Question, [property: Id(1)] string Answer);

[GenerateSerializer, Immutable, Alias("cf.MenuItem")]
public sealed record MenuItem([property: Id(0)] string Name, [property: Id(1)] decimal Price, [property: Id(2)] IReadOnlyList<string>? Aliases);

/// <summary>How a location's receptionist behaves. Stored per location; every field has a sensible default.</summary>
[GenerateSerializer, Immutable, Alias("cf.ReceptionistSettings")]
public sealed record ReceptionistSettings(
    [property: Id(0)] string? BusinessName,
    [property: Id(1)] string Industry,
    [property: Id(2)] string? TransferNumber,
    [property: Id(3)] string? NotificationPhone,
    [property: Id(4)] bool RecordCalls,
    [property: Id(5)] string Engine,
    [property: Id(6)] IReadOnlyList<FaqEntry> Faq,
    [property: Id(7)] IReadOnlyList<MenuItem> Menu,
    [property: Id(8)] string VoiceEn,
    [property: Id(9)] string VoiceEs,
    [property: Id(10)] int MaxReprompts,
    [property: Id(11)] string? ReservationService)
{
    public static readonly IReadOnlyList<string> Engines = ["offline", "llm"];

    public static ReceptionistSettings Default { get; } = new(null, "restaurant", null, null, false, "offline", [], [],
        "Google.en-US-Neural2-F", "Google.es-US-Neural2-A", 2, null);
}

/// <summary>One turn of a call as stored in the call log.</summary>
[GenerateSerializer, Immutable, Alias("cf.CallTurn")]
public sealed record CallTurn(
    [property: Id(0)] int Turn,
    [property: Id(1)] DateTimeOffset At,
    [property: Id(2)] string CallerText,
    [property: Id(3)] double? Confidence,
    [property: Id(4)] string Intent,
    [property: Id(5)] string Reply,
    [property: Id(6)] double ServerMs,
    [property: Id(7)] string Language);

[GenerateSerializer, Immutable, Alias("cf.CallView")]
public sealed record CallView(
    [property: Id(0)] string CallSid,
    [property: Id(1)] string? LocationId,
    [property: Id(2)] string CallerPhone,
    [property: Id(3)] string CalledNumber,
    [property: Id(4)] DateTimeOffset StartedAt,
    [property: Id(5)] DateTimeOffset? EndedAt,
    [property: Id(6)] string Status,
    [property: Id(7)] string? Outcome,
    [property: Id(8)] string Intent,
    [property: Id(9)] string Language,
    [property: Id(10)] int TurnCount,
    [property: Id(11)] int? DurationSeconds,
    [property: Id(12)] string? LastMessage,
    [property: Id(13)] string? RecordingUrl,
    [property: Id(14)] IReadOnlyList<CallTurn> Turns,
    [property: Id(15)] string? AppointmentId,
    [property: Id(16)] IReadOnlyList<OrderLine> Order);

[GenerateSerializer, Immutable, Alias("cf.OrderLine")]
public sealed record OrderLine([property: Id(0)] string Item, [property: Id(1)] int Quantity, [property: Id(2)] decimal UnitPrice);

/// <summary>The seed's active-call shape for the live dashboard's REST fallback.</summary>
[GenerateSerializer, Immutable, Alias("cf.ActiveCall")]
public sealed record ActiveCall(
    [property: Id(0)] string CallSid,
    [property: Id(1)] string CallerPhone,
    [property: Id(2)] string Intent,
    [property: Id(3)] int TurnCount,
    [property: Id(4)] int DurationSeconds,
    [property: Id(5)] string? LastMessage,
    [property: Id(6)] string Language);

[GenerateSerializer, Immutable, Alias("cf.CallQuery")]
public sealed record CallQuery(
    [property: Id(0)] DateTimeOffset? From,
    [property: Id(1)] DateTimeOffset? To,
    [property: Id(2)] string? Outcome,
    [property: Id(3)] int Page,
    [property: Id(4)] int PageSize);

[GenerateSerializer, Immutable, Alias("cf.VoiceMessageView")]
public sealed record VoiceMessageView(
    [property: Id(0)] string MessageId,
    [property: Id(1)] string CallSid,
    [property: Id(2)] string? LocationId,
    [property: Id(3)] string CallerPhone,
    [property: Id(4)] string? CallerName,
    [property: Id(5)] string Body,
    [property: Id(6)] DateTimeOffset CreatedAt);

/// <summary>Twilio's inbound-call parameters after routing.</summary>
[GenerateSerializer, Immutable, Alias("cf.CallStart")]
public sealed record CallStart(
    [property: Id(0)] string CallerPhone,
    [property: Id(1)] string CalledNumber,
    [property: Id(2)] string? LocationId);

[GenerateSerializer, Immutable, Alias("cf.CallInput")]
public sealed record CallInput(
    [property: Id(0)] string? SpeechResult,
    [property: Id(1)] double? Confidence,
    [property: Id(2)] string? Digits);

/// <summary>
/// One phone call: the conversation state machine. Every turn answers a <see cref="CallReply"/> (what to say, what
/// follows); the web layer renders it for Twilio. Key: <c>tn_…/live|test/CA…</c>.
/// </summary>
public interface ICallSessionGrain : IGrainWithStringKey
{
    Task<CallReply> StartAsync(CallStart start);
    Task<CallReply> RespondAsync(CallInput input);
    /// <summary>Twilio polls here while slow work (an LLM turn) finishes.</summary>
    Task<CallReply> PollAsync(int turn);
    Task<CallReply> NoInputAsync();
    Task<CallReply> DialResultAsync(string dialCallStatus);
    Task CompleteAsync(string callStatus, int? durationSeconds);
    Task RecordingAsync(string recordingSid, string recordingUrl, string recordingStatus);
}

/// <summary>A tenant partition's receptionist configuration, call log and messages. Key: <c>tn_…/live|test/voice</c>.</summary>
public interface IVoiceAccountGrain : IGrainWithStringKey
{
    Task<ReceptionistSettings> PutSettingsAsync(string locationId, ReceptionistSettings settings);
    Task<ReceptionistSettings> GetSettingsAsync(string locationId);
    Task<PagedList<CallView>> ListCallsAsync(CallQuery query);
    Task<CallView> GetCallAsync(string callSid);
    Task<IReadOnlyList<ActiveCall>> ActiveCallsAsync();
    Task<PagedList<VoiceMessageView>> ListMessagesAsync(int page, int pageSize);
    Task<Understanding> UnderstandAsync(UnderstandRequest request);
    Task<string> IssueDashboardTokenAsync(TimeSpan lifetime);
}

/// <summary>A dashboard event for SignalR clients; Name is CallStarted, CallUpdated or CallEnded.</summary>
[GenerateSerializer, Immutable, Alias("cf.CallEvent")]
public sealed record CallEvent(
    [property: Id(0)] string Name,
    [property: Id(1)] TenantScope Scope,
    [property: Id(2)] string CallSid,
    [property: Id(3)] string CallerPhone,
    [property: Id(4)] string Intent,
    [property: Id(5)] int Turns,
    [property: Id(6)] int DurationSeconds,
    [property: Id(7)] string? LastMessage,
    [property: Id(8)] DateTimeOffset StartedAt,
    [property: Id(9)] string? Outcome,
    [property: Id(10)] DateTimeOffset EmittedAt);

/// <summary>A web node's hub, as seen by the grains (one per node, re-registered every few seconds).</summary>
public interface IVoiceDashboardObserver : IGrainObserver
{
    [OneWay]
    Task OnCallEventAsync(CallEvent callEvent);
}

/// <summary>
/// Which web nodes have dashboard clients of a tenant partition; fans call events out to them. Entries expire
/// unless renewed, so a dead node drops out. Key: <c>tn_…/live|test/voice-dashboard</c>.
/// </summary>
public interface IVoiceDashboardGrain : IGrainWithStringKey
{
    Task SubscribeAsync(string nodeId, IVoiceDashboardObserver observer);
    Task UnsubscribeAsync(string nodeId);
    [OneWay]
    Task PublishAsync(CallEvent callEvent);
}

public static class VoiceGrainFactoryExtensions
{
    public static ICallSessionGrain GetCallSession(this IGrainFactory factory, TenantScope scope, string callSid) =>
        factory.GetGrain<ICallSessionGrain>(new ScopedKey(scope, callSid).ToString());

    public static IVoiceAccountGrain GetVoiceAccount(this IGrainFactory factory, TenantScope scope) =>
        factory.GetGrain<IVoiceAccountGrain>(new ScopedKey(scope, "voice").ToString());

    public static IVoiceDashboardGrain GetVoiceDashboard(this IGrainFactory factory, TenantScope scope) =>
        factory.GetGrain<IVoiceDashboardGrain>(new ScopedKey(scope, "voice-dashboard").ToString());
}
