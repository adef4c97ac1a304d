namespace CloudFran.Abstractions.Messaging;

/// <summary>
/// Where Twilio calls the platform back, as the web layer registers them when it maps those routes. Grains that hand
/// a callback URL to Twilio's REST API build it from here and from the public base URL; they never spell a route.
/// A route left unregistered (a node without the web layer) means no callback.
/// </summary>
public sealed class TwilioCallbackRoutes
{
    /// <summary>The SMS status callback path; <c>{messageId}</c> stands for the message's id.</summary>
    public string? SmsStatus { get; set; }

    /// <summary>The path of the recording-status callback of a recorded call.</summary>
    public string? CallRecordingStatus { get; set; }

    /// <summary>The status callback for a message, or null without a public base URL or a registered route.</summary>
    public string? SmsStatusUrl(string? publicBaseUrl, string messageId) =>
        publicBaseUrl is { Length: > 0 } baseUrl && SmsStatus is { } path
            ? baseUrl.TrimEnd('/') + path.Replace("{messageId}", messageId, StringComparison.Ordinal)
            : null;

    /// <summary>The recording-status callback (relative when no public base URL is configured), or null without a registered route.</summary>
    public string? CallRecordingStatusUrl(string? publicBaseUrl) =>
        CallRecordingStatus is { } path ? (publicBaseUrl?.TrimEnd('/') ?? "") + path : null;
}
