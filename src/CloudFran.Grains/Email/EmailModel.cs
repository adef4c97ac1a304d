using CloudFran.Grains.Messaging;
using CloudFran.Abstractions.Email;
using CloudFran.Abstractions.Messaging;
using CloudFran.Abstractions.Webhooks;
using CloudFran.Grains.Storage;
using Npgsql;

namespace CloudFran.Grains.Email;

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

public static class EmailStatus
{
    public const string Queued = "queued";
    public const string Sent = "sent";
    public const string Failed = "failed";
    public const string Suppressed = "suppressed";

    public const string Columns =
        "message_id, status, to_address, subject, category, attempts, error_code, error_message, created_at, sent_at";

    public static EmailMessageView Read(NpgsqlDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetInt32(5),
        r.NullableString("error_code"), r.NullableString("error_message"), r.Time("created_at"), r.NullableTime("sent_at"));

    public static Abstractions.Errors.CloudFranException OptedOut(string address) =>
        new(ErrorKind.Conflict, MessagingErrors.RecipientOptedOut, $"{address} has unsubscribed from marketing email of this business.",
            [new Abstractions.Errors.FieldError("to", "The recipient unsubscribed.")]);
}

/// <summary>Wakes this node's email dispatcher when a message was queued here.</summary>
public sealed class EmailDispatchSignal : Background.WakeSignal;
