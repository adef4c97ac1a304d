using System.Text.Json;

namespace CloudFran.Bench.Scenarios;

/// <summary>
/// Issue #9: bytes of managed heap per idle grain activation (target ≤ 4 KB). The platform's bench-only route
/// <c>POST /bench/activations</c> (CLOUDFRAN_BENCH_ROUTES=true, platform admin key) activates N grains of one
/// kind on the node, waits until they are idle and reports the heap after a full compacting collection and the
/// node's activation count, before and after. Kinds: <c>BENCH_ACTIVATION_KINDS</c> (comma-separated; default
/// location,usage,wallet; the route lists the kinds it knows in its 400 answer).
/// Runs after the throughput scenarios: the activations it leaves behind stay until idle collection.
/// </summary>
public sealed class ActivationMemoryScenario : IScenario
{
    private const double TargetBytes = 4096;

    public string Name => "activation-memory";

    public int Phase => 2;

    public async Task RunAsync(BenchContext context)
    {
        var kinds = (Environment.GetEnvironmentVariable("BENCH_ACTIVATION_KINDS") is { Length: > 0 } k ? k : "location,usage,wallet")
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var count = context.Quick ? 10_000 : 20_000;
        var (tenantId, _) = await context.CreateTenantAsync("Bench activations");
        using var admin = context.Client(context.AdminKey);
        admin.Timeout = TimeSpan.FromMinutes(10);
        foreach (var kind in kinds)
        {
            var report = await BenchContext.ReadJsonAsync(await admin.PostAsync(
                $"/bench/activations?kind={Uri.EscapeDataString(kind)}&count={count}&tenantId={tenantId}", null));
            var added = report.GetProperty("activationsAfter").GetInt32() - report.GetProperty("activationsBefore").GetInt32();
            var heapDelta = report.GetProperty("heapBytesAfter").GetInt64() - report.GetProperty("heapBytesBefore").GetInt64();
            var perActivation = report.GetProperty("bytesPerActivation") is { ValueKind: JsonValueKind.Number } b ? b.GetDouble() : double.NaN;
            var failed = report.GetProperty("failed").GetInt32();
            Console.WriteLine($"   {kind}: {count} requested ({failed} failed) in {report.GetProperty("seconds").GetDouble():F1} s; " +
                $"+{added} activations, heap +{heapDelta / 1024.0 / 1024.0:F1} MB → {perActivation:F0} B each");
            var scenario = $"idle {kind} grain activations (+{added:N0} on one node{(failed > 0 ? $", {failed} calls failed" : "")})";
            context.ReportMetric(scenario, "managed heap bytes per activation", perActivation, "≤ 4 KB",
                !double.IsNaN(perActivation) && perActivation <= TargetBytes);
            context.ReportMetric(scenario, "activations per second while activating", count / report.GetProperty("seconds").GetDouble());
        }
    }
}
