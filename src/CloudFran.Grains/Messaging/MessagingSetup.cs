using System.Globalization;
using CloudFran.Grains.Messaging.Twilio;
using CloudFran.Grains.Webhooks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CloudFran.Grains.Messaging;

public static class MessagingSetup
{
    /// <summary>Twilio client, SMS and webhook dispatchers, appointment reminders, and their options from environment variables.</summary>
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
        services.Configure<WebhookOptions>(o =>
        {
            o.AllowPrivateTargets = config.GetValue("CLOUDFRAN_WEBHOOKS_ALLOW_PRIVATE", false);
            if (config["CLOUDFRAN_WEBHOOK_RETRY_SECONDS"] is { Length: > 0 } schedule)
            {
                o.RetrySchedule = schedule.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    .Select(s => TimeSpan.FromSeconds(double.Parse(s, CultureInfo.InvariantCulture))).ToArray();
            }
        });
        services.AddHttpClient<TwilioClient>(c => c.Timeout = TimeSpan.FromSeconds(15));
        services.AddHttpClient(WebhookDispatcher.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(2) });
        services.AddSingleton<SmsDispatchSignal>();
        services.AddSingleton<SenderAccountCache>();
        services.AddSingleton<SmsAcceptedWriter>();
        services.AddSingleton<WebhookDispatchSignal>();
        services.AddHostedService<SmsDispatcher>();
        services.AddHostedService<WebhookDispatcher>();
        services.AddSingleton<Calendar.ReminderSignal>();
        services.AddHostedService<Calendar.AppointmentReminderWorker>();
        services.AddSingleton<Calendar.HoldSweepSignal>();
        services.AddHostedService<Calendar.HoldExpirySweeper>();
        Inventory.InventorySetup.AddInventoryReservationSweeper(services);
        return services;
    }
}
