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

    /// <summary>
    /// 1: measured against the platform bench/run.sh started; 2: starts platform processes of its own (runs after
    /// every phase-1 scenario, so those are not disturbed).
    /// </summary>
    int Phase => 1;

    Task RunAsync(BenchContext context);
}

/// <summary>
/// One line of the table: a metric of a scenario, its value, the baseline it is compared with (measured in the same
/// run; the ratio is value ÷ baseline value), the target and whether it was met (null = reported only).
/// </summary>
public sealed record BenchRow(string Scenario, string Metric, double Value, string Baseline, double? BaselineValue,
    double? Ratio, string Target, bool? Met);

public sealed record Measurement(double RequestsPerSecond, double P50Ms, double P99Ms, long Ok, long Errors);

/// <summary>
/// What scenarios get: the platform's base URL, an admin key, tenants with raised limits, and a closed-loop
/// load generator (N workers issuing requests back to back for a fixed time, latencies recorded per request).
/// </summary>
public sealed class BenchContext(string baseUrl, string adminKey, bool quick)
{
    /// <summary>The platform's bootstrap admin key (also accepted by the nodes the cluster scenarios start).</summary>
    public string AdminKey { get; } = adminKey;

    /// <summary>
    /// Where the scenarios that start platform processes of their own (cluster, cold start) find things: the
    /// PostgreSQL server the platform uses (admin connection string; each such scenario creates its own database
    /// on it), the Release host dll and the repository root. Null when not given: those scenarios then report why
    /// they cannot run.
    /// </summary>
    public string? PostgresConnectionString { get; init; }

    public string? HostDll { get; init; }

    public string? RepoRoot { get; init; }

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
        using var admin = Client(AdminKey);
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

    /// <summary>
    /// Adds the rows of a load measurement: req/s (compared with the baseline's req/s when one is given; the
    /// target predicate receives that ratio, or 0 without a baseline), then p50 and p99 latency when measured, then
    /// the error count.
    /// </summary>
    public void Report(string scenario, Measurement m, string baseline = "—", Measurement? baselineMeasurement = null,
        string target = "—", Func<double, bool>? meets = null)
    {
        double? baseValue = baselineMeasurement is { RequestsPerSecond: > 0 } b ? b.RequestsPerSecond : null;
        double? ratio = baseValue is { } v ? m.RequestsPerSecond / v : null;
        bool? met = meets is null ? null : meets(ratio ?? 0);
        _rows.Add(new BenchRow(scenario, "req/s", m.RequestsPerSecond, baseline, baseValue, ratio, target, met));
        if (m.P50Ms > 0 || m.P99Ms > 0)
        {
            _rows.Add(new BenchRow(scenario, "p50 ms", m.P50Ms, "—", null, null, "—", null));
            _rows.Add(new BenchRow(scenario, "p99 ms", m.P99Ms, "—", null, null, "—", null));
        }
        _rows.Add(new BenchRow(scenario, "errors", m.Errors, "—", null, null, "—", null));
    }

    /// <summary>
    /// Adds one metric row. With a baseline value the ratio is <paramref name="value"/> ÷ baseline value;
    /// <paramref name="met"/> null means the row is reported without a pass/fail target.
    /// </summary>
    public void ReportMetric(string scenario, string metric, double value, string target = "—", bool? met = null,
        string baseline = "—", double? baselineValue = null)
    {
        double? ratio = baselineValue is > 0 ? value / baselineValue : null;
        _rows.Add(new BenchRow(scenario, metric, value, baseline, baselineValue, ratio, target, met));
    }

    /// <summary>Records a scenario that could not produce its rows (so the table shows it instead of omitting it).</summary>
    public void ReportFailure(string scenario, string reason) =>
        _rows.Add(new BenchRow(scenario, "FAILED: " + reason.ReplaceLineEndings(" ").Replace("|", "/"), double.NaN, "—", null, null, "—", false));

    public void PrintTable(TextWriter output)
    {
        output.WriteLine("| scenario | metric | value | baseline (same run) | ratio | target | pass/fail |");
        output.WriteLine("|---|---|---:|---|---:|---|---|");
        foreach (var r in _rows)
        {
            var baseline = r.BaselineValue is { } bv ? $"{r.Baseline}: {Number(bv)}" : r.Baseline;
            output.WriteLine(FormattableString.Invariant(
                $"| {r.Scenario} | {r.Metric} | {Number(r.Value)} | {baseline} | {(r.Ratio is { } x ? x.ToString("F2", System.Globalization.CultureInfo.InvariantCulture) : "—")} | {r.Target} | {(r.Met is null ? "—" : r.Met.Value ? "pass" : "FAIL")} |"));
        }
    }

    private static string Number(double value) => double.IsNaN(value)
        ? "—"
        : Math.Abs(value) >= 100 || value == Math.Floor(value)
            ? value.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)
            : value.ToString("F2", System.Globalization.CultureInfo.InvariantCulture);
}
