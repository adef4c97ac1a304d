namespace CloudFran.Bench.Scenarios;

/// <summary>
/// Issue #9: throughput of <c>GET /v1/locations/{id}</c> on a cluster of 1, 2 and 3 nodes on this one machine,
/// started with deploy/local-cluster.sh (plain processes) against one database of the benchmark's PostgreSQL.
/// Requests go round-robin over the nodes; 8 tenants (one API key each, so the per-key grains spread over the
/// silos) with 16 locations each. The ratio is the n-node throughput over the 1-node throughput of the same run.
/// All nodes, the database and the load generator share the machine's cores, so the curve shows what clustering
/// costs and gains here, not what separate machines would give.
/// </summary>
public sealed class ClusterScenario : IScenario
{
    private const int Tenants = 8;
    private const int LocationsPerTenant = 16;

    public string Name => "cluster";

    public int Phase => 2;

    public async Task RunAsync(BenchContext context)
    {
        var (repo, hostDll, server) = PlatformProcesses.Require(context);
        var database = await PlatformProcesses.CreateDatabaseAsync(server, "cluster");
        var httpBase = int.Parse(Environment.GetEnvironmentVariable("BENCH_CLUSTER_HTTP_BASE") ?? "5101", System.Globalization.CultureInfo.InvariantCulture);
        List<(string TenantId, string Key, string[] Locations)>? tenants = null;
        Measurement? single = null;

        foreach (var nodes in new[] { 1, 2, 3 })
        {
            var dir = Path.Combine(Path.GetTempPath(), $"cloudfran-bench-cluster-{Guid.NewGuid():N}"[..40]);
            var environment = new Dictionary<string, string>
            {
                ["ConnectionStrings__Postgres"] = database,
                ["CLOUDFRAN_HOST_DLL"] = hostDll,
                ["CLOUDFRAN_BOOTSTRAP_ADMIN_KEY"] = context.AdminKey,
                ["CLOUDFRAN_ADMIN_RPM"] = "1000000",
                ["CLOUDFRAN_CLUSTER_ID"] = $"bench-{nodes}-{Guid.NewGuid():N}"[..20],
                ["Logging__LogLevel__Default"] = "Warning",
            };
            string[] ports = ["--dir", dir, "--http-base", $"{httpBase}", "--silo-base", $"{httpBase + 10}", "--gateway-base", $"{httpBase + 20}"];
            await PlatformProcesses.LocalClusterAsync(repo, environment, ["start", "--nodes", $"{nodes}", .. ports]);
            try
            {
                var urls = Enumerable.Range(0, nodes).Select(i => $"http://127.0.0.1:{httpBase + i}").ToArray();
                var first = new BenchContext(urls[0], context.AdminKey, context.Quick);
                tenants ??= await CreateTenantsAsync(first);

                // One client per (node, tenant); worker w uses tenant w % 8 and sends request i to node (w + i) % n.
                var clients = urls.Select(u => tenants.Select(t => new BenchContext(u, context.AdminKey, context.Quick).Client(t.Key, t.TenantId)).ToArray()).ToArray();
                try
                {
                    // Prime: every location once through every node (activations placed, key caches filled).
                    foreach (var node in clients)
                    {
                        for (var t = 0; t < Tenants; t++)
                        {
                            foreach (var id in tenants[t].Locations)
                            {
                                using var r = await node[t].GetAsync($"/v1/locations/{id}");
                                r.EnsureSuccessStatusCode();
                            }
                        }
                    }
                    var m = await first.MeasureAsync(async (w, i) =>
                    {
                        var t = w % Tenants;
                        var client = clients[(int)((w + i) % nodes)][t];
                        using var r = await client.GetAsync($"/v1/locations/{tenants[t].Locations[(int)(i / nodes % LocationsPerTenant)]}");
                        await r.Content.LoadIntoBufferAsync();
                        return r.IsSuccessStatusCode;
                    });
                    Console.WriteLine($"   {nodes} node(s): {m.RequestsPerSecond:F0} req/s, p50 {m.P50Ms:F2} ms, p99 {m.P99Ms:F2} ms, {m.Errors} errors");
                    var label = $"cluster GET /v1/locations/{{id}}, {nodes} node{(nodes == 1 ? "" : "s")} round-robin";
                    if (nodes == 1)
                    {
                        single = m;
                        context.Report(label, m);
                    }
                    else
                    {
                        context.Report(label, m, "1 node", single, "report (one 2-core host)");
                    }
                }
                finally
                {
                    foreach (var client in clients.SelectMany(c => c))
                    {
                        client.Dispose();
                    }
                }
            }
            finally
            {
                await PlatformProcesses.LocalClusterAsync(repo, environment, "stop", "--dir", dir);
                try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
            }
        }
    }

    private static async Task<List<(string TenantId, string Key, string[] Locations)>> CreateTenantsAsync(BenchContext node)
    {
        var tenants = new List<(string, string, string[])>();
        for (var t = 0; t < Tenants; t++)
        {
            var (tenantId, key) = await node.CreateTenantAsync($"Bench cluster {t}");
            using var client = node.Client(key, tenantId);
            var ids = new string[LocationsPerTenant];
            for (var i = 0; i < LocationsPerTenant; i++)
            {
                var location = await BenchContext.ReadJsonAsync(await client.PostAsync("/v1/locations", BenchContext.Json(new
                {
                    name = $"Cluster location {t}-{i}",
                    address = new { street = $"{i} Node St", city = "Reno", country = "US" },
                    timezone = "UTC",
                })));
                ids[i] = location.GetProperty("locationId").GetString()!;
            }
            tenants.Add((tenantId, key, ids));
        }
        return tenants;
    }
}
