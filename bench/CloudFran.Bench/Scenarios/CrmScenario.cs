using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;

namespace CloudFran.Bench.Scenarios;

/// <summary>
/// Issue #6 (CRM): lead analytics (GET /api/analytics/leads, SQL aggregation) at a large lead count — 1,000,000
/// sandbox leads (100,000 with --quick) spread over a year — and the offline sentiment engine's accuracy on the
/// labelled set in tests/CloudFran.Tests/TextIntelligence/sentiment.tsv through POST /api/analyze.
/// </summary>
public sealed class CrmScenario : IScenario
{
    public string Name => "crm";

    public async Task RunAsync(BenchContext context)
    {
        var (tenantId, liveKey) = await context.CreateTenantAsync("Bench CRM");
        var total = context.Quick ? 100_000 : 1_000_000;
        // The gateway limits each credential per endpoint per minute; several sandbox keys share the work.
        var keys = await CreateTestKeysAsync(context, liveKey, tenantId, 12);

        var loadWatch = Stopwatch.StartNew();
        var batches = total / 10_000;
        await Parallel.ForEachAsync(Enumerable.Range(0, batches), new ParallelOptions { MaxDegreeOfParallelism = 2 }, async (i, _) =>
        {
            using var gateway = Gateway(context, keys[i % keys.Count]);
            await BenchContext.ReadJsonAsync(await gateway.PostAsync("/api/test/generate-leads", BenchContext.Json(new { count = 10_000, spread_days = 365 })));
        });
        Console.WriteLine($"   generated {total:N0} sandbox leads in {loadWatch.Elapsed.TotalSeconds:F1} s ({total / loadWatch.Elapsed.TotalSeconds:F0} leads/s)");

        foreach (var (label, query) in new[]
                 {
                     ("all time", ""),
                     ("last 30 days", $"?date_from={DateTime.UtcNow.AddDays(-30):yyyy-MM-dd}&date_to={DateTime.UtcNow:yyyy-MM-dd}"),
                 })
        {
            using var gateway = Gateway(context, keys[0]);
            var latencies = new List<double>();
            long seen = 0;
            for (var i = 0; i < 12; i++)
            {
                var sw = Stopwatch.StartNew();
                var body = await BenchContext.ReadJsonAsync(await gateway.GetAsync("/api/analytics/leads" + query));
                latencies.Add(sw.Elapsed.TotalMilliseconds);
                seen = body.GetProperty("total_leads").GetInt64();
            }
            latencies.Sort();
            var p50 = latencies[latencies.Count / 2];
            Console.WriteLine($"   analytics {label}: total_leads={seen:N0}, p50 {p50:F0} ms, max {latencies[^1]:F0} ms");
            context.Report($"GET /api/analytics/leads {label} at {total / 1000:N0}k leads (queries/s)",
                new Measurement(1000.0 / p50, p50, latencies[^1], latencies.Count, 0));
        }

        // Sentiment accuracy through the API (≤ 20 analyses per minute per credential: spread over the keys).
        var set = LabelledSet();
        var correct = 0;
        var watch = Stopwatch.StartNew();
        await Parallel.ForEachAsync(set.Select((x, i) => (x, i)), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (item, _) =>
        {
            using var gateway = Gateway(context, keys[item.i % keys.Count]);
            var body = await BenchContext.ReadJsonAsync(await gateway.PostAsync("/api/analyze", BenchContext.Json(new { text = item.x.Text, analysis_type = "sentiment" })));
            if (body.GetProperty("sentiment").GetString() == item.x.Label) Interlocked.Increment(ref correct);
        });
        var accuracy = (double)correct / set.Count;
        Console.WriteLine($"   sentiment accuracy (lexicon engine): {accuracy:P1} on {set.Count} labelled sentences ({set.Count / watch.Elapsed.TotalSeconds:F0} analyses/s)");
        context.Report($"sentiment accuracy {accuracy:P1} on {set.Count} labelled sentences (analyses/s)",
            new Measurement(set.Count / watch.Elapsed.TotalSeconds, 0, 0, correct, set.Count - correct), target: "≥ 85 %", meets: _ => accuracy >= 0.85);
    }

    public static async Task<List<string>> CreateTestKeysAsync(BenchContext context, string liveKey, string tenantId, int count)
    {
        using var client = context.Client(liveKey, tenantId);
        var keys = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var created = await BenchContext.ReadJsonAsync(await client.PostAsJsonAsync("/v1/tenant/keys", new { type = "test", role = "admin", name = $"bench {i}" }));
            keys.Add(created.GetProperty("secret").GetString()!);
        }
        return keys;
    }

    public static HttpClient Gateway(BenchContext context, string key)
    {
        var client = context.Client();
        client.DefaultRequestHeaders.Add("X-API-Key", key);
        return client;
    }

    private static List<(string Label, string Text)> LabelledSet()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "CloudFran.Orleans.sln")))
        {
            dir = dir.Parent;
        }
        var path = Path.Combine(dir?.FullName ?? ".", "tests", "CloudFran.Tests", "TextIntelligence", "sentiment.tsv");
        return File.ReadAllLines(path).Skip(1).Where(l => l.Length > 0).Select(l => l.Split('\t', 2)).Select(p => (p[0], p[1])).ToList();
    }
}
