namespace CloudFran.Grains.Messaging.Twilio;

/// <summary>How the platform reaches Twilio's REST API.</summary>
public sealed class TwilioOptions
{
    /// <summary>REST base URL (CLOUDFRAN_TWILIO_BASE_URL); tests point it at a local fake.</summary>
    public string BaseUrl { get; set; } = "https://api.twilio.com";

    /// <summary>Attempts for retryable failures (20429 and 5xx) within one send.</summary>
    public int MaxAttempts { get; set; } = 3;

    public TimeSpan FirstBackoff { get; set; } = TimeSpan.FromMilliseconds(200);
}
