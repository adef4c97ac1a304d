using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace CloudFran.Bench;

/// <summary>A benchmark scenario: measures one or more rows against the running platform over HTTP.</summary>
public interface IScenario
{
    /// <summary>Short name used by --only.</summary>
    string Name { get; }

    Task RunAsync(BenchContext context);
}

public sealed record BenchRow(string Scenario, double RequestsPerSecond, double P50Ms, double P99Ms, long Errors,
    string Baseline, double? Ratio, string Target, bool? Met);

public sealed record Measurement(double RequestsPerSecond, double P50Ms, double P99Ms, long Ok, long Errors);

/// <summary>
/// What scenarios get: the platform's base URL, an admin key, tenants with raised limits, and a closed-loop
/// load generator (N workers issuing requests back to back for a fixed time, latencies recorded per request).
/// </summary>
public sealed class BenchContext(string baseUrl, string adminKey, bool quick)
{
    private readonly List<BenchRow> _rows = [];
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    public string BaseUrl { get; } = baseUrl.TrimEnd('/');
    public bool Quick { get; } = quick;
    public TimeSpan Duration => Quick ? TimeSpan.FromSeconds(3) : TimeSpan.FromSeconds(10);
    public TimeSpan Warmup => Quick ? TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(3);
    public int Concurrency { get; init; } = 32;
    public IReadOnlyList<BenchRow> Rows => _rows;

    public HttpClient Client(string? key = null, string? tenantId = null)
    {
        var handler = new SocketsHttpHandler { MaxConnectionsPerServer = 512, PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
        var client = new HttpClient(handler) { BaseAddress = new Uri(BaseUrl), Timeout = TimeSpan.FromSeconds(30) };
        if (key is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }
        if (tenantId is not null)
        {
            client.DefaultRequestHeaders.Add("X-Tenant-Id", tenantId);
        }
        return client;
    }

    /// <summary>Creates an enterprise tenant whose per-minute limit is raised out of the way.</summary>
    public async Task<(string TenantId, string LiveKey)> CreateTenantAsync(string name)
    {
        using var admin = Client(adminKey);
        var created = await admin.PostAsJsonAsync("/v1/admin/tenants", new { businessName = name, plan = "enterprise" });
        created.EnsureSuccessStatusCode();
        using var json = JsonDocument.Parse(await created.Content.ReadAsStringAsync());
        var tenantId = json.RootElement.GetProperty("tenant").GetProperty("tenantId").GetString()!;
        var key = json.RootElement.GetProperty("keys").EnumerateArray()
            .First(k => k.GetProperty("key").GetProperty("type").GetString() == "live").GetProperty("secret").GetString()!;
        var patch = await admin.PatchAsJsonAsync($"/v1/admin/tenants/{tenantId}",
            new { customQuotas = new { requestsPerMinute = 1_000_000, monthlyCalls = 0 } });
        patch.EnsureSuccessStatusCode();
        return (tenantId, key);
    }

    public static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{(int)response.StatusCode}: {body}");
        }
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    public static JsonContent Json(object body) => JsonContent.Create(body, options: JsonOptions);

    /// <summary>
    /// Closed-loop load: <see cref="Concurrency"/> workers call <paramref name="operation"/> (worker index, iteration)
    /// back to back; a false result or an exception counts as an error. Warm-up requests are not recorded.
    /// </summary>
    public async Task<Measurement> MeasureAsync(Func<int, long, Task<bool>> operation, int? concurrency = null)
    {
        var workers = concurrency ?? Concurrency;
        await RunLoopAsync(operation, workers, Warmup, record: null);
        var latencies = new List<double>[workers];
        long ok = 0, errors = 0;
        var sw = Stopwatch.StartNew();
        await RunLoopAsync(operation, workers, Duration, (w, ms, success) =>
        {
            (latencies[w] ??= new List<double>(100_000)).Add(ms);
            if (success) Interlocked.Increment(ref ok); else Interlocked.Increment(ref errors);
        });
        var elapsed = sw.Elapsed.TotalSeconds;
        var all = latencies.Where(l => l is not null).SelectMany(l => l).OrderBy(x => x).ToArray();
        double Pct(double p) => all.Length == 0 ? 0 : all[Math.Min(all.Length - 1, (int)(p * all.Length))];
        return new Measurement(ok / elapsed, Pct(0.50), Pct(0.99), ok, errors);
    }

    private static async Task RunLoopAsync(Func<int, long, Task<bool>> operation, int workers, TimeSpan duration,
        Action<int, double, bool>? record)
    {
        var until = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var tasks = Enumerable.Range(0, workers).Select(w => Task.Run(async () =>
        {
            long i = 0;
            while (Stopwatch.GetTimestamp() < until)
            {
                var start = Stopwatch.GetTimestamp();
                bool success;
                try
                {
                    success = await operation(w, i++);
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or InvalidOperationException)
                {
                    success = false;
                }
                record?.Invoke(w, Stopwatch.GetElapsedTime(start).TotalMilliseconds, success);
            }
        }));
        await Task.WhenAll(tasks);
    }

    /// <summary>Adds a row; with a baseline, the ratio is this row's throughput over the baseline's.</summary>
    public void Report(string scenario, Measurement m, string baseline = "—", Measurement? baselineMeasurement = null,
        string target = "—", Func<double, bool>? meets = null)
    {
        double? ratio = baselineMeasurement is { RequestsPerSecond: > 0 } b ? m.RequestsPerSecond / b.RequestsPerSecond : null;
        bool? met = meets is null ? null : meets(ratio ?? 0);
        _rows.Add(new BenchRow(scenario, m.RequestsPerSecond, m.P50Ms, m.P99Ms, m.Errors, baseline, ratio, target, met));
    }

    public void PrintTable(TextWriter output)
    {
        output.WriteLine();
        output.WriteLine("| scenario | req/s | p50 ms | p99 ms | errors | baseline | ratio | target | met |");
        output.WriteLine("|---|---:|---:|---:|---:|---|---:|---|---|");
        foreach (var r in _rows)
        {
            output.WriteLine(FormattableString.Invariant(
                $"| {r.Scenario} | {r.RequestsPerSecond:F0} | {r.P50Ms:F2} | {r.P99Ms:F2} | {r.Errors} | {r.Baseline} | {(r.Ratio is { } x ? x.ToString("F2") : "—")} | {r.Target} | {(r.Met is null ? "—" : r.Met.Value ? "yes" : "NO")} |"));
        }
    }
}
