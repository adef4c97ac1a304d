using CloudFran.Abstractions.Messaging;
using CloudFran.Grains.Messaging.Twilio;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CloudFran.Grains.Messaging;

public static class MessagingSetup
{
    /// <summary>Twilio client, the SMS outbox dispatcher and its group-commit writer, and their options from environment variables.</summary>
    public static IServiceCollection AddMessaging(this IServiceCollection services, IConfiguration config)
    {
        services.Configure<TwilioOptions>(o =>
        {
            if (config["CLOUDFRAN_TWILIO_BASE_URL"] is { Length: > 0 } url) o.BaseUrl = url;
        });
        services.Configure<MessagingOptions>(o =>
        {
            if (config["CLOUDFRAN_PUBLIC_BASE_URL"] is { Length: > 0 } url) o.PublicBaseUrl = url;
        });
        services.AddHttpClient<TwilioClient>(c => c.Timeout = TimeSpan.FromSeconds(15));
        services.AddSingleton<SmsDispatchSignal>();
        services.AddSingleton<SenderAccountCache>();
        services.AddSingleton<SmsAcceptedWriter>();
        services.AddHostedService<SmsDispatcher>();
        return services;
    }
}
