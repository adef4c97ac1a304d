using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CloudFran.Grains.Webhooks;

public static class WebhooksSetup
{
    /// <summary>Outgoing webhooks: the delivery options (SSRF guard, retry schedule), HTTP client and dispatcher.</summary>
    public static IServiceCollection AddWebhooks(this IServiceCollection services, IConfiguration config)
    {
        services.Configure<WebhookOptions>(o =>
        {
            o.AllowPrivateTargets = config.GetValue("CLOUDFRAN_WEBHOOKS_ALLOW_PRIVATE", false);
            if (config["CLOUDFRAN_WEBHOOK_RETRY_SECONDS"] is { Length: > 0 } schedule)
            {
                o.RetrySchedule = schedule.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    .Select(s => TimeSpan.FromSeconds(double.Parse(s, CultureInfo.InvariantCulture))).ToArray();
            }
        });
        services.AddHttpClient(WebhookDispatcher.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(2) });
        services.AddSingleton<WebhookDispatchSignal>();
        services.AddHostedService<WebhookDispatcher>();
        return services;
    }
}
