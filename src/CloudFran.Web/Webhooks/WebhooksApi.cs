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

namespace CloudFran.Web.Webhooks;

/// <summary>How many deliveries a replay scheduled.</summary>
public sealed record ReplayScheduled(int Scheduled);

/// <summary>POST and PATCH /v1/webhooks/endpoints; format "json" (default) or "form" (the Scheduling Center Push API's key-value format).</summary>
public sealed record WebhookEndpointRequest(string? Url, IReadOnlyList<string>? Events, string? Description, string? Status, string? Format = null)
{
    public WebhookEndpointInput ToInput() => new(Url, Events, Description, Status, Format);
}

/// <summary>Webhook endpoints (Standard Webhooks v1 signing), deliveries, redelivery and replay.</summary>
public static class WebhooksApi
{
    public static RouteGroupBuilder MapWebhooksApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/webhooks").WithTags("Webhooks").RequireTenant(Role.Admin);

        group.MapGet("/event-types", () => WebhookEventTypes.Catalog)
            .RequireTenant(Role.Viewer)
            .WithName("ListWebhookEventTypes").WithSummary("Every event type an endpoint can subscribe to (or \"*\").");

        group.MapGet("/endpoints", (HttpContext http, IGrainFactory grains) => Endpoints(grains, http).ListAsync())
            .WithName("ListWebhookEndpoints").WithSummary("The tenant's webhook endpoints (no secrets).");

        group.MapPost("/endpoints", async Task<Created<WebhookEndpointSecret>> (WebhookEndpointRequest body, HttpContext http, IGrainFactory grains) =>
            {
                var created = await Endpoints(grains, http).CreateAsync(body.ToInput());
                return TypedResults.Created($"/v1/webhooks/endpoints/{created.Endpoint.EndpointId}", created);
            })
            .WithName("CreateWebhookEndpoint").WithSummary("Register url + events (or \"*\") + description; the whsec_ signing secret is returned once.");

        group.MapGet("/endpoints/{endpointId}", (string endpointId, HttpContext http, IGrainFactory grains) =>
                Endpoints(grains, http).GetAsync(Require(endpointId, "we", "Webhook endpoint")))
            .WithName("GetWebhookEndpoint").WithSummary("One endpoint.");

        group.MapPatch("/endpoints/{endpointId}", (string endpointId, WebhookEndpointRequest body, HttpContext http, IGrainFactory grains) =>
                Endpoints(grains, http).UpdateAsync(Require(endpointId, "we", "Webhook endpoint"), body.ToInput()))
            .WithName("UpdateWebhookEndpoint").WithSummary("Change url, events, description or status (active | disabled).");

        group.MapDelete("/endpoints/{endpointId}", async Task<NoContent> (string endpointId, HttpContext http, IGrainFactory grains) =>
            {
                await Endpoints(grains, http).DeleteAsync(Require(endpointId, "we", "Webhook endpoint"));
                return TypedResults.NoContent();
            })
            .WithName("DeleteWebhookEndpoint").WithSummary("Remove an endpoint and its pending deliveries.");

        group.MapPost("/endpoints/{endpointId}/rotate-secret", (string endpointId, HttpContext http, IGrainFactory grains) =>
                Endpoints(grains, http).RotateSecretAsync(Require(endpointId, "we", "Webhook endpoint")))
            .WithName("RotateWebhookSecret").WithSummary("New signing secret (returned once); the old one keeps signing for 24 h.");

        group.MapGet("/endpoints/{endpointId}/deliveries", (string endpointId, HttpContext http, IGrainFactory grains) =>
            {
                var check = new Check();
                var page = check.Int(http, "page", 1, 1, 100_000);
                var pageSize = check.Int(http, "pageSize", 50, 1, 200);
                check.ThrowIfInvalid();
                return Endpoints(grains, http).ListDeliveriesAsync(Require(endpointId, "we", "Webhook endpoint"), page, pageSize);
            })
            .WithName("ListWebhookDeliveries").WithSummary("Deliveries with attempts, last status code, latency and next retry.");

        group.MapPost("/deliveries/{deliveryId}/redeliver", (string deliveryId, HttpContext http, IGrainFactory grains) =>
                Endpoints(grains, http).RedeliverAsync(Require(deliveryId, "dlv", "Webhook delivery")))
            .WithName("RedeliverWebhook").WithSummary("Send a delivery again now (same webhook-id).");

        group.MapPost("/endpoints/{endpointId}/replay", async (string endpointId, HttpContext http, IGrainFactory grains) =>
            {
                DateTimeOffset? since = null;
                var raw = http.Request.Query["since"].ToString();
                if (raw.Length > 0)
                {
                    since = DateTimeOffset.TryParse(raw, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var s)
                        ? s
                        : throw CloudFranException.Invalid("since", "since must be an ISO 8601 date-time.");
                }
                var count = await Endpoints(grains, http).ReplayAsync(Require(endpointId, "we", "Webhook endpoint"), since);
                return TypedResults.Ok(new ReplayScheduled(count));
            })
            .WithName("ReplayWebhooks").WithSummary("Schedule again everything undelivered, or (since=) everything since a time.");

        return group;
    }

    private static IWebhookEndpointsGrain Endpoints(IGrainFactory grains, HttpContext http) =>
        grains.GetWebhookEndpoints(http.Caller().Scope);

    private static string Require(string id, string prefix, string what) =>
        Ids.IsValid(id, prefix) ? id : throw CloudFranException.NotFound(what);
}
