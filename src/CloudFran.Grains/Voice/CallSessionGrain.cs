using System.Diagnostics;
using CloudFran.Abstractions.Calendar;
using CloudFran.Abstractions.Errors;
using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Locations;
using CloudFran.Abstractions.Messaging;
using CloudFran.Abstractions.Voice;
using CloudFran.Grains.Calendar;
using CloudFran.Grains.Messaging;
using CloudFran.Grains.Messaging.Twilio;
using CloudFran.Grains.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CloudFran.Grains.Voice;

/// <summary>
/// One phone call. Each Twilio webhook is one grain call: the <see cref="ReceptionistDialogue"/> decides the reply in
/// memory, the grain writes the call row (state, turn, transcript) in one statement, publishes the dashboard event and
/// answers a <see cref="CallReply"/> that the web layer renders. Booking, ordering, messages and transfers go through
/// the calendar, messaging and outbox paths every other module uses (<see cref="CallSessionActions"/>).
/// </summary>
public sealed partial class CallSessionGrain(
    PlatformDb db,
    TimeProvider clock,
    ConversationEngines engines,
    TwilioClient twilio,
    SenderAccountCache senders,
    IOptions<MessagingOptions> messaging,
    IOptions<TwilioCallbackRoutes> callbacks,
    ILogger<CallSessionGrain> logger) : Grain, ICallSessionGrain
{
    private TenantScope _scope;
    private string _callSid = "";
    private bool _started;
    private bool _ended;
    private CallState _state = new();
    private string _caller = "";
    private string _called = "";
    private string? _locationId;
    private DateTimeOffset _startedAt;
    private ReceptionistDialogue _dialogue = null!;
    /// <summary>
    /// A turn whose answer Twilio has not been given yet: it outlasted the wait in <see cref="RespondAsync"/>, the
    /// caller was put on hold and Twilio polls for it. Cleared once the answer is given or a later turn supersedes it,
    /// so a stray or repeated poll never replays an answer the caller already heard.
    /// </summary>
    private Task<CallReply>? _slowTurn;
    private int _slowTurnNumber;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var key = ScopedKey.Parse(this.GetPrimaryKeyString());
        _scope = key.Scope;
        _callSid = key.Name;
        if (await VoiceCallRows.LoadAsync(db, _scope, _callSid) is { } row)
        {
            _started = true;
            _ended = row.Ended;
            _locationId = row.LocationId;
            _caller = row.Caller;
            _called = row.Called;
            _startedAt = row.StartedAt;
            _state = row.State;
            await LoadContextAsync();
        }
    }

    /// <summary>The location's receptionist settings, the location and its services; then the conversation over them.</summary>
    private async Task LoadContextAsync()
    {
        var settings = await GrainFactory.GetVoiceAccount(_scope).GetSettingsAsync(_locationId ?? "");
        LocationView? location = null;
        IReadOnlyList<ServiceView> services = [];
        if (_locationId is not null)
        {
            try
            {
                location = await GrainFactory.GetLocation(_scope, _locationId).GetAsync();
                services = await GrainFactory.GetLocationCalendar(_scope, _locationId).ListServicesAsync();
            }
            catch (CloudFranException e)
            {
                LogNoContext(logger, _callSid, e.Code);
            }
        }
        var call = new ReceptionistCall(_callSid, _caller, _called, _locationId, settings, location, services);
        var actions = new CallSessionActions(GrainFactory, db, clock, engines.For(settings.Engine), _scope, call, logger);
        _dialogue = new ReceptionistDialogue(_state, call, actions, clock);
    }

    private ReceptionistSettings Settings => _dialogue.Call.Settings;

    public async Task<CallReply> StartAsync(CallStart start)
    {
        if (_started)
        {
            // A replayed inbound webhook: answer the same greeting, start nothing twice.
            return _ended ? CallReply.HangUp() : _dialogue.Repeat();
        }
        _caller = start.CallerPhone;
        _called = start.CalledNumber;
        _locationId = start.LocationId;
        _startedAt = clock.GetUtcNow();
        await LoadContextAsync();
        _state.LastPrompt = _dialogue.Greeting();
        await VoiceCallRows.InsertAsync(db, _scope, _callSid, _locationId, _caller, _called, _startedAt, _state);
        _started = true;
        Publish("CallStarted", null);
        return _dialogue.Welcome();
    }

    public async Task<CallReply> RespondAsync(CallInput input)
    {
        if (!_started)
        {
            return ReceptionistDialogue.UnknownCall();
        }
        if (_ended)
        {
            return CallReply.HangUp();
        }
        if (_slowTurn is { IsCompleted: false })
        {
            // Twilio never sends speech while it is following our Redirect; a stray one waits for the turn in flight.
            return await PollAsync(_slowTurnNumber);
        }
        ForgetFinishedSlowTurn();
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
            // Answered in this response: nothing is left for Twilio to poll for.
            _slowTurn = null;
            return await turn;
        }
        return _dialogue.HoldOn(_slowTurnNumber);
    }

    public async Task<CallReply> PollAsync(int turn)
    {
        if (!_started)
        {
            return ReceptionistDialogue.UnknownCall();
        }
        if (_slowTurn is null || _slowTurnNumber != turn)
        {
            return _ended ? CallReply.HangUp() : _dialogue.Repeat();
        }
        var finished = await Task.WhenAny(_slowTurn, Task.Delay(TimeSpan.FromSeconds(8)));
        if (finished != _slowTurn)
        {
            return _dialogue.HoldOn(turn);
        }
        var reply = await _slowTurn;
        _slowTurn = null;
        return reply;
    }

    private async Task<CallReply> TurnAsync(CallInput input)
    {
        var watch = Stopwatch.StartNew();
        var text = (input.SpeechResult ?? "").Trim();
        if (text.Length == 0 && input.Digits is { Length: > 0 } digits)
        {
            text = SpokenText.Digits(digits);
        }
        if (text.Length == 0)
        {
            return await NoInputAsync();
        }
        MaybeStartRecording();
        var previousLanguage = _state.Language;
        var (decision, intent) = await _dialogue.HearAsync(text, input.Confidence, spoken: input.SpeechResult is not null);
        var callTurn = new CallTurn(_state.Turn, clock.GetUtcNow(), text, input.Confidence, intent, decision.Said,
            Math.Round(watch.Elapsed.TotalMilliseconds, 2), _state.Language);
        await SaveTurnAsync(callTurn, languageSwitched: previousLanguage != _state.Language ? previousLanguage : null);
        Publish("CallUpdated", null);
        return decision.Reply;
    }

    public async Task<CallReply> DialResultAsync(string dialCallStatus)
    {
        if (!_started) return ReceptionistDialogue.UnknownCall();
        if (_ended) return CallReply.HangUp();
        ForgetFinishedSlowTurn();
        var decision = _dialogue.DialResult(dialCallStatus);
        await SaveTurnAsync(new CallTurn(_state.Turn, clock.GetUtcNow(), $"(transfer {dialCallStatus})", null, VoiceIntents.TransferCall, decision.Said, 0, _state.Language), null);
        Publish("CallUpdated", null);
        return decision.Reply;
    }

    public async Task<CallReply> NoInputAsync()
    {
        if (!_started) return ReceptionistDialogue.UnknownCall();
        if (_ended) return CallReply.HangUp();
        ForgetFinishedSlowTurn();
        MaybeStartRecording();
        var decision = _dialogue.NoInput();
        await SaveTurnAsync(new CallTurn(_state.Turn, clock.GetUtcNow(), "(no input)", null, VoiceIntents.Unknown, decision.Said, 0, _state.Language), null);
        Publish("CallUpdated", null);
        return decision.Reply;
    }

    /// <summary>A new turn supersedes a held turn that finished but was never polled for.</summary>
    private void ForgetFinishedSlowTurn()
    {
        if (_slowTurn is { IsCompleted: true })
        {
            _slowTurn = null;
        }
    }

    // ---------------------------------------------------------------- completion and recording

    public async Task CompleteAsync(string callStatus, int? durationSeconds)
    {
        if (!_started || _ended)
        {
            return;
        }
        await _dialogue.Booking.ReleaseHoldAsync();
        var now = clock.GetUtcNow();
        var duration = durationSeconds ?? (int)Math.Max(0, (now - _startedAt).TotalSeconds);
        var outcome = FinalOutcome(callStatus);
        if (!await VoiceCallRows.CompleteAsync(db, _scope, _callSid, _locationId, _caller, _state, callStatus, outcome, duration, now))
        {
            _ended = true;
            return;
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
        if (!_started || !Settings.RecordCalls || recordingStatus != "completed")
        {
            return;
        }
        await VoiceCallRows.SetRecordingAsync(db, _scope, _callSid, recordingSid, recordingUrl);
    }

    /// <summary>
    /// Recording starts with the first webhook after the greeting (the call is in progress by then; Twilio refuses
    /// recordings of ringing calls). It runs beside the turn, never delaying the reply.
    /// </summary>
    private void MaybeStartRecording()
    {
        if (Settings.RecordCalls && !_state.RecordingRequested)
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
            if (callbacks.Value.CallRecordingStatusUrl(messaging.Value.PublicBaseUrl) is not { } callback)
            {
                LogNoRecordingRoute(logger, _callSid);
                return;
            }
            await twilio.StartRecordingAsync(account, _callSid, callback, ct);
        }
        catch (Exception e) when (e is TwilioException or HttpRequestException or TaskCanceledException)
        {
            LogRecordingFailed(logger, _callSid, e.Message);
        }
    }

    // ---------------------------------------------------------------- persistence and fan-out

    private Task SaveTurnAsync(CallTurn turn, string? languageSwitched) =>
        VoiceCallRows.SaveTurnAsync(db, _scope, _callSid, _state, turn, languageSwitched);

    private void Publish(string name, string? outcome, int? duration = null)
    {
        var now = clock.GetUtcNow();
        var seconds = duration ?? (int)Math.Max(0, (now - _startedAt).TotalSeconds);
        GrainFactory.GetVoiceDashboard(_scope).PublishAsync(new CallEvent(name, _scope, _callSid, _caller, _state.Intent, _state.Turn, seconds,
            _state.LastPrompt, _startedAt, outcome, now)).Ignore();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Call {CallSid}: location context unavailable ({Code}).")]
    private static partial void LogNoContext(ILogger logger, string callSid, string code);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Call {CallSid}: recording could not be started ({Error}).")]
    private static partial void LogRecordingFailed(ILogger logger, string callSid, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Call {CallSid}: recording not started, no recording-status route is registered.")]
    private static partial void LogNoRecordingRoute(ILogger logger, string callSid);
}
