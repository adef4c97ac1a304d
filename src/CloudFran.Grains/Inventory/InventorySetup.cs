using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CloudFran.Grains.Inventory;

public static class InventorySetup
{
    /// <summary>Inventory's background work: the reservation expiry sweep (runs on every node).</summary>
    public static IServiceCollection AddInventory(this IServiceCollection services, IConfiguration config)
    {
        _ = config;
        services.AddSingleton<ReservationExpirySignal>();
        services.AddHostedService<ReservationExpirySweeper>();
        return services;
    }
}
