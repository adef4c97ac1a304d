using System.Text.Json.Serialization;
using CloudFran.Web.Apis;
using CloudFran.Web.Infrastructure;
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
        builder.Services.AddSignalR();
        builder.Services.AddSingleton<Voice.VoiceDashboardRelay>();
        builder.Services.AddSingleton<Apis.HealthRateLimiter>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<Voice.VoiceDashboardRelay>());
        builder.Services.AddOpenApi("v1", o => o.AddDocumentTransformer<PlatformOpenApi>().AddOperationTransformer<PlatformOpenApi>());
        return builder;
    }

    /// <summary>Middleware order: errors + request id → routing → API-key auth → endpoints.</summary>
    public static WebApplication UseCloudFranWeb(this WebApplication app)
    {
        app.UseMiddleware<ErrorHandlingMiddleware>();
        app.UseWebSockets();
        app.UseRouting();
        app.UseMiddleware<ApiKeyAuthMiddleware>();
        return app;
    }

    public static IEndpointRouteBuilder MapCloudFranApis(this IEndpointRouteBuilder routes)
    {
        routes.MapHealthApi();
        routes.MapTenantApi();
        routes.MapAdminApi();
        routes.MapLocationsApi();
        routes.MapBillingApi();
        routes.MapMessagingApi();
        routes.MapEmailApi();
        routes.MapTwilioWebhooksApi();
        routes.MapWebhooksApi();
        routes.MapCalendarApi();
        routes.MapVoiceApi();
        routes.MapInventoryApi();
        routes.MapLoyaltyApi();
        routes.MapCrmApi();
        routes.MapOpenApi("/openapi/{documentName}.json");
        routes.MapScalarApiReference("/docs", o => o.WithTitle("CloudFran API").WithOpenApiRoutePattern("/openapi/{documentName}.json"));
        return routes;
    }
}
