namespace CloudFran.Grains.Webhooks;

/// <summary>Outgoing webhook delivery settings (environment variables; see WebhooksSetup).</summary>
public sealed class WebhookOptions
{
    /// <summary>CLOUDFRAN_WEBHOOKS_ALLOW_PRIVATE: allow loopback/private targets (local testing only).</summary>
    public bool AllowPrivateTargets { get; set; }

    /// <summary>Delay before attempt 2, 3, …; after the last, the delivery fails and the endpoint is marked failing.</summary>
    public TimeSpan[] RetrySchedule { get; set; } =
    [
        TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30), TimeSpan.FromHours(2), TimeSpan.FromHours(5),
        TimeSpan.FromHours(10), TimeSpan.FromHours(14), TimeSpan.FromHours(20), TimeSpan.FromHours(24),
    ];

    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(15);
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How long a rotated-out secret keeps signing.</summary>
    public TimeSpan RotationOverlap { get; set; } = TimeSpan.FromHours(24);
}
