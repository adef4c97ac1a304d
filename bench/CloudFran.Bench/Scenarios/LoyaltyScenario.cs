using System.Net;
using CloudFran.Bench.Baseline;

namespace CloudFran.Bench.Scenarios;

/// <summary>
/// Issue #7: one hot wallet with 100 concurrent clients earning over HTTP (each earn a durable ledger entry), compared
/// in the same run with <see cref="LockingWalletServer"/> (ASP.NET Core + Npgsql, SELECT … FOR UPDATE) on the same
/// PostgreSQL; plus earns spread over 10,000 distinct wallets.
/// </summary>
public sealed class LoyaltyScenario : IScenario
{
    public string Name => "loyalty";

    public async Task RunAsync(BenchContext context)
    {
        var (tenantId, key) = await context.CreateTenantAsync("Bench loyalty");
        using var client = context.Client(key, tenantId);
        async Task<string> MemberAsync(int i)
        {
            var member = await BenchContext.ReadJsonAsync(await client.PostAsync("/v1/loyalty/members",
                BenchContext.Json(new { name = $"Bench {i}", phone = $"+1415{2_000_000 + i % 7_000_000:D7}" })));
            return member.GetProperty("memberId").GetString()!;
        }

        var hot = await MemberAsync(6_999_999);
        var run = Guid.NewGuid().ToString("N")[..8];
        var grain = await context.MeasureAsync(async (w, i) =>
        {
            using var r = await client.PostAsync($"/v1/loyalty/members/{hot}/points/earn",
                BenchContext.Json(new { amount = 12.34m, idempotencyKey = $"{run}-{w}-{i}" }));
            return r.StatusCode == HttpStatusCode.Created;
        }, concurrency: 100);

        Measurement? baseline = null;
        var connectionString = LockingWalletServer.DiscoverConnectionString();
        if (connectionString is null)
        {
            Console.WriteLine("   baseline skipped: set CLOUDFRAN_BENCH_PG_ROOT (bench/run.sh does) or CLOUDFRAN_BENCH_DB");
        }
        else
        {
            await using var server = await LockingWalletServer.StartAsync(connectionString);
            using var plain = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 512 }) { BaseAddress = new Uri(server.BaseUrl) };
            (await plain.PostAsync($"/wallets/hot-{run}", null)).EnsureSuccessStatusCode();
            baseline = await context.MeasureAsync(async (w, i) =>
            {
                using var r = await plain.PostAsync("/earn", BenchContext.Json(new { memberId = $"hot-{run}", amount = 12.34m, idempotencyKey = $"{w}-{i}" }));
                return r.StatusCode == HttpStatusCode.Created;
            }, concurrency: 100);
            context.Report("baseline: ASP.NET + Npgsql SELECT … FOR UPDATE, hot wallet, 100 clients", baseline);
        }
        context.Report("hot wallet earn (grain, durable ledger), 100 clients", grain,
            baseline is null ? "—" : "FOR UPDATE baseline", baseline, "≥ 2× baseline", ratio => ratio >= 2);

        // 10,000 distinct wallets, earns spread across them.
        var count = context.Quick ? 2_000 : 10_000;
        var members = new string[count];
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 32 },
            async (i, _) => members[i] = await MemberAsync(i));
        var spread = await context.MeasureAsync(async (w, i) =>
        {
            var member = members[(int)((w * 7919 + i * 104_729) % count)];
            using var r = await client.PostAsync($"/v1/loyalty/members/{member}/points/earn",
                BenchContext.Json(new { amount = 5.00m, idempotencyKey = $"{run}-s-{w}-{i}" }));
            return r.StatusCode == HttpStatusCode.Created;
        }, concurrency: 100);
        context.Report($"earn across {count:N0} wallets, 100 clients", spread, "hot wallet", grain, "report", _ => true);
    }
}
