using System.Text;
using System.Text.Json.Serialization;
using CloudFran.Abstractions.Errors;
using CloudFran.Abstractions.Loyalty;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Stripe;

namespace CloudFran.Web.Loyalty;

/// <summary>The webhook's answer to Stripe; fields other than received/handled appear only for the event kinds that set them.</summary>
public sealed record StripeWebhookResponse(
    bool Received,
    bool Handled,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? LoadStatus,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? LoadId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Refunds,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? Recorded);

public static class StripeWebhookApi
{
    public const string InvalidSignature = "INVALID_SIGNATURE";

    /// <summary>
    /// Stripe's webhook: not an API-key route; the Stripe-Signature header must verify with the webhook secret
    /// (CLOUDFRAN_STRIPE_WEBHOOK_SECRET). Web only reads and verifies; the Stripe events grain interprets the event.
    /// </summary>
    public static RouteGroupBuilder MapStripeWebhookApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/stripe").WithTags("Stripe webhooks");
        group.MapPost("/webhook", async Task<Ok<StripeWebhookResponse>> (HttpContext http, IGrainFactory grains, IConfiguration config) =>
            {
                using var reader = new StreamReader(http.Request.Body, Encoding.UTF8);
                var json = await reader.ReadToEndAsync();
                try
                {
                    var secret = config["CLOUDFRAN_STRIPE_WEBHOOK_SECRET"] ?? config["Stripe:WebhookSecret"] ?? "";
                    if (secret.Length == 0)
                    {
                        throw new StripeException("No webhook secret is configured.");
                    }
                    EventUtility.ConstructEvent(json, http.Request.Headers["Stripe-Signature"].ToString(), secret, tolerance: 300,
                        throwOnApiVersionMismatch: false);
                }
                catch (StripeException)
                {
                    throw new CloudFranException(ErrorKind.Invalid, InvalidSignature, "The Stripe-Signature header does not verify.");
                }
                catch (Newtonsoft.Json.JsonException)
                {
                    throw new CloudFranException(ErrorKind.Invalid, ErrorCodes.InvalidInput, "The event is not valid JSON.");
                }
                var outcome = await grains.GetStripeEvents().ApplyAsync(json);
                return TypedResults.Ok(new StripeWebhookResponse(true, outcome.Handled, outcome.LoadStatus, outcome.LoadId, outcome.Refunds, outcome.Recorded));
            })
            .WithName("StripeWebhook").WithSummary("Stripe events (signed): payment_intent.succeeded credits the wallet load once; charge.refunded and charge.dispute.created debit it once per refund/dispute id, charge.dispute.closed (won) credits back; a bad signature → 400; other events are acknowledged and ignored.")
            .DisableAntiforgery();
        return group;
    }
}
