using CloudFran.Abstractions.Calendar;
using CloudFran.Abstractions.Errors;
using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Messaging;
using CloudFran.Abstractions.Voice;
using CloudFran.Grains.Calendar;
using CloudFran.Grains.Events;
using CloudFran.Grains.Storage;
using Microsoft.Extensions.Logging;

namespace CloudFran.Grains.Voice;

/// <summary>
/// The receptionist's actions for one call, through the paths every module uses: the tenant's engine, the location
/// calendar and provider schedules, the SMS sender, <c>voice_messages</c> and the event outbox.
/// </summary>
internal sealed partial class CallSessionActions(
    IGrainFactory grains,
    PlatformDb db,
    TimeProvider clock,
    IConversationEngine engine,
    TenantScope scope,
    ReceptionistCall call,
    ILogger logger) : IReceptionistActions
{
    public ValueTask<Understanding> UnderstandAsync(string text, EngineContext context) => engine.UnderstandAsync(text, context);

    public Task<AvailabilityView> AvailabilityAsync(AvailabilityQuery query) =>
        grains.GetLocationCalendar(scope, call.LocationId!).GetAvailabilityAsync(query);

    public Task<AppointmentView> HoldAsync(BookingRequest request, int minutes) =>
        grains.GetLocationCalendar(scope, call.LocationId!).HoldAsync(request, minutes);

    public Task<AppointmentView> ConfirmHoldAsync(string providerId, string holdId, BookingRequest request) =>
        grains.GetProviderSchedule(scope, providerId).ConfirmHoldAsync(holdId, request);

    public async Task ReleaseHoldAsync(string providerId, string holdId)
    {
        try
        {
            await grains.GetProviderSchedule(scope, providerId).ReleaseHoldAsync(holdId);
        }
        catch (CloudFranException)
        {
            // Already expired.
        }
    }

    public async Task<bool> TextAsync(string to, string body, string idempotencyKey)
    {
        try
        {
            await grains.GetSmsSender(scope).SendAsync(new SmsSendRequest(to, body, null, call.LocationId, idempotencyKey));
            return true;
        }
        catch (CloudFranException e)
        {
            // Opted out, invalid number or messaging not configured: the call goes on without the text.
            LogNoText(logger, call.CallSid, e.Code);
            return false;
        }
    }

    public Task<string> SaveMessageAsync(string? callerName, string body) =>
        VoiceCallRows.InsertMessageAsync(db, scope, call.CallSid, call.LocationId, call.Caller, callerName, body, clock.GetUtcNow());

    public Task AppendEventAsync(string type, object payload, string dedupeKey) =>
        EventOutbox.AppendAsync(db, scope, type, payload, dedupeKey: dedupeKey);

    [LoggerMessage(Level = LogLevel.Information, Message = "Call {CallSid}: no SMS to the caller ({Code}).")]
    private static partial void LogNoText(ILogger logger, string callSid, string code);
}
