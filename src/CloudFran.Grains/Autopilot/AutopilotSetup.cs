using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CloudFran.Grains.Autopilot;

public static class AutopilotSetup
{
    /// <summary>Autopilot's background work: replies and STOPs applied to nurture cadences.</summary>
    public static IServiceCollection AddAutopilot(this IServiceCollection services, IConfiguration config)
    {
        _ = config;
        services.AddSingleton<AutopilotInboundSignal>();
        services.AddHostedService<AutopilotInboundWorker>();
        return services;
    }
}
