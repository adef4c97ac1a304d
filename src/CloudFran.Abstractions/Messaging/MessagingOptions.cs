namespace CloudFran.Abstractions.Messaging;

/// <summary>Messaging options: the public base URL Twilio calls back on and the dispatcher's retry and poll settings.</summary>
public sealed class MessagingOptions
{
    /// <summary>Public base URL Twilio calls us on (CLOUDFRAN_PUBLIC_BASE_URL): status callbacks and signature checks.</summary>
    public string? PublicBaseUrl { get; set; }

    /// <summary>Dispatcher retries of a message whose Twilio call failed in a retryable way.</summary>
    public int MaxSendAttempts { get; set; } = 5;

    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(250);
}
