using CloudFran.Abstractions.Errors;
using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Email;
using CloudFran.Abstractions.Messaging;
using CloudFran.Abstractions.Webhooks;
using CloudFran.Web.Messaging.Twilio;
using CloudFran.Web.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;

namespace CloudFran.Web.Messaging;

/// <summary>
/// Twilio's callbacks into the platform. Not API-key routes: each request must carry a valid X-Twilio-Signature
/// made with the owning tenant's auth token over our public URL (CLOUDFRAN_PUBLIC_BASE_URL + path + query);
/// otherwise 403.
/// </summary>
public static class TwilioWebhooksApi
{
    public const string InvalidSignature = "INVALID_SIGNATURE";

    private const string Group = "/v1/twilio";

    /// <summary>Twilio's message status callback; the message id rides in the query (Twilio posts no id of ours).</summary>
    private const string SmsStatusPath = "/sms/status";

    public static RouteGroupBuilder MapTwilioWebhooksApi(this IEndpointRouteBuilder routes)
    {
        // Grains hand this callback to Twilio when they send; they learn it from here, not from a path of their own.
        routes.ServiceProvider.GetRequiredService<IOptions<TwilioCallbackRoutes>>().Value.SmsStatus = Group + SmsStatusPath + "?mid={messageId}";
        var group = routes.MapGroup(Group).WithTags("Twilio webhooks");

        group.MapPost(SmsStatusPath, async Task<NoContent> (HttpContext http, IGrainFactory grains, IOptions<MessagingOptions> options) =>
            {
                var form = await ReadFormAsync(http);
                var messageId = http.Request.Query["mid"].ToString();
                var route = Ids.IsValid(messageId, "msg") ? await grains.GetTwilioRouting().ForMessageAsync(messageId) : null;
                if (route is null)
                {
                    throw CloudFranException.NotFound("Message");
                }
                Verify(http, form, route.WebhookToken, options.Value);
                var status = Field(form, "MessageStatus");
                var to = Field(form, "To");
                if (status is null || to is null || !Abstractions.Validation.Check.IsE164(to))
                {
                    throw CloudFranException.Invalid("MessageStatus", "MessageStatus and To are required.");
                }
                await grains.GetSmsRecipient(route.Scope, to).ApplyStatusAsync(messageId, status, Field(form, "ErrorCode"));
                return TypedResults.NoContent();
            })
            .WithName("TwilioSmsStatus").WithSummary("Twilio message status callback (signed): advances the status monotonically; idempotent.")
            .DisableAntiforgery();

        group.MapPost("/sms/inbound", async Task<ContentHttpResult> (HttpContext http, IGrainFactory grains, IOptions<MessagingOptions> options) =>
            {
                var form = await ReadFormAsync(http);
                var to = Field(form, "To");
                var route = to is null ? null : await grains.GetTwilioRouting().ForNumberAsync(to);
                if (route is null)
                {
                    throw CloudFranException.NotFound("Phone number");
                }
                Verify(http, form, route.WebhookToken, options.Value);
                var from = Field(form, "From");
                var sid = Field(form, "MessageSid");
                if (from is null || sid is null || !Abstractions.Validation.Check.IsE164(from))
                {
                    throw CloudFranException.Invalid("From", "From (E.164) and MessageSid are required.");
                }
                var media = form.Where(p => p.Key.StartsWith("MediaUrl", StringComparison.Ordinal)).Select(p => p.Value).ToList();
                var result = await grains.GetSmsRecipient(route.Scope, from).ReceiveAsync(
                    new InboundSms(sid, from, to!, Field(form, "Body") ?? "", media, route.LocationId));
                var twiml = new TwiML();
                if (result.Reply is not null)
                {
                    twiml.Message(result.Reply);
                }
                return TypedResults.Content(twiml.ToString(), "text/xml");
            })
            .WithName("TwilioSmsInbound").WithSummary("Twilio inbound SMS (signed): STOP/START/HELP keywords, thread, sms.received event. Answers TwiML.")
            .DisableAntiforgery();
        return group;
    }

    internal static async Task<List<KeyValuePair<string, string>>> ReadFormAsync(HttpContext http)
    {
        if (!http.Request.HasFormContentType)
        {
            throw new CloudFranException(ErrorKind.UnsupportedFormat, ErrorCodes.InvalidInput, "Twilio webhooks are application/x-www-form-urlencoded.");
        }
        var form = await http.Request.ReadFormAsync();
        return form.SelectMany(f => f.Value.Select(v => new KeyValuePair<string, string>(f.Key, v ?? ""))).ToList();
    }

    internal static string? Field(List<KeyValuePair<string, string>> form, string name) =>
        form.FirstOrDefault(p => p.Key == name).Value is { Length: > 0 } value ? value : null;

    internal static void Verify(HttpContext http, List<KeyValuePair<string, string>> form, string token, MessagingOptions options)
    {
        var baseUrl = options.PublicBaseUrl is { Length: > 0 } configured
            ? configured.TrimEnd('/')
            : $"{http.Request.Scheme}://{http.Request.Host}";
        var url = baseUrl + http.Request.PathBase + http.Request.Path + http.Request.QueryString;
        if (!TwilioSignature.IsValid(url, form, token, http.Request.Headers["X-Twilio-Signature"].ToString()))
        {
            throw new CloudFranException(ErrorKind.Forbidden, InvalidSignature, "The X-Twilio-Signature header is missing or does not match.");
        }
    }
}
