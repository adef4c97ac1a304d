using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CloudFran.Grains.Calendar;

public static class CalendarSetup
{
    /// <summary>Calendar's background work: day-before reminders and the sweep of expired holds.</summary>
    public static IServiceCollection AddCalendar(this IServiceCollection services, IConfiguration config)
    {
        _ = config;
        services.AddSingleton<ReminderSignal>();
        services.AddHostedService<AppointmentReminderWorker>();
        services.AddSingleton<HoldSweepSignal>();
        services.AddHostedService<HoldExpirySweeper>();
        return services;
    }
}
