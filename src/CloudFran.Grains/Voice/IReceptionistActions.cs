using CloudFran.Abstractions.Calendar;
using CloudFran.Abstractions.Voice;

namespace CloudFran.Grains.Voice;

/// <summary>
/// What the receptionist's conversation does outside itself: understand speech, check and hold the calendar, text,
/// keep messages and record events. The call session grain provides it; tests provide a fake.
/// </summary>
public interface IReceptionistActions
{
    ValueTask<Understanding> UnderstandAsync(string text, EngineContext context);

    /// <summary>Throws <see cref="Abstractions.Errors.CloudFranException"/> when the schedule cannot be read.</summary>
    Task<AvailabilityView> AvailabilityAsync(AvailabilityQuery query);

    Task<AppointmentView> HoldAsync(BookingRequest request, int minutes);

    Task<AppointmentView> ConfirmHoldAsync(string providerId, string holdId, BookingRequest request);

    /// <summary>Releases a hold; an already expired one is no error.</summary>
    Task ReleaseHoldAsync(string providerId, string holdId);

    /// <summary>Sends a text; false when it cannot be sent (opted out, no messaging), which never stops the call.</summary>
    Task<bool> TextAsync(string to, string body, string idempotencyKey);

    /// <summary>Stores a message a caller left and answers its id.</summary>
    Task<string> SaveMessageAsync(string? callerName, string body);

    Task AppendEventAsync(string type, object payload, string dedupeKey);
}
