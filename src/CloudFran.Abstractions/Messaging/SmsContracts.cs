using CloudFran.Abstractions.Keys;

namespace CloudFran.Abstractions.Messaging;

/// <summary>
/// The one way a module sends an SMS/MMS: durable (queued in PostgreSQL) before the call returns, then delivered
/// through the tenant's Twilio account; opt-outs (STOP) are honoured for every sender.
/// </summary>
[GenerateSerializer, Immutable, Alias("cf.SmsSendRequest")]
public sealed record SmsSendRequest(
    [property: Id(0)] string To,
    [property: Id(1)] string Body,
    [property: Id(2)] IReadOnlyList<string>? MediaUrls,
    [property: Id(3)] string? LocationId,
    [property: Id(4)] string? IdempotencyKey,
    /// <summary>"transactional" (confirmations, receipts, alerts) or "marketing" (campaigns, nurture).</summary>
    [property: Id(5)] string Category = "transactional");

[GenerateSerializer, Immutable, Alias("cf.SmsMessageView")]
public sealed record SmsMessageView(
    [property: Id(0)] string MessageId,
    [property: Id(1)] string Status,
    [property: Id(2)] string To,
    [property: Id(3)] string? From,
    [property: Id(4)] string Body,
    [property: Id(5)] DateTimeOffset CreatedAt,
    [property: Id(6)] string? ErrorCode);

/// <summary>Front door for sending messages in one tenant partition. Key: <c>tn_…/live|test</c>.</summary>
public interface ISmsSenderGrain : IGrainWithStringKey
{
    /// <summary>Validates, refuses opted-out recipients (409 RECIPIENT_OPTED_OUT), and queues the message durably.</summary>
    Task<SmsMessageView> SendAsync(SmsSendRequest request);

    /// <summary>
    /// The same rules for up to 1,000 messages in a few statements (bulk senders such as campaigns): one result per
    /// request, in order — the queued (or, for a reused idempotency key, the earlier) message, or the error that
    /// <see cref="SendAsync"/> would have thrown for that request.
    /// </summary>
    Task<IReadOnlyList<SmsSendResult>> SendManyAsync(IReadOnlyList<SmsSendRequest> requests);
}

/// <summary>One message's outcome in <see cref="ISmsSenderGrain.SendManyAsync"/>: a message, or an error (kind and code).</summary>
[GenerateSerializer, Immutable, Alias("cf.SmsSendResult")]
public sealed record SmsSendResult(
    [property: Id(0)] SmsMessageView? Message,
    [property: Id(1)] ErrorKind? ErrorKind = null,
    [property: Id(2)] string? ErrorCode = null,
    [property: Id(3)] string? ErrorMessage = null);

public static class MessagingGrainFactoryExtensions
{
    public static ISmsSenderGrain GetSmsSender(this IGrainFactory factory, TenantScope scope) =>
        factory.GetGrain<ISmsSenderGrain>(scope.ToString());
}
