using System.Diagnostics;
using System.Net;
using CloudFran.Host.Database;
using CloudFran.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace CloudFran.Tests.Platform;

/// <summary>
/// PostgreSQL goes away under a running platform (its own server, not the shared test server): requests that
/// need it fail fast with 503 and the envelope, /health reports it, and everything recovers when it returns.
/// </summary>
public sealed class DatabaseOutageTests : IAsyncLifetime
{
    private EmbeddedPostgres _server = null!;
    private PlatformFactory _platform = null!;

    public async Task InitializeAsync()
    {
        var root = Path.Combine(Path.GetTempPath(), "cf-outage-" + Guid.NewGuid().ToString("N")[..8]);
        _server = await EmbeddedPostgres.StartAsync(root, NullLogger.Instance, fastUnsafe: true);
        _platform = PlatformFactory.OnDatabase(_server.ConnectionString());
    }

    public async Task DisposeAsync()
    {
        await _platform.DisposeAsync();
        await _server.StopAsync();
        try { Directory.Delete(_server.Root, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    [Fact]
    public async Task Outage_answers_503_fast_and_recovers_by_itself()
    {
        var tenant = await _platform.CreateTenantAsync();
        using var client = tenant.Live();
        var location = await (await client.PostJsonAsync("/v1/locations",
            new { name = "Before", address = new { street = "1 A St", city = "Austin", country = "US" } })).JsonAsync(HttpStatusCode.Created);
        var id = location.GetProperty("locationId").GetString();
        using var anonymous = _platform.CreateClient();

        await _server.StopAsync();

        var health = await anonymous.GetAsync("/health");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        var report = await health.JsonAsync(HttpStatusCode.ServiceUnavailable);
        Assert.Equal("disconnected", report.GetProperty("services").GetProperty("database").GetString());

        var watch = Stopwatch.StartNew();
        await (await client.GetAsync("/v1/locations")).ErrorAsync(HttpStatusCode.ServiceUnavailable, "SERVICE_UNAVAILABLE");
        var failed = await client.PostJsonAsync("/v1/locations",
            new { name = "During", address = new { street = "2 A St", city = "Austin", country = "US" } });
        await failed.ErrorAsync(HttpStatusCode.ServiceUnavailable, "SERVICE_UNAVAILABLE");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"requests hung for {watch.Elapsed}");
        // An activated grain keeps answering reads from memory.
        await (await client.GetAsync($"/v1/locations/{id}")).JsonAsync(HttpStatusCode.OK);

        await _server.RestartAsync();

        await (await anonymous.GetAsync("/health")).JsonAsync(HttpStatusCode.OK);
        await (await client.PostJsonAsync("/v1/locations",
            new { name = "After", address = new { street = "3 A St", city = "Austin", country = "US" } })).JsonAsync(HttpStatusCode.Created);
        var list = await (await client.GetAsync("/v1/locations")).JsonAsync(HttpStatusCode.OK);
        var names = list.GetProperty("data").EnumerateArray().Select(l => l.GetProperty("name").GetString()).Order().ToList();
        Assert.Equal(["After", "Before"], names);
    }
}
