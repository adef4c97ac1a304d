using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CloudFran.Grains.Loyalty;

public static class LoyaltySetup
{
    /// <summary>Stripe client, the recovery sweep and their options (environment variables or Stripe:* settings).</summary>
    public static IServiceCollection AddLoyalty(this IServiceCollection services, IConfiguration config)
    {
        services.Configure<StripeOptions>(o =>
        {
            if ((config["CLOUDFRAN_STRIPE_SECRET_KEY"] ?? config["Stripe:SecretKey"]) is { Length: > 0 } key) o.SecretKey = key;
            if ((config["CLOUDFRAN_STRIPE_BASE_URL"] ?? config["Stripe:BaseUrl"]) is { Length: > 0 } url) o.BaseUrl = url;
        });
        services.Configure<LoyaltyOptions>(o =>
        {
            if (config["CLOUDFRAN_LOYALTY_SWEEP_SECONDS"] is { Length: > 0 } sweep)
                o.SweepInterval = TimeSpan.FromSeconds(double.Parse(sweep, CultureInfo.InvariantCulture));
            if (config["CLOUDFRAN_LOYALTY_STALE_SECONDS"] is { Length: > 0 } stale)
                o.StaleAfter = TimeSpan.FromSeconds(double.Parse(stale, CultureInfo.InvariantCulture));
        });
        services.AddHttpClient(nameof(StripePayments), c => c.Timeout = TimeSpan.FromSeconds(30));
        services.AddSingleton<StripePayments>();
        services.TryAddSingleton<LoyaltyHooks>();
        services.AddSingleton<LoyaltyRecoverySignal>();
        services.AddHostedService<LoyaltyRecoveryWorker>();
        return services;
    }
}
