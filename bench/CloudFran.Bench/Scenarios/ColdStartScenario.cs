using System.Diagnostics;
using System.Net.Http.Headers;

namespace CloudFran.Bench.Scenarios;

/// <summary>
/// Issue #9: cold start — from starting <c>dotnet CloudFran.Host.dll</c> (Release) against an already-running
/// PostgreSQL to the first successful request. First boot on an empty database (migrations included; the first
/// request is an admin list of tenants), then restarts on the migrated database (a node joining or coming back;
/// the first request is a tenant's authenticated <c>GET /v1/locations/{id}</c>, i.e. key lookup, tenant, rate
/// limit and the location grain all activated from PostgreSQL). /health is polled first, every 25 ms.
/// </summary>
public sealed class ColdStartScenario : IScenario
{
    private const double TargetSeconds = 5;

    public string Name => "cold-start";

    public int Phase => 2;

    public async Task RunAsync(BenchContext context)
    {
        var (_, hostDll, server) = PlatformProcesses.Require(context);
        var database = await PlatformProcesses.CreateDatabaseAsync(server, "coldstart");
        var port = int.Parse(Environment.GetEnvironmentVariable("BENCH_COLDSTART_PORT") ?? "5130", System.Globalization.CultureInfo.InvariantCulture);
        var url = $"http://127.0.0.1:{port}";
        var environment = new Dictionary<string, string>
        {
            ["ConnectionStrings__Postgres"] = database,
            ["CLOUDFRAN_BOOTSTRAP_ADMIN_KEY"] = context.AdminKey,
            ["CLOUDFRAN_CLUSTER_ID"] = $"bench-cold-{Guid.NewGuid():N}"[..24],
            ["CLOUDFRAN_NODE_NAME"] = "cold",
            ["CLOUDFRAN_SILO_PORT"] = $"{port + 10}",
            ["CLOUDFRAN_GATEWAY_PORT"] = $"{port + 20}",
            ["ASPNETCORE_URLS"] = url,
            ["Logging__LogLevel__Default"] = "Warning",
        };
        var log = Path.Combine(Path.GetTempPath(), $"cloudfran-bench-coldstart-{Guid.NewGuid():N}.log");

        // First boot: empty database.
        var (firstHealth, firstOk, target) = await BootAsync(hostDll, log, environment, url, context.AdminKey, null, "/v1/admin/tenants",
            async node =>
            {
                var (tenantId, key) = await node.CreateTenantAsync("Bench cold start");
                using var client = node.Client(key, tenantId);
                var location = await BenchContext.ReadJsonAsync(await client.PostAsync("/v1/locations", BenchContext.Json(new
                {
                    name = "Cold start", address = new { street = "1 Boot St", city = "Boise", country = "US" }, timezone = "UTC",
                })));
                return (tenantId, key, location.GetProperty("locationId").GetString()!);
            });
        Console.WriteLine($"   first boot (migrations): /health {firstHealth:F2} s, first request {firstOk:F2} s");

        // Restarts: migrated database, a tenant's authenticated request.
        var restarts = context.Quick ? 3 : 5;
        var health = new List<double>();
        var ok = new List<double>();
        for (var i = 0; i < restarts; i++)
        {
            var (h, o, _) = await BootAsync(hostDll, log, environment, url, target.Key, target.TenantId,
                $"/v1/locations/{target.LocationId}", null);
            health.Add(h);
            ok.Add(o);
            Console.WriteLine($"   restart {i + 1}: /health {h:F2} s, first GET /v1/locations/{{id}} {o:F2} s");
        }
        File.Delete(log);

        var median = Median(ok);
        context.ReportMetric("cold start, restart on migrated database", $"process start → first authenticated 200, s (median of {restarts})",
            median, $"≤ {TargetSeconds} s", median <= TargetSeconds);
        context.ReportMetric("cold start, restart on migrated database", $"worst of {restarts}, s", ok.Max(), $"≤ {TargetSeconds} s", ok.Max() <= TargetSeconds);
        context.ReportMetric("cold start, restart on migrated database", "process start → /health 200, s (median)", Median(health));
        context.ReportMetric("cold start, first boot on empty database", "process start → first admin 200, s (migrations included)",
            firstOk, $"≤ {TargetSeconds} s", firstOk <= TargetSeconds);
    }

    private static async Task<(double Health, double FirstOk, (string TenantId, string Key, string LocationId) Setup)> BootAsync(
        string hostDll, string log, Dictionary<string, string> environment, string url, string key, string? tenantId, string firstPath,
        Func<BenchContext, Task<(string, string, string)>>? setup)
    {
        using var client = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(5) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        if (tenantId is not null)
        {
            client.DefaultRequestHeaders.Add("X-Tenant-Id", tenantId);
        }
        var watch = Stopwatch.StartNew();
        using var process = PlatformProcesses.StartHost(hostDll, log, environment);
        try
        {
            if (!await PlatformProcesses.WaitForSuccessAsync(client, "/health", process, TimeSpan.FromMinutes(2)))
            {
                throw new InvalidOperationException($"the host did not become healthy: {Tail(log)}");
            }
            var health = watch.Elapsed.TotalSeconds;
            if (!await PlatformProcesses.WaitForSuccessAsync(client, firstPath, process, TimeSpan.FromMinutes(1)))
            {
                throw new InvalidOperationException($"{firstPath} did not succeed: {Tail(log)}");
            }
            var firstOk = watch.Elapsed.TotalSeconds;
            var created = setup is null ? default : await setup(new BenchContext(url, key, quick: true));
            return (health, firstOk, created);
        }
        finally
        {
            await PlatformProcesses.StopAsync(process);
        }
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static string Tail(string log) =>
        File.Exists(log) ? string.Join(" / ", File.ReadLines(log).TakeLast(5)) : "(no log)";
}
