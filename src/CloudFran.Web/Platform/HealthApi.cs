using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;
using CloudFran.Abstractions.Platform;
using CloudFran.Web.Crm;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CloudFran.Web.Platform;

public sealed record HealthServices(string Database, string Cluster);

/// <summary>GET /health/live.</summary>
public sealed record LivenessReport(string Status);

public sealed record HealthReport(string Status, DateTimeOffset Timestamp, string Version, HealthServices Services,
    string Node, int ActiveSilos);

/// <summary>
/// <c>GET /health</c> in the lead gateway's shape, rendered from the readiness health checks the Host registers
/// (<see cref="PlatformHealth"/>); 503 while PostgreSQL does not answer or this node is not an active member, limited to the
/// gateway's 1000 requests per minute per client address. <c>GET /health/live</c> answers 200 while the process
/// runs (liveness) and is not limited.
/// </summary>
public static class HealthApi
{
    public const int PerMinute = 1000;

    private static readonly string Version =
        typeof(HealthApi).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/health", async Task<JsonHttpResult<HealthReport>> (HealthCheckService checks, TimeProvider clock, HttpContext http) =>
            {
                var result = await checks.CheckHealthAsync(c => c.Tags.Contains(PlatformHealth.ReadyTag), http.RequestAborted);
                var dbUp = Healthy(result, PlatformHealth.Database);
                var clusterUp = Healthy(result, PlatformHealth.Cluster);
                var cluster = result.Entries.TryGetValue(PlatformHealth.Cluster, out var entry) ? entry.Data : null;
                var report = new HealthReport(dbUp && clusterUp ? "healthy" : "unhealthy", clock.GetUtcNow(), Version,
                    new HealthServices(dbUp ? "connected" : "disconnected", clusterUp ? "connected" : "disconnected"),
                    cluster?.GetValueOrDefault(PlatformHealth.NodeData) as string ?? "", cluster?.GetValueOrDefault(PlatformHealth.ActiveSilosData) as int? ?? 0);
                return TypedResults.Json(report, statusCode: dbUp && clusterUp ? 200 : 503);
            })
            .AddEndpointFilter(async (context, next) =>
            {
                var http = context.HttpContext;
                var limiter = http.RequestServices.GetRequiredService<HealthRateLimiter>();
                var (allowed, remaining, reset) = limiter.Hit(http.Connection.RemoteIpAddress?.ToString() ?? "unknown");
                http.Response.Headers["X-RateLimit-Limit"] = PerMinute.ToString(CultureInfo.InvariantCulture);
                http.Response.Headers["X-RateLimit-Remaining"] = remaining.ToString(CultureInfo.InvariantCulture);
                http.Response.Headers["X-RateLimit-Reset"] = reset.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
                if (!allowed)
                {
                    var wait = Math.Max(1, (int)Math.Ceiling((reset - limiter.Now).TotalSeconds));
                    http.Response.Headers.RetryAfter = wait.ToString(CultureInfo.InvariantCulture);
                    throw GatewayErrors.Error(ErrorKind.RateLimited, GatewayErrors.RateLimited, $"Rate limit of {PerMinute} requests per minute exceeded for /health.");
                }
                return await next(context);
            })
            .WithTags("Operations").WithName("Health")
            .WithSummary("Readiness: database and cluster state; 503 when either is down.")
            .Produces<HealthReport>().Produces<HealthReport>(503).Produces(429);

        routes.MapGet("/health/live", () => TypedResults.Ok(new LivenessReport("alive")))
            .WithTags("Operations").WithName("Liveness").WithSummary("Liveness: the process answers.");
        return routes;
    }

    private static bool Healthy(Microsoft.Extensions.Diagnostics.HealthChecks.HealthReport result, string check) =>
        result.Entries.TryGetValue(check, out var entry) && entry.Status == HealthStatus.Healthy;
}

/// <summary>
/// Fixed one-minute windows per client address, kept on each node (a probe must not depend on grain calls, and
/// /health is what tells that the cluster is unwell). Behind N nodes a client may reach N × the limit.
/// </summary>
public sealed class HealthRateLimiter(TimeProvider clock)
{
    private readonly ConcurrentDictionary<string, Window> _windows = new();
    private long _lastSweep;

    private sealed class Window(long minute)
    {
        public long Minute = minute;
        public int Count;
    }

    public DateTimeOffset Now => clock.GetUtcNow();

    public (bool Allowed, int Remaining, DateTimeOffset Reset) Hit(string client)
    {
        var now = clock.GetUtcNow();
        var minute = now.ToUnixTimeSeconds() / 60;
        if (Interlocked.Exchange(ref _lastSweep, minute) != minute)
        {
            foreach (var (key, old) in _windows)
            {
                if (old.Minute < minute) _windows.TryRemove(key, out _);
            }
        }
        var window = _windows.GetOrAdd(client, _ => new Window(minute));
        int count;
        lock (window)
        {
            if (window.Minute != minute)
            {
                window.Minute = minute;
                window.Count = 0;
            }
            count = ++window.Count;
        }
        var reset = DateTimeOffset.FromUnixTimeSeconds((minute + 1) * 60);
        return (count <= HealthApi.PerMinute, Math.Max(0, HealthApi.PerMinute - count), reset);
    }
}
