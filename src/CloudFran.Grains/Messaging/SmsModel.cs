using CloudFran.Abstractions.Errors;
using CloudFran.Abstractions.Email;
using CloudFran.Abstractions.Messaging;
using CloudFran.Abstractions.Webhooks;
using CloudFran.Grains.Storage;
using Npgsql;

namespace CloudFran.Grains.Messaging;

public static class MessagingErrors
{
    public const string RecipientOptedOut = "RECIPIENT_OPTED_OUT";
}

/// <summary>Message statuses, their order, and the Twilio statuses they map from. Status only moves forward.</summary>
public static class SmsStatus
{
    public const string Queued = "queued";
    public const string Sending = "sending";
    public const string Sent = "sent";
    public const string Delivered = "delivered";
    public const string Undelivered = "undelivered";
    public const string Failed = "failed";
    public const string Suppressed = "suppressed";
    public const string Received = "received";

    public static int Rank(string status) => status switch
    {
        Queued => 0,
        Sending => 1,
        Sent => 2,
        _ => 3, // delivered, undelivered, failed, suppressed, received: final
    };

    /// <summary>Our status for a Twilio message status, or null for one we do not track.</summary>
    public static string? FromTwilio(string twilioStatus) => twilioStatus switch
    {
        "accepted" or "queued" or "scheduled" or "sending" => Sending,
        "sent" => Sent,
        "delivered" or "read" => Delivered,
        "undelivered" => Undelivered,
        "failed" or "canceled" => Failed,
        _ => null,
    };

    public static readonly string[] OptOutWords = ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"];
    public static readonly string[] OptInWords = ["START", "YES", "UNSTOP"];
    public static readonly string[] HelpWords = ["HELP", "INFO"];

    public static CloudFranException OptedOut(string phone) =>
        new(ErrorKind.Conflict, MessagingErrors.RecipientOptedOut, $"{phone} has opted out of messages from this business.",
            [new FieldError("to", "The recipient opted out (STOP).")]);

    public static ThreadMessage Read(NpgsqlDataReader r) => new(
        r.GetString(r.GetOrdinal("message_id")), r.GetString(r.GetOrdinal("direction")), r.GetString(r.GetOrdinal("contact_phone")),
        r.NullableString("platform_phone"), r.GetString(r.GetOrdinal("body")),
        System.Text.Json.JsonSerializer.Deserialize<List<string>>(r.GetString(r.GetOrdinal("media_urls"))) ?? [],
        r.GetString(r.GetOrdinal("status")), r.NullableString("error_code"), r.Time("created_at"), r.Time("updated_at"));

    public const string Columns =
        "message_id, direction, contact_phone, platform_phone, body, media_urls::text AS media_urls, status, error_code, created_at, updated_at";
}
