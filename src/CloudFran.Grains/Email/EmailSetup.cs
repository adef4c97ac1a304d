using CloudFran.Grains.Messaging;
using System.Globalization;
using CloudFran.Grains.Email;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CloudFran.Grains.Email;

public static class EmailSetup
{
    /// <summary>The email dispatcher, unsubscribe tokens, and their options from environment variables.</summary>
    public static IServiceCollection AddEmail(this IServiceCollection services, IConfiguration config)
    {
        services.Configure<EmailOptions>(o =>
        {
            if (config["CLOUDFRAN_EMAIL_UNSUBSCRIBE_SECRET"] is { Length: > 0 } secret) o.UnsubscribeSecret = secret;
            o.AllowPrivateHosts = config.GetValue("CLOUDFRAN_EMAIL_ALLOW_PRIVATE", false);
            if (config["CLOUDFRAN_EMAIL_RETRY_SECONDS"] is { Length: > 0 } retry)
            {
                o.RetryBaseDelay = TimeSpan.FromSeconds(double.Parse(retry, CultureInfo.InvariantCulture));
            }
            if (config["CLOUDFRAN_EMAIL_MAX_ATTEMPTS"] is { Length: > 0 } max)
            {
                o.MaxSendAttempts = int.Parse(max, CultureInfo.InvariantCulture);
            }
        });
        services.AddSingleton<EmailDispatchSignal>();
        services.AddSingleton<EmailUnsubscribeTokens>();
        services.AddHostedService<EmailDispatcher>();
        return services;
    }
}
