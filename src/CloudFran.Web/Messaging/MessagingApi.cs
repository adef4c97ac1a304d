using System.Globalization;
using CloudFran.Abstractions.Errors;
using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Email;
using CloudFran.Abstractions.Messaging;
using CloudFran.Abstractions.Webhooks;
using CloudFran.Abstractions.Platform;
using CloudFran.Abstractions.Validation;
using CloudFran.Web.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace CloudFran.Web.Messaging;

/// <summary>PUT /v1/tenant/twilio.</summary>
public sealed record TwilioAccountRequest(string? AccountSid, string? AuthToken, string? ApiKeySid, string? ApiKeySecret, string? MessagingServiceSid)
{
    public TwilioAccountInput ToInput() => new(AccountSid, AuthToken, ApiKeySid, ApiKeySecret, MessagingServiceSid);
}

public sealed record SendSmsRequest(string? To, string? Message, string? MediaUrl, IReadOnlyList<string>? MediaUrls,
    string? LocationId, string? Category);

public sealed record OptOutRequest(string? Phone, string? Reason);

public sealed record PhoneNumberRequest(string? PhoneNumber, string? LocationId);

/// <summary>SMS sending and threads, opt-outs, consent audit, and the tenant's Twilio account and numbers.</summary>
public static class MessagingApi
{
    private static readonly string[] OptOutReasons = ["customer_request", "complaint", "bounce"];
    private static readonly string[] AuditTypes = ["opt_in", "opt_out", "deletion", "ccpa", "all"];

    public static RouteGroupBuilder MapMessagingApi(this IEndpointRouteBuilder routes)
    {
        var sms = routes.MapGroup("/v1/sms").WithTags("Communication (SMS)").RequireTenant(Role.Viewer);

        sms.MapPost("/send", async Task<Created<SmsMessageView>> (SendSmsRequest body, HttpContext http, IGrainFactory grains) =>
            {
                var media = body.MediaUrls ?? (body.MediaUrl is null ? [] : [body.MediaUrl]);
                var key = http.Request.Headers["Idempotency-Key"].ToString();
                if (key.Length > 200)
                {
                    throw CloudFranException.Invalid("Idempotency-Key", "Idempotency-Key must be at most 200 characters.");
                }
                var caller = http.Caller();
                var sent = await grains.GetSmsSender(caller.Scope).SendAsync(new SmsSendRequest(
                    body.To ?? "", body.Message ?? "", media, body.LocationId, key.Length == 0 ? null : key, body.Category ?? "transactional"));
                return TypedResults.Created($"/v1/sms/messages/{sent.MessageId}", sent);
            })
            .RequireTenant(Role.Agent)
            .WithName("SendSms").WithSummary("Queue an SMS/MMS (to E.164, message ≤ 1,600, mediaUrl ≤ 10): durable before 201. Optional Idempotency-Key header.");

        sms.MapGet("/messages", (HttpContext http, IGrainFactory grains) =>
            {
                var check = new Check();
                var phone = check.Text(http, "phone", 20);
                check.Phone("phone", phone);
                var page = check.Int(http, "page", 1, 1, 100_000);
                var pageSize = check.Int(http, "pageSize", 50, 1, 200);
                check.ThrowIfInvalid();
                return grains.GetMessagingAccount(http.Caller().Scope).ListThreadAsync(phone, page, pageSize);
            })
            .WithName("ListSmsMessages").WithSummary("Messages in both directions, newest first; phone= narrows to one contact's thread.");

        sms.MapPost("/opt-outs", async Task<Created<ConsentView>> (OptOutRequest body, HttpContext http, IGrainFactory grains) =>
            {
                new Check().Required("phone", body.Phone, 20).Phone("phone", body.Phone)
                    .OneOf("reason", body.Reason, OptOutReasons).ThrowIfInvalid();
                var caller = http.Caller();
                var consent = await grains.GetSmsRecipient(caller.Scope, body.Phone!)
                    .OptOutAsync(body.Reason ?? "customer_request", "api", caller.KeyId);
                return TypedResults.Created($"/v1/sms/opt-outs/{Uri.EscapeDataString(body.Phone!)}", consent);
            })
            .RequireTenant(Role.Agent)
            .WithName("CreateOptOut").WithSummary("Record an opt-out (reason customer_request | complaint | bounce); queued messages to the number are suppressed.");

        sms.MapGet("/opt-outs/{phone}", (string phone, HttpContext http, IGrainFactory grains) =>
                grains.GetSmsRecipient(http.Caller().Scope, RequirePhone(phone)).GetConsentAsync())
            .WithName("GetOptOut").WithSummary("The number's consent record (opted_in when none was ever recorded).");

        sms.MapDelete("/opt-outs/{phone}", (string phone, HttpContext http, IGrainFactory grains) =>
            {
                var caller = http.Caller();
                return grains.GetSmsRecipient(caller.Scope, RequirePhone(phone)).OptInAsync("api", caller.KeyId);
            })
            .RequireTenant(Role.Manager)
            .WithName("DeleteOptOut").WithSummary("Remove an opt-out (the customer consented again); audited.");

        var compliance = routes.MapGroup("/v1/compliance").WithTags("Compliance").RequireTenant(Role.Manager);
        compliance.MapGet("/consent-audit", (HttpContext http, IGrainFactory grains) =>
            {
                var check = new Check();
                var customer = check.Text(http, "customerId", 40);
                var type = check.Enum(http, "type", AuditTypes);
                var from = check.Time(http, "from");
                var to = check.Time(http, "to");
                var page = check.Int(http, "page", 1, 1, 100_000);
                var pageSize = check.Int(http, "pageSize", 100, 1, 500);
                check.ThrowIfInvalid();
                return grains.GetMessagingAccount(http.Caller().Scope).ConsentAuditAsync(
                    new ConsentAuditQuery(customer, type == "all" ? null : type, from, to, page, pageSize));
            })
            .WithName("ConsentAudit").WithSummary("Consent trail (opt_in, opt_out, …) by customer (phone), type, from, to.");

        var tenant = routes.MapGroup("/v1/tenant").WithTags("Tenant administration").RequireTenant(Role.Admin);
        tenant.MapPut("/twilio", (TwilioAccountRequest body, HttpContext http, IGrainFactory grains) =>
                grains.GetMessagingAccount(http.Caller().Scope).SetTwilioAsync(body.ToInput()))
            .WithName("SetTwilioAccount").WithSummary("Register the Twilio account (accountSid, authToken, optional apiKeySid/apiKeySecret, messagingServiceSid) of this key's environment. Secrets are never returned.");
        tenant.MapGet("/twilio", (HttpContext http, IGrainFactory grains) =>
                grains.GetMessagingAccount(http.Caller().Scope).GetTwilioAsync())
            .WithName("GetTwilioAccount").WithSummary("The Twilio account without secrets.");
        tenant.MapGet("/phone-numbers", (HttpContext http, IGrainFactory grains) =>
                grains.GetMessagingAccount(http.Caller().Scope).ListNumbersAsync())
            .RequireTenant(Role.Manager)
            .WithName("ListPhoneNumbers").WithSummary("The tenant's Twilio numbers and their locations.");
        tenant.MapPost("/phone-numbers", async Task<Created<PhoneNumberView>> (PhoneNumberRequest body, HttpContext http, IGrainFactory grains) =>
            {
                var check = new Check().Required("phoneNumber", body.PhoneNumber, 20).Phone("phoneNumber", body.PhoneNumber);
                if (body.LocationId is not null && !Ids.IsValid(body.LocationId, "loc"))
                {
                    check.Invalid("locationId", "locationId must be a location id (loc_…).");
                }
                check.ThrowIfInvalid();
                var number = await grains.GetMessagingAccount(http.Caller().Scope).AddNumberAsync(body.PhoneNumber!, body.LocationId);
                return TypedResults.Created($"/v1/tenant/phone-numbers/{number.NumberId}", number);
            })
            .WithName("AddPhoneNumber").WithSummary("Register a number (E.164) for a location; a number belongs to exactly one tenant and location.");
        tenant.MapDelete("/phone-numbers/{numberId}", async Task<NoContent> (string numberId, HttpContext http, IGrainFactory grains) =>
            {
                if (!Ids.IsValid(numberId, "num"))
                {
                    throw CloudFranException.NotFound("Phone number");
                }
                await grains.GetMessagingAccount(http.Caller().Scope).RemoveNumberAsync(numberId);
                return TypedResults.NoContent();
            })
            .WithName("RemovePhoneNumber").WithSummary("Release a number from the tenant.");
        return sms;
    }

    private static string RequirePhone(string phone) =>
        Check.IsE164(phone) ? phone : throw CloudFranException.Invalid("phone", "phone must be a valid E.164 number.");

}
