using System.Net;
using CloudFran.Tests.Infrastructure;
using CloudFran.Web.Autopilot;
using CloudFran.Web.Calendar;
using CloudFran.Web.Crm;
using CloudFran.Web.Email;
using CloudFran.Web.Inventory;
using CloudFran.Web.Locations;
using CloudFran.Web.Loyalty;
using CloudFran.Web.Messaging;
using CloudFran.Web.Platform;
using CloudFran.Web.Voice;
using CloudFran.Web.Webhooks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace CloudFran.Tests.Platform;

/// <summary>The platform with the /health limiter on a clock the test moves.</summary>
public sealed class HealthLimitFactory : PlatformFactory
{
    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services => services.AddSingleton(new HealthRateLimiter(Clock)));
    }
}

public sealed class HealthLimitTests(HealthLimitFactory factory) : IClassFixture<HealthLimitFactory>
{
    [Fact]
    public async Task Health_allows_1000_requests_a_minute_per_client_then_answers_429_until_the_next_window()
    {
        // Start at the beginning of a window so the whole burst falls into one minute of the fake clock.
        var now = factory.Clock.GetUtcNow();
        factory.Clock.Advance(TimeSpan.FromSeconds(60 - now.ToUnixTimeSeconds() % 60) + TimeSpan.FromSeconds(1));
        using var client = factory.CreateClient();

        var statuses = new List<HttpStatusCode>();
        for (var batch = 0; batch < 20; batch++)
        {
            var responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => client.GetAsync("/health")));
            statuses.AddRange(responses.Select(r => r.StatusCode));
        }
        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));

        var limited = await client.GetAsync("/health");
        await limited.ErrorAsync(HttpStatusCode.TooManyRequests, "RATE_LIMIT_EXCEEDED");
        Assert.Equal("0", limited.Headers.GetValues("X-RateLimit-Remaining").Single());
        Assert.Equal("1000", limited.Headers.GetValues("X-RateLimit-Limit").Single());
        var retry = limited.Headers.RetryAfter!.Delta!.Value;
        Assert.InRange(retry.TotalSeconds, 1, 60);

        // Liveness is never limited.
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);

        factory.Clock.Advance(retry);
        var again = await client.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal("999", again.Headers.GetValues("X-RateLimit-Remaining").Single());
    }
}
