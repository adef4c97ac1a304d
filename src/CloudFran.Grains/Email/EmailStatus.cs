using CloudFran.Grains.Messaging;
using CloudFran.Abstractions.Email;
using CloudFran.Abstractions.Messaging;
using CloudFran.Abstractions.Webhooks;
using CloudFran.Grains.Storage;
using Npgsql;

namespace CloudFran.Grains.Email;

/// <summary>Message statuses and the row mapping of <c>email_messages</c>.</summary>
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
