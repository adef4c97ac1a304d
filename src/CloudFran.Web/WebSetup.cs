using System.Text.Json.Serialization;
using CloudFran.Web.Autopilot;
using CloudFran.Web.Calendar;
using CloudFran.Web.Crm;
using CloudFran.Web.Email;
using CloudFran.Web.Infrastructure;
using CloudFran.Web.Infrastructure.Authentication;
using CloudFran.Web.Inventory;
using CloudFran.Web.Locations;
using CloudFran.Web.Loyalty;
using CloudFran.Web.Messaging;
using CloudFran.Web.Platform;
using CloudFran.Web.Voice;
using CloudFran.Web.Webhooks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Scalar.AspNetCore;

namespace CloudFran.Web;

public static class WebSetup
{
    /// <summary>JSON, OpenAPI, and binder behaviour shared by every endpoint group.</summary>
    public static IHostApplicationBuilder AddCloudFranWeb(this IHostApplicationBuilder builder)
    {
        builder.Services.Configure<JsonOptions>(o =>
        {
            // Unknown fields are refused (400 with the field named) rather than silently ignored.
            o.SerializerOptions.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
            o.SerializerOptions.NumberHandling = JsonNumberHandling.Strict;
        });
        // Binding failures become exceptions so the error middleware can answer with the envelope.
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.Services.AddCloudFranAuthentication();
        builder.Services.AddSignalR();
        builder.Services.AddSingleton<Voice.VoiceDashboardRelay>();
        builder.Services.AddSingleton<HealthRateLimiter>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<Voice.VoiceDashboardRelay>());
        builder.Services.AddOpenApi("v1", o => o.AddDocumentTransformer<PlatformOpenApi>().AddOperationTransformer<PlatformOpenApi>());
        return builder;
    }

    /// <summary>
    /// Middleware order: errors + request id → routing → authentication → authorization (the route group's policy,
    /// before model binding) → the caller's tenant in the request context and log scope → endpoints.
    /// </summary>
    public static WebApplication UseCloudFranWeb(this WebApplication app)
    {
        app.UseMiddleware<ErrorHandlingMiddleware>();
        app.UseWebSockets();
        app.UseRouting();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseMiddleware<TenantContextMiddleware>();
        return app;
    }

    /// <summary>
    /// The route table: every endpoint group of every module, listed here and nowhere else. Add a module's groups
    /// in the same order as its registration in Program.cs.
    /// </summary>
    public static IEndpointRouteBuilder MapCloudFranApis(this IEndpointRouteBuilder routes)
    {
        // Platform: health, the tenant's own account and keys, operator administration, usage.
        routes.MapHealthApi();
        routes.MapTenantApi();
        routes.MapAdminApi();
        routes.MapBillingApi();
        routes.MapLocationsApi();

        // Messaging: SMS, Twilio's signed SMS webhooks, email, outgoing webhooks.
        routes.MapMessagingApi();
        routes.MapTwilioWebhooksApi();
        routes.MapEmailApi();
        routes.MapWebhooksApi();

        // Calendar: /v1/calendar, the agents' booking route, and the Scheduling Center's /api resources.
        routes.MapCalendarApi();
        routes.MapSchedulingCenterApi();

        // Voice receptionist: Twilio's signed voice webhooks, the /v1/voice API, the live hub and its page.
        routes.MapVoiceTwilioWebhooks();
        routes.MapVoiceApi();
        routes.MapVoiceDashboard();

        routes.MapInventoryApi();

        // Loyalty: programs, wallets, gift cards, transfers; Stripe's signed webhook.
        routes.MapLoyaltyApi();
        routes.MapStripeWebhookApi();

        // CRM: leads and segments, the lead gateway (/api), Autopilot nurture campaigns.
        routes.MapCrmApi();
        routes.MapLeadGatewayApi();
        routes.MapAutopilotApi();

        // Documents: OpenAPI, the reference page, and the root, which points people at it.
        routes.MapOpenApi("/openapi/{documentName}.json");
        routes.MapScalarApiReference("/docs", o => o.WithTitle("CloudFran API").WithOpenApiRoutePattern("/openapi/{documentName}.json"));
        routes.MapGet("/", () => TypedResults.Redirect("/docs")).ExcludeFromDescription();
        return routes;
    }
}
