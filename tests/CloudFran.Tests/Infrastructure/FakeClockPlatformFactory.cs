using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace CloudFran.Tests.Infrastructure;

/// <summary>
/// The platform on a clock the tests move (<see cref="Clock"/> is the process's <see cref="TimeProvider"/>): for tests whose
/// subject is time — hold expiry, key expiry, rate windows, reminders of appointments. The clock only moves forward, so
/// tests sharing this platform never assume an absolute time: each moves the clock to the instant it needs.
/// </summary>
public sealed class FakeClockPlatformFactory : PlatformFactory
{
    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(Clock));
    }

    /// <summary>Moves the clock to the first second of the next clock minute (fixed per-minute windows start there).</summary>
    public DateTimeOffset AdvanceToNextMinute()
    {
        var now = Clock.GetUtcNow();
        var next = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, now.Minute, 0, TimeSpan.Zero).AddMinutes(1).AddSeconds(1);
        Clock.SetUtcNow(next);
        return next;
    }
}
