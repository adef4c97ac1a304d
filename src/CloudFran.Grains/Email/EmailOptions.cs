namespace CloudFran.Grains.Email;

/// <summary>Email delivery settings (environment variables; see EmailSetup).</summary>
public sealed class EmailOptions
{
    /// <summary>Attempts before a message whose SMTP relay keeps answering 4xx (or not at all) is failed.</summary>
    public int MaxSendAttempts { get; set; } = 5;

    /// <summary>First retry delay; doubles with every attempt (CLOUDFRAN_EMAIL_RETRY_SECONDS).</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Connect/command timeout of one SMTP conversation.</summary>
    public TimeSpan SmtpTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Server secret signing unsubscribe links (CLOUDFRAN_EMAIL_UNSUBSCRIBE_SECRET); generated and stored once when unset.</summary>
    public string? UnsubscribeSecret { get; set; }

    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Allow SMTP relays on loopback, private, link-local (cloud metadata) and other internal addresses
    /// (CLOUDFRAN_EMAIL_ALLOW_PRIVATE; off by default: a tenant's relay setting must not reach the platform's network).
    /// </summary>
    public bool AllowPrivateHosts { get; set; }

    /// <summary>Messages sent over one SMTP connection before it is closed (a claimed batch per tenant relay is split into
    /// chunks of at most this size, each on its own connection).</summary>
    public int MessagesPerConnection { get; set; } = 16;
}
