using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Platform;

namespace CloudFran.Abstractions.Messaging;

[GenerateSerializer, Immutable, Alias("cf.TwilioAccountInput")]
public sealed record TwilioAccountInput(
    [property: Id(0)] string? AccountSid,
    [property: Id(1)] string? AuthToken,
    [property: Id(2)] string? ApiKeySid,
    [property: Id(3)] string? ApiKeySecret,
    [property: Id(4)] string? MessagingServiceSid);

/// <summary>A tenant's Twilio account as shown back: never the token or key secret.</summary>
[GenerateSerializer, Immutable, Alias("cf.TwilioAccountView")]
public sealed record TwilioAccountView(
    [property: Id(0)] string AccountSid,
    [property: Id(1)] string? ApiKeySid,
    [property: Id(2)] string? MessagingServiceSid,
    [property: Id(3)] bool AuthTokenSet,
    [property: Id(4)] DateTimeOffset UpdatedAt);

[GenerateSerializer, Immutable, Alias("cf.PhoneNumberView")]
public sealed record PhoneNumberView(
    [property: Id(0)] string NumberId,
    [property: Id(1)] string PhoneNumber,
    [property: Id(2)] string? LocationId,
    [property: Id(3)] DateTimeOffset CreatedAt);

[GenerateSerializer, Immutable, Alias("cf.ConsentView")]
public sealed record ConsentView(
    [property: Id(0)] string Phone,
    [property: Id(1)] string Status,
    [property: Id(2)] string? Reason,
    [property: Id(3)] string? Source,
    [property: Id(4)] DateTimeOffset? UpdatedAt);

[GenerateSerializer, Immutable, Alias("cf.ConsentAuditEntry")]
public sealed record ConsentAuditEntry(
    [property: Id(0)] long AuditId,
    [property: Id(1)] string CustomerId,
    [property: Id(2)] string Type,
    [property: Id(3)] string Channel,
    [property: Id(4)] string Source,
    [property: Id(5)] string Actor,
    [property: Id(6)] string? Reason,
    [property: Id(7)] DateTimeOffset CreatedAt);

[GenerateSerializer, Immutable, Alias("cf.ConsentAuditQuery")]
public sealed record ConsentAuditQuery(
    [property: Id(0)] string? CustomerId,
    [property: Id(1)] string? Type,
    [property: Id(2)] DateTimeOffset? From,
    [property: Id(3)] DateTimeOffset? To,
    [property: Id(4)] int Page,
    [property: Id(5)] int PageSize);

/// <summary>A message of a thread (either direction).</summary>
[GenerateSerializer, Immutable, Alias("cf.ThreadMessage")]
public sealed record ThreadMessage(
    [property: Id(0)] string MessageId,
    [property: Id(1)] string Direction,
    [property: Id(2)] string Phone,
    [property: Id(3)] string? PlatformPhone,
    [property: Id(4)] string Body,
    [property: Id(5)] IReadOnlyList<string> MediaUrls,
    [property: Id(6)] string Status,
    [property: Id(7)] string? ErrorCode,
    [property: Id(8)] DateTimeOffset CreatedAt,
    [property: Id(9)] DateTimeOffset UpdatedAt);

[GenerateSerializer, Immutable, Alias("cf.InboundSms")]
public sealed record InboundSms(
    [property: Id(0)] string MessageSid,
    [property: Id(1)] string From,
    [property: Id(2)] string To,
    [property: Id(3)] string Body,
    [property: Id(4)] IReadOnlyList<string> MediaUrls,
    [property: Id(5)] string? LocationId);

/// <summary>What the inbound webhook answers Twilio: an optional reply (sent as TwiML &lt;Message&gt;).</summary>
[GenerateSerializer, Immutable, Alias("cf.InboundResult")]
public sealed record InboundResult([property: Id(0)] string? Reply, [property: Id(1)] string Kind);

/// <summary>Where a Twilio webhook belongs and the token that must have signed it.</summary>
[GenerateSerializer, Immutable, Alias("cf.TwilioRoute")]
public sealed record TwilioRoute(
    [property: Id(0)] TenantScope Scope,
    [property: Id(1)] string WebhookToken,
    [property: Id(2)] string? LocationId);

/// <summary>A tenant partition's messaging configuration: Twilio account and phone numbers. Key: <c>tn_…/live|test/messaging</c>.</summary>
public interface IMessagingAccountGrain : IGrainWithStringKey
{
    Task<TwilioAccountView> SetTwilioAsync(TwilioAccountInput input);
    Task<TwilioAccountView> GetTwilioAsync();
    Task<PhoneNumberView> AddNumberAsync(string phoneNumber, string? locationId);
    Task<IReadOnlyList<PhoneNumberView>> ListNumbersAsync();
    Task RemoveNumberAsync(string numberId);
    Task<PagedList<ThreadMessage>> ListThreadAsync(string? phone, int page, int pageSize);
    Task<PagedList<ConsentAuditEntry>> ConsentAuditAsync(ConsentAuditQuery query);
}

/// <summary>An outbox row as the dispatcher claimed it: what delivery needs, without reading the row again.</summary>
[GenerateSerializer, Immutable, Alias("cf.ClaimedSms")]
public sealed record ClaimedSms(
    [property: Id(0)] string MessageId,
    [property: Id(1)] string Body,
    [property: Id(2)] IReadOnlyList<string> Media,
    [property: Id(3)] string? LocationId,
    /// <summary>Delivery attempts including this one.</summary>
    [property: Id(4)] int Attempts);

/// <summary>
/// Everything about one recipient phone in one tenant partition: its consent record, delivery of its queued
/// messages, inbound keywords. Serialising these in one activation is what makes "no send after an acknowledged
/// opt-out" hold. Key: <c>tn_…/live|test/ph_&lt;digits&gt;</c>.
/// </summary>
public interface ISmsRecipientGrain : IGrainWithStringKey
{
    /// <summary>Sends one message the dispatcher claimed (its row was queued at the claim) unless the recipient opted out.</summary>
    Task DeliverAsync(ClaimedSms message);
    Task<bool> ApplyStatusAsync(string messageId, string twilioStatus, string? errorCode);
    Task<InboundResult> ReceiveAsync(InboundSms sms);
    Task<ConsentView> OptOutAsync(string reason, string source, string actor);
    Task<ConsentView> OptInAsync(string source, string actor);
    Task<ConsentView> GetConsentAsync();
}

/// <summary>Platform-level lookups for Twilio webhooks (before the tenant is known). Key: <c>twilio</c>.</summary>
public interface ITwilioRoutingGrain : IGrainWithStringKey
{
    /// <summary>The tenant owning the number Twilio delivered to, or null.</summary>
    Task<TwilioRoute?> ForNumberAsync(string toNumber);

    /// <summary>The tenant of an outbound message, for its status callback, or null.</summary>
    Task<TwilioRoute?> ForMessageAsync(string messageId);

    /// <summary>The tenant of a voice call, for callbacks that carry no To (recordings), or null.</summary>
    Task<TwilioRoute?> ForCallAsync(string callSid);
}

public static class MessagingKeys
{
    /// <summary>Canonical key part of a phone: <c>ph_</c> + its digits.</summary>
    public static string PhoneKey(string e164) => "ph_" + new string(e164.Where(char.IsAsciiDigit).ToArray());

    public static IMessagingAccountGrain GetMessagingAccount(this IGrainFactory factory, TenantScope scope) =>
        factory.GetGrain<IMessagingAccountGrain>(new ScopedKey(scope, "messaging").ToString());

    public static ISmsRecipientGrain GetSmsRecipient(this IGrainFactory factory, TenantScope scope, string e164) =>
        factory.GetGrain<ISmsRecipientGrain>(new ScopedKey(scope, PhoneKey(e164)).ToString());

    public static ITwilioRoutingGrain GetTwilioRouting(this IGrainFactory factory) =>
        factory.GetGrain<ITwilioRoutingGrain>("twilio");
}
