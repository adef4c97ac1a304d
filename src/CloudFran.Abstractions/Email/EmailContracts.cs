using CloudFran.Abstractions.Keys;

namespace CloudFran.Abstractions.Email;

/// <summary>A tenant's SMTP relay settings as written (PUT /v1/tenant/email).</summary>
[GenerateSerializer, Immutable, Alias("cf.EmailSettingsInput")]
public sealed record EmailSettingsInput(
    [property: Id(0)] string? Host,
    [property: Id(1)] int? Port,
    [property: Id(2)] string? Username,
    [property: Id(3)] string? Password,
    [property: Id(4)] string? FromAddress,
    [property: Id(5)] string? FromName,
    /// <summary>none | starttls | tls (implicit TLS, e.g. port 465).</summary>
    [property: Id(6)] string? Security);

/// <summary>The SMTP settings as shown back: never the password.</summary>
[GenerateSerializer, Immutable, Alias("cf.EmailSettingsView")]
public sealed record EmailSettingsView(
    [property: Id(0)] string Host,
    [property: Id(1)] int Port,
    [property: Id(2)] string? Username,
    [property: Id(3)] bool PasswordSet,
    [property: Id(4)] string FromAddress,
    [property: Id(5)] string? FromName,
    [property: Id(6)] string Security,
    [property: Id(7)] DateTimeOffset UpdatedAt);

/// <summary>
/// The one way a module sends an email: durable (queued in PostgreSQL) before the call returns, then delivered over
/// the tenant's SMTP relay; unsubscribes are honoured for marketing mail.
/// </summary>
[GenerateSerializer, Immutable, Alias("cf.EmailSendRequest")]
public sealed record EmailSendRequest(
    [property: Id(0)] string To,
    [property: Id(1)] string Subject,
    [property: Id(2)] string TextBody,
    /// <summary>"transactional" (receipts, confirmations) or "marketing" (campaigns, nurture: carries an unsubscribe link).</summary>
    [property: Id(3)] string Category,
    [property: Id(4)] string? IdempotencyKey,
    [property: Id(5)] string? LocationId = null,
    [property: Id(6)] string? HtmlBody = null);

[GenerateSerializer, Immutable, Alias("cf.EmailMessageView")]
public sealed record EmailMessageView(
    [property: Id(0)] string MessageId,
    [property: Id(1)] string Status,
    [property: Id(2)] string To,
    [property: Id(3)] string Subject,
    [property: Id(4)] string Category,
    [property: Id(5)] int Attempts,
    [property: Id(6)] string? ErrorCode,
    [property: Id(7)] string? ErrorMessage,
    [property: Id(8)] DateTimeOffset CreatedAt,
    [property: Id(9)] DateTimeOffset? SentAt);

/// <summary>One message's outcome in <see cref="IEmailSenderGrain.SendManyAsync"/>: a message, or an error (kind and code).</summary>
[GenerateSerializer, Immutable, Alias("cf.EmailSendResult")]
public sealed record EmailSendResult(
    [property: Id(0)] EmailMessageView? Message,
    [property: Id(1)] ErrorKind? ErrorKind = null,
    [property: Id(2)] string? ErrorCode = null,
    [property: Id(3)] string? ErrorMessage = null);

[GenerateSerializer, Immutable, Alias("cf.EmailConsentView")]
public sealed record EmailConsentView(
    [property: Id(0)] string Address,
    [property: Id(1)] string Status,
    [property: Id(2)] string? Source,
    [property: Id(3)] DateTimeOffset? UpdatedAt);

/// <summary>Front door for email in one tenant partition. Key: <c>tn_…/live|test</c>.</summary>
public interface IEmailSenderGrain : IGrainWithStringKey
{
    /// <summary>Validates, refuses unsubscribed addresses for marketing mail (409 RECIPIENT_OPTED_OUT), and queues durably.</summary>
    Task<EmailMessageView> SendAsync(EmailSendRequest request);

    /// <summary>The same rules for up to 1,000 messages: one result per request, in order.</summary>
    Task<IReadOnlyList<EmailSendResult>> SendManyAsync(IReadOnlyList<EmailSendRequest> requests);

    /// <summary>One message of this partition (404 for another tenant's id).</summary>
    Task<EmailMessageView> GetAsync(string messageId);

    /// <summary>Records that the address unsubscribed (idempotent), suppresses its queued marketing mail, emits email.opt_out.</summary>
    Task<EmailConsentView> UnsubscribeAsync(string address, string source);

    /// <summary>The address's consent record (opted_in with no source when none was ever recorded).</summary>
    Task<EmailConsentView> GetConsentAsync(string address);

    /// <summary>Lifts an unsubscribe (the person asked to hear from the business again; idempotent), emits email.opt_in.</summary>
    Task<EmailConsentView> ResubscribeAsync(string address, string source);
}

/// <summary>The tenant partition's SMTP settings. Key: <c>tn_…/live|test</c>.</summary>
public interface IEmailAccountGrain : IGrainWithStringKey
{
    Task<EmailSettingsView> SetAsync(EmailSettingsInput input);

    Task<EmailSettingsView> GetAsync();
}

public static class EmailGrainFactoryExtensions
{
    public static IEmailSenderGrain GetEmailSender(this IGrainFactory factory, TenantScope scope) =>
        factory.GetGrain<IEmailSenderGrain>(scope.ToString());

    public static IEmailAccountGrain GetEmailAccount(this IGrainFactory factory, TenantScope scope) =>
        factory.GetGrain<IEmailAccountGrain>(scope.ToString());
}

/// <summary>Input rules shared by the HTTP surface (checked before the grain call) and the sender grain.</summary>
public static class EmailRules
{
    public const int MaxSubject = 200;
    public const int MaxBody = 100_000;
    public static readonly string[] Categories = ["transactional", "marketing"];
    public static readonly string[] Securities = ["none", "starttls", "tls"];

    public static Validation.Check Validate(EmailSendRequest request)
    {
        var check = new Validation.Check()
            .Required("to", request.To, 254).Email("to", request.To)
            .Required("subject", request.Subject, MaxSubject)
            .Required("text", request.TextBody, MaxBody)
            .Text("html", request.HtmlBody, MaxBody)
            .Required("category", request.Category, 20).OneOf("category", request.Category, Categories)
            .Text("idempotencyKey", request.IdempotencyKey, 200);
        if (request.Subject is not null && request.Subject.Any(c => c is '\r' or '\n'))
        {
            check.Invalid("subject", "subject must be a single line.");
        }
        if (request.LocationId is not null && !Ids.IsValid(request.LocationId, "loc"))
        {
            check.Invalid("locationId", "locationId must be a location id (loc_…).");
        }
        return check;
    }

    public static Validation.Check Validate(EmailSettingsInput input)
    {
        var check = new Validation.Check()
            .Required("host", input.Host, 253)
            .Range("port", input.Port, 1, 65535)
            .Text("username", input.Username, 254)
            .Text("password", input.Password, 256)
            .Required("fromAddress", input.FromAddress, 254).Email("fromAddress", input.FromAddress)
            .Text("fromName", input.FromName, 100)
            .Required("security", input.Security, 8).OneOf("security", input.Security, Securities);
        if (input.Port is null)
        {
            check.Missing("port");
        }
        if (input.Host is not null && (Uri.CheckHostName(input.Host) == UriHostNameType.Unknown || input.Host.Contains(' ')))
        {
            check.Invalid("host", "host must be a host name or IP address.");
        }
        if (input.Password is not null && input.Username is null)
        {
            check.Invalid("username", "A password needs a username.");
        }
        if (input.FromName is not null && input.FromName.Any(c => c is '\r' or '\n' or '"'))
        {
            check.Invalid("fromName", "fromName must be a single line without quotes.");
        }
        return check;
    }
}
