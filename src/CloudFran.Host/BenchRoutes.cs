using System.Diagnostics;
using System.Security.Cryptography;
using CloudFran.Abstractions.Errors;
using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Locations;
using CloudFran.Abstractions.Loyalty;
using CloudFran.Abstractions.Platform;
using CloudFran.Web.Infrastructure;

namespace CloudFran.Host;

/// <summary>What <c>POST /bench/activations</c> measured on this node.</summary>
public sealed record ActivationMemoryReport(string Kind, int Requested, int Failed, int ActivationsBefore, int ActivationsAfter,
    long HeapBytesBefore, long HeapBytesAfter, double? BytesPerActivation, double Seconds);

/// <summary>
/// Routes that exist only for <c>bench/</c>, mapped when <c>CLOUDFRAN_BENCH_ROUTES=true</c> (never set in a
/// deployment). <c>POST /bench/activations?kind=…&amp;count=N&amp;tenantId=tn_…</c> (platform admin key) activates N
/// grains of one kind, lets them go idle and reports the managed heap (after a full, compacting collection) and
/// this node's activation count before and after, i.e. what one idle activation of that kind costs.
/// <c>GET /bench/reminder-owner?hash=N</c> names the silo that owns a reminder of that grain hash.
/// </summary>
public static class BenchRoutes
{
    /// <summary>
    /// Grain kinds the activation route knows: each entry activates grain number <c>i</c> of its kind (ids made
    /// unique per request by <c>run</c>) and leaves it holding the state a real one would hold. A module adds its
    /// own kind here (one line) to have its grains measured.
    /// </summary>
    private static readonly Dictionary<string, Func<IGrainFactory, TenantScope, string, int, Task>> Kinds = new()
    {
        // A franchise location created with a name and an address: activation reads its row, keeps the view.
        ["location"] = (grains, scope, run, i) => grains.GetLocation(scope, $"loc_{run}{i:D6}").CreateAsync(new LocationInput(
            $"Bench location {i}", new Address($"{i} Bench St", "Austin", "TX", "78701", "US"), null, null, null, "UTC", null)),
        // A tenant's usage counter (Orleans persistent state read through the ADO.NET grain storage), one per tenant.
        ["usage"] = (grains, _, run, i) => grains.GetTenantUsage($"tn_{run}{i:D6}").GetAsync("2026-01", null),
        // A loyalty member enrolled through the directory (its row), then its wallet read: the idle wallet grain
        // holds the member's balances, tier, streak and settings as a real one does between purchases.
        ["wallet"] = async (grains, scope, run, i) =>
        {
            var member = await grains.GetLoyaltyDirectory(scope).CreateMemberAsync(
                new MemberInput($"Bench member {run}{i}", $"+1{2 + i / 10_000_000 % 8}{i % 10_000_000:D9}", null, null, null));
            await grains.GetWallet(scope, member.MemberId).GetAsync();
        },
    };

    public static IEndpointRouteBuilder MapBenchRoutes(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/bench/activations", async (string kind, int count, string tenantId, IGrainFactory grains) =>
            {
                if (!Kinds.TryGetValue(kind, out var activate))
                {
                    throw CloudFranException.Invalid("kind", $"Known kinds: {string.Join(", ", Kinds.Keys)}.");
                }
                if (count is < 1 or > 200_000)
                {
                    throw CloudFranException.Invalid("count", "count must be 1–200000.");
                }
                if (!Ids.IsValid(tenantId, "tn"))
                {
                    throw CloudFranException.Invalid("tenantId", "tenantId must be an existing tenant's id.");
                }
                return TypedResults.Json(await MeasureAsync(grains, kind, activate, new TenantScope(tenantId, DataEnv.Live), count));
            })
            .RequirePlatformAdmin().ExcludeFromDescription();

        // Which silo the reminder ring assigns a grain hash to (orleans_reminders.grain_hash): the failure drills
        // use it to put reminders on the node they are about to kill. Orleans keeps its ring provider internal, so
        // it is reached through the container by name; a change there makes this route fail loudly, not guess.
        routes.MapGet("/bench/reminder-owner", (long hash, IServiceProvider services) =>
            {
                var ringType = Type.GetType("Orleans.Runtime.ConsistentRing.IConsistentRingProvider, Orleans.Runtime")
                    ?? throw new InvalidOperationException("Orleans' consistent ring provider type was not found.");
                var ring = services.GetRequiredService(ringType);
                var owner = (SiloAddress?)ringType.GetMethod("GetPrimaryTargetSilo")!.Invoke(ring, [unchecked((uint)hash)]);
                return TypedResults.Json(new { hash, silo = owner?.ToString(), port = owner?.Endpoint.Port });
            })
            .RequirePlatformAdmin().ExcludeFromDescription();
        return routes;
    }

    private static async Task<ActivationMemoryReport> MeasureAsync(IGrainFactory grains, string kind,
        Func<IGrainFactory, TenantScope, string, int, Task> activate, TenantScope scope, int count)
    {
        var management = grains.GetGrain<IManagementGrain>(0);
        var run = RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyz0123456789", 8);
        var activationsBefore = await management.GetTotalActivationCount();
        var heapBefore = FullCollection();

        var watch = Stopwatch.StartNew();
        var failed = 0;
        const int batch = 32;
        for (var start = 0; start < count; start += batch)
        {
            var calls = Enumerable.Range(start, Math.Min(batch, count - start)).Select(async i =>
            {
                try
                {
                    await activate(grains, scope, run, i);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    // Counted and reported: the per-activation figure divides by the activations actually added.
                    Interlocked.Increment(ref failed);
                }
            });
            await Task.WhenAll(calls);
        }
        var seconds = watch.Elapsed.TotalSeconds;

        // Let write-behind timers, outbox polling and connection pools settle, then measure the idle state.
        await Task.Delay(TimeSpan.FromSeconds(3));
        var heapAfter = FullCollection();
        var activationsAfter = await management.GetTotalActivationCount();
        var added = activationsAfter - activationsBefore;
        return new ActivationMemoryReport(kind, count, failed, activationsBefore, activationsAfter, heapBefore, heapAfter,
            added > 0 ? (double)(heapAfter - heapBefore) / added : null, seconds);
    }

    private static long FullCollection()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
