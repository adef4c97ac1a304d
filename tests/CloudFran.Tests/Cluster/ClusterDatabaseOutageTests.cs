using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using CloudFran.Host.Database;
using CloudFran.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Xunit;
using Xunit.Abstractions;

namespace CloudFran.Tests.Cluster;

/// <summary>
/// Two nodes (deploy/local-cluster.sh) on a PostgreSQL server of this test's own, under a light load of writes and
/// reads spread over both nodes, while that server is stopped for about 15 seconds. During the outage every answer
/// is a success from memory or a 503 with the error envelope — never a 500, never a request left hanging (the
/// client's timeout would count it) — and <c>/health</c> on every node reports the database as disconnected. When
/// the server returns, the cluster recovers by itself: both nodes serve writes again, neither was declared dead
/// nor shut itself down, and every write acknowledged before (or during) the outage is in the database.
/// It also guards the path where a grain activation fails on the other silo for want of the database: the
/// NpgsqlException must travel back to the calling node (Npgsql is on Orleans' exception-serialization allow-list,
/// see PlatformHosting) so that the caller answers 503; without that the reply failed to serialize and the caller
/// answered 500.
/// The 30-second version with a larger load is the <c>failure-drills</c> benchmark.
/// </summary>
public sealed class ClusterDatabaseOutageTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string AdminKey = "sk_admin_ClusterOutageTestKey00000000000";
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "cf-dbout-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly int _httpBase = 27000 + Random.Shared.Next(0, 300) * 10;
    private readonly string _clusterId = "do-" + Guid.NewGuid().ToString("N")[..8];
    private EmbeddedPostgres _server = null!;
    private string _connectionString = "";

    private Dictionary<string, string?> Environment => new()
    {
        ["ConnectionStrings__Postgres"] = _connectionString,
        ["CLOUDFRAN_HOST_DLL"] = Repo.HostDll,
        ["CLOUDFRAN_BOOTSTRAP_ADMIN_KEY"] = AdminKey,
        ["CLOUDFRAN_CLUSTER_ID"] = _clusterId,
        ["Logging__LogLevel__Default"] = "Warning",
    };

    private string[] Ports => ["--dir", _dir, "--http-base", _httpBase.ToString(), "--silo-base", (_httpBase + 4).ToString(),
        "--gateway-base", (_httpBase + 7).ToString()];

    public async Task InitializeAsync()
    {
        // Never the shared test server: this one is stopped and started again.
        _server = await EmbeddedPostgres.StartAsync(Path.Combine(_dir, "pg"), NullLogger.Instance, fastUnsafe: true);
        _connectionString = _server.ConnectionString(maxPoolSize: 40, timeoutSeconds: 5);
        var (code, log) = await Repo.RunAsync("deploy/local-cluster.sh", ["start", "--nodes", "2", .. Ports], Environment, TimeSpan.FromMinutes(3));
        Assert.True(code == 0, log);
    }

    public async Task DisposeAsync()
    {
        await Repo.RunAsync("deploy/local-cluster.sh", ["stop", "--dir", _dir], Environment, TimeSpan.FromMinutes(2));
        await _server.StopAsync();
        try { Directory.Delete(_dir, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private HttpClient Node(int index, string? key = null, string? tenantId = null)
    {
        // The timeout is the hang detector: a request the platform leaves open this long fails the test.
        var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_httpBase + index - 1}"), Timeout = TimeSpan.FromSeconds(25) };
        if (key is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        if (tenantId is not null) client.DefaultRequestHeaders.Add("X-Tenant-Id", tenantId);
        return client;
    }

    private static object NewLocation(string name) => new { name, address = new { street = "1 Outage Way", city = "Reno", country = "US" } };

    [Fact]
    public async Task A_database_outage_answers_503_on_every_node_and_the_cluster_recovers_by_itself()
    {
        using var admin = Node(1, AdminKey);
        var created = await (await admin.PostAsJsonAsync("/v1/admin/tenants", new { businessName = "Outage Co", plan = "enterprise" })).JsonAsync(HttpStatusCode.Created);
        var tenantId = created.GetProperty("tenant").GetProperty("tenantId").GetString()!;
        var key = created.GetProperty("keys")[0].GetProperty("secret").GetString()!;
        await (await admin.PatchAsJsonAsync($"/v1/admin/tenants/{tenantId}", new { customQuotas = new { requestsPerMinute = 100_000, monthlyCalls = 0 } }))
            .JsonAsync(HttpStatusCode.OK);
        var nodes = new[] { Node(1, key, tenantId), Node(2, key, tenantId) };
        var anonymous = new[] { Node(1), Node(2) };
        var first = await (await nodes[0].PostAsJsonAsync("/v1/locations", NewLocation("Before"))).JsonAsync(HttpStatusCode.Created);
        var firstId = first.GetProperty("locationId").GetString()!;
        foreach (var node in nodes) await (await node.GetAsync($"/v1/locations/{firstId}")).JsonAsync(HttpStatusCode.OK);

        // Light load: two writers and two readers, alternating nodes, through the whole drill.
        var acknowledged = new ConcurrentBag<string>();
        var statuses = new ConcurrentDictionary<int, int>();
        var badBodies = new ConcurrentBag<string>();
        var hung = 0;
        var stop = false;
        var load = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            for (var i = 0; !Volatile.Read(ref stop); i++)
            {
                var node = nodes[(w + i) % 2];
                try
                {
                    using var response = w < 2
                        ? await node.PostAsJsonAsync("/v1/locations", NewLocation($"Load {w}-{i}"))
                        : await node.GetAsync($"/v1/locations/{firstId}");
                    var body = await response.Content.ReadAsStringAsync();
                    statuses.AddOrUpdate((int)response.StatusCode, 1, (_, c) => c + 1);
                    if (response.StatusCode == HttpStatusCode.Created)
                    {
                        acknowledged.Add(JsonDocument.Parse(body).RootElement.GetProperty("locationId").GetString()!);
                    }
                    else if (response.StatusCode != HttpStatusCode.OK &&
                             !(response.StatusCode == HttpStatusCode.ServiceUnavailable && body.Contains("\"SERVICE_UNAVAILABLE\"", StringComparison.Ordinal)))
                    {
                        badBodies.Add($"{(int)response.StatusCode}: {body}");
                    }
                }
                catch (TaskCanceledException)
                {
                    Interlocked.Increment(ref hung);
                }
                // Pacing, not a wait for a result: a light load is at most ten requests a second per worker.
                await Task.Delay(100);
            }
        })).ToArray();

        await Eventually.True("the load to have written through both nodes before the outage", () => acknowledged.Count >= 4);
        await _server.StopAsync();
        var outageEnds = DateTime.UtcNow.AddSeconds(15);

        // During the outage: /health on every node says so, and a request that needs the database gets the 503 envelope.
        foreach (var (node, index) in anonymous.Select((n, i) => (n, i + 1)))
        {
            var health = await node.GetAsync("/health");
            var report = await health.JsonAsync(HttpStatusCode.ServiceUnavailable);
            Assert.Equal("disconnected", report.GetProperty("services").GetProperty("database").GetString());
            Assert.Equal($"node{index}", report.GetProperty("node").GetString());
        }
        foreach (var node in nodes)
        {
            await (await node.GetAsync("/v1/locations")).ErrorAsync(HttpStatusCode.ServiceUnavailable, "SERVICE_UNAVAILABLE");
            await (await node.PostAsJsonAsync("/v1/locations", NewLocation("During"))).ErrorAsync(HttpStatusCode.ServiceUnavailable, "SERVICE_UNAVAILABLE");
        }
        var during = statuses.GetValueOrDefault(503);
        await Eventually.True("the load to meet a 503 during the outage", () => statuses.GetValueOrDefault(503) > during);
        // The outage's length is the subject here (membership must ride out ~15 s without its table), and these are
        // separate processes on the real clock: hold the server down until then.
        if (outageEnds - DateTime.UtcNow is { Ticks: > 0 } rest)
        {
            await Task.Delay(rest);
        }

        await _server.RestartAsync();

        // Recovery by itself: every node reports healthy and takes writes again (bounded wait, no intervention).
        var recovered = new bool[2];
        await Eventually.Async("both nodes to report healthy and take a write again", async () =>
        {
            for (var i = 0; i < 2; i++)
            {
                if (recovered[i]) continue;
                try
                {
                    using var health = await anonymous[i].GetAsync("/health");
                    using var write = await nodes[i].PostAsJsonAsync("/v1/locations", NewLocation($"After {i}"));
                    if (health.StatusCode == HttpStatusCode.OK && write.StatusCode == HttpStatusCode.Created)
                    {
                        acknowledged.Add((await write.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("locationId").GetString()!);
                        recovered[i] = true;
                    }
                }
                catch (HttpRequestException)
                {
                    // A node that died would show here until the timeout.
                }
            }
            return recovered.All(r => r);
        }, TimeSpan.FromSeconds(90));
        // The load itself goes on writing after the recovery before it stops.
        var afterRecovery = acknowledged.Count;
        await Eventually.True("the load to write again after the recovery", () => acknowledged.Count >= afterRecovery + 4);
        Volatile.Write(ref stop, true);
        await Task.WhenAll(load);
        output.WriteLine($"statuses: {string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}×{s.Value}"))}; {acknowledged.Count} writes acknowledged; {hung} hung");
        Assert.All(recovered, Assert.True);
        Assert.Equal(0, hung);
        Assert.Empty(badBodies);
        Assert.False(statuses.ContainsKey(500));

        // Membership survived: both processes are alive, both nodes see two active silos, and the table holds both
        // as Active (3) — none was declared dead (6) during the outage.
        foreach (var index in new[] { 1, 2 })
        {
            var pid = int.Parse(await File.ReadAllTextAsync(Path.Combine(_dir, $"node{index}.pid")));
            Assert.False(System.Diagnostics.Process.GetProcessById(pid).HasExited, $"node{index} exited");
            var health = await (await anonymous[index - 1].GetAsync("/health")).JsonAsync(HttpStatusCode.OK);
            Assert.Equal(2, health.GetProperty("activeSilos").GetInt32());
        }
        await using var db = new NpgsqlConnection(_connectionString);
        await db.OpenAsync();
        await using (var cmd = new NpgsqlCommand("SELECT status FROM orleans_membership WHERE deployment_id = @d", db))
        {
            cmd.Parameters.AddWithValue("d", _clusterId);
            var rows = new List<int>();
            await using var reader = await cmd.ExecuteReaderAsync();
            while (await reader.ReadAsync()) rows.Add(reader.GetInt32(0));
            Assert.Equal([3, 3], rows);
        }

        // Nothing acknowledged is lost.
        await using (var cmd = new NpgsqlCommand("SELECT location_id FROM locations WHERE tenant_id = @t", db))
        {
            cmd.Parameters.AddWithValue("t", tenantId);
            var stored = new HashSet<string>();
            await using var reader = await cmd.ExecuteReaderAsync();
            while (await reader.ReadAsync()) stored.Add(reader.GetString(0));
            Assert.Contains(firstId, stored);
            Assert.All(acknowledged, id => Assert.Contains(id, stored));
        }
        foreach (var client in nodes.Concat(anonymous)) client.Dispose();
    }
}
