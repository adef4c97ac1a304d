using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using CloudFran.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR.Client;
using Npgsql;
using Xunit;

namespace CloudFran.Tests.Cluster;

/// <summary>
/// deploy/local-cluster.sh: two platform processes on one PostgreSQL form one cluster; either node serves the
/// same grain, the per-minute limit is exact across both, and a graceful stop leaves the cluster cleanly.
/// </summary>
public sealed class LocalClusterTests : IAsyncLifetime
{
    private const string AdminKey = "sk_admin_LocalClusterTestKey0000000000000";
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "cf-cluster-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly int _httpBase = 20000 + Random.Shared.Next(0, 400) * 10;
    private string _connectionString = "";
    private readonly string _clusterId = "lc-" + Guid.NewGuid().ToString("N")[..8];

    private Dictionary<string, string?> Environment => new()
    {
        ["ConnectionStrings__Postgres"] = _connectionString,
        ["CLOUDFRAN_HOST_DLL"] = Repo.HostDll,
        ["CLOUDFRAN_BOOTSTRAP_ADMIN_KEY"] = AdminKey,
        ["CLOUDFRAN_CLUSTER_ID"] = _clusterId,
        ["Logging__LogLevel__Default"] = "Warning",
    };

    private string[] Ports => ["--dir", _dir, "--http-base", _httpBase.ToString(), "--silo-base", (_httpBase + 5).ToString(),
        "--gateway-base", (_httpBase + 7).ToString()];

    public async Task InitializeAsync()
    {
        _connectionString = await TestPostgres.CreateDatabaseAsync("cluster");
        var (code, output) = await Repo.RunAsync("deploy/local-cluster.sh", ["start", "--nodes", "2", .. Ports], Environment, TimeSpan.FromMinutes(3));
        Assert.True(code == 0, output);
    }

    public async Task DisposeAsync()
    {
        await Repo.RunAsync("deploy/local-cluster.sh", ["stop", "--dir", _dir], Environment, TimeSpan.FromMinutes(2));
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    private HttpClient Node(int index, string key, string? tenantId = null)
    {
        var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_httpBase + index - 1}") };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        if (tenantId is not null)
        {
            client.DefaultRequestHeaders.Add("X-Tenant-Id", tenantId);
        }
        return client;
    }

    [Fact]
    public async Task Two_nodes_serve_the_same_grains_with_exact_limits_and_leave_cleanly()
    {
        // Both nodes see a two-silo cluster.
        foreach (var node in new[] { 1, 2 })
        {
            using var anon = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_httpBase + node - 1}") };
            var health = await (await anon.GetAsync("/health")).JsonAsync(HttpStatusCode.OK);
            Assert.Equal(2, health.GetProperty("activeSilos").GetInt32());
            Assert.Equal($"node{node}", health.GetProperty("node").GetString());
        }

        // A tenant and a location created through node 1 ...
        using var admin1 = Node(1, AdminKey);
        var created = await (await admin1.PostAsJsonAsync("/v1/admin/tenants", new { businessName = "Cluster Co", plan = "starter" }))
            .JsonAsync(HttpStatusCode.Created);
        var tenantId = created.GetProperty("tenant").GetProperty("tenantId").GetString()!;
        var key = created.GetProperty("keys")[0].GetProperty("secret").GetString()!;
        using var n1 = Node(1, key, tenantId);
        using var n2 = Node(2, key, tenantId);
        var location = await (await n1.PostAsJsonAsync("/v1/locations",
            new { name = "Node one", address = new { street = "1 A St", city = "Reno", country = "US" } })).JsonAsync(HttpStatusCode.Created);
        var id = location.GetProperty("locationId").GetString();

        // ... is served by node 2, and a change made on node 2 is what node 1 answers next (one activation).
        var viaTwo = await (await n2.GetAsync($"/v1/locations/{id}")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal("Node one", viaTwo.GetProperty("name").GetString());
        await (await n2.PatchAsJsonAsync($"/v1/locations/{id}", new { name = "Changed on two" })).JsonAsync(HttpStatusCode.OK);
        var viaOne = await (await n1.GetAsync($"/v1/locations/{id}")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal("Changed on two", viaOne.GetProperty("name").GetString());

        // The per-minute window of one key is exact across both nodes.
        await (await admin1.PatchAsJsonAsync($"/v1/admin/tenants/{tenantId}", new { customQuotas = new { requestsPerMinute = 24, monthlyCalls = 0 } }))
            .JsonAsync(HttpStatusCode.OK);
        var fresh = await (await n1.PostAsJsonAsync("/v1/tenant/keys", new { type = "live", role = "viewer", name = "burst" }))
            .JsonAsync(HttpStatusCode.Created);
        var burstKey = fresh.GetProperty("secret").GetString()!;
        using var b1 = Node(1, burstKey, tenantId);
        using var b2 = Node(2, burstKey, tenantId);
        var burst = await Task.WhenAll(Enumerable.Range(0, 60).Select(i => (i % 2 == 0 ? b1 : b2).GetAsync("/v1/tenant")));
        // The window is the clock minute of these separate processes (no clock to move here). Each answer names the
        // window it was counted in (X-RateLimit-Reset), so the check holds wherever the burst falls: in every window,
        // exactly the limit is served and the rest refused (60 requests exceed the limit in at least one of them).
        Assert.Equal(60, burst.Count(r => r.StatusCode is HttpStatusCode.OK or HttpStatusCode.TooManyRequests));
        var windows = burst.GroupBy(r => r.Headers.GetValues("X-RateLimit-Reset").Single()).ToList();
        Assert.InRange(windows.Count, 1, 2);
        foreach (var window in windows)
        {
            var served = Math.Min(24, window.Count());
            Assert.Equal(served, window.Count(r => r.StatusCode == HttpStatusCode.OK));
            Assert.Equal(window.Count() - served, window.Count(r => r.StatusCode == HttpStatusCode.TooManyRequests));
        }

        // Bookings raced through both nodes: one appointment per slot, whichever node a request hits.
        await (await admin1.PatchAsJsonAsync($"/v1/admin/tenants/{tenantId}", new { customQuotas = new { requestsPerMinute = 100_000, monthlyCalls = 0 } }))
            .JsonAsync(HttpStatusCode.OK);
        var open = new[] { "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday" }
            .ToDictionary(d => d, _ => new[] { new { open = "08:00", close = "18:00" } });
        await (await n1.PatchAsJsonAsync($"/v1/locations/{id}", new { hours = open, timezone = "UTC" })).JsonAsync(HttpStatusCode.OK);
        await (await n1.PostAsJsonAsync("/v1/calendar/providers", new { locationId = id, name = "Chair", kind = "chair" })).JsonAsync(HttpStatusCode.Created);
        await (await n2.PostAsJsonAsync("/v1/calendar/services", new { locationId = id, name = "Cut", durationMinutes = 60 })).JsonAsync(HttpStatusCode.Created);
        var day = DateTime.UtcNow.Date.AddDays(3);
        // The figure: 200 attempts for 10 slots, half through each node → exactly 10, no overlap in the database.
        var starts = Enumerable.Range(8, 10).Select(h => new DateTimeOffset(day.AddHours(h), TimeSpan.Zero)).ToList();
        var attempts = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => (i % 2 == 0 ? n1 : n2).PostAsJsonAsync("/v1/calendar/appointments",
            new { locationId = id, serviceType = "Cut", start = starts[i % 10], customerName = "Race", customerPhone = "+17755550100" })));
        Assert.Equal(10, attempts.Count(r => r.StatusCode == HttpStatusCode.Created));
        Assert.Equal(190, attempts.Count(r => r.StatusCode == HttpStatusCode.Conflict));
        await using (var check = new NpgsqlConnection(_connectionString))
        {
            await check.OpenAsync();
            await using var overlaps = new NpgsqlCommand(
                """
                SELECT count(*) FROM appointments a JOIN appointments b
                  ON a.tenant_id = b.tenant_id AND a.provider_id = b.provider_id AND a.appointment_id < b.appointment_id
                 WHERE a.tenant_id = @t AND a.status = 'booked' AND b.status = 'booked'
                   AND tstzrange(a.block_start, a.block_end) && tstzrange(b.block_start, b.block_end)
                """, check);
            overlaps.Parameters.AddWithValue("t", tenantId);
            Assert.Equal(0L, await overlaps.ExecuteScalarAsync());
        }

        // The voice dashboard: a hub client and a real browser on node 1 see a call that node 2 handles.
        await VoiceDashboardAcrossNodesAsync(n1, tenantId, key, id!);

        // Graceful stop: both silos leave the membership table as Dead (6), not as suspects.
        var (code, output) = await Repo.RunAsync("deploy/local-cluster.sh", ["stop", "--dir", _dir], Environment, TimeSpan.FromMinutes(2));
        Assert.True(code == 0, output);
        await using var conn = new NpgsqlConnection(_connectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT status FROM orleans_membership WHERE deployment_id = @d", conn);
        cmd.Parameters.AddWithValue("d", _clusterId);
        var statuses = new List<int>();
        await using (var reader = await cmd.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                statuses.Add(reader.GetInt32(0));
            }
        }
        Assert.Equal(2, statuses.Count);
        Assert.All(statuses, s => Assert.Equal(6, s));
    }

    private async Task VoiceDashboardAcrossNodesAsync(HttpClient n1, string tenantId, string key, string locationId)
    {
        const string token = "0123456789abcdef0123456789abcdef";
        await (await n1.PutAsJsonAsync("/v1/tenant/twilio", new { accountSid = "AC" + new string('c', 32), authToken = token })).JsonAsync(HttpStatusCode.OK);
        var number = "+1775555" + Random.Shared.Next(0, 10_000).ToString("D4");
        await (await n1.PostAsJsonAsync("/v1/tenant/phone-numbers", new { phoneNumber = number, locationId })).JsonAsync(HttpStatusCode.Created);
        await (await n1.PutAsJsonAsync($"/v1/voice/locations/{locationId}/settings", new { businessName = "Cluster Cuts", industry = "salon" }))
            .JsonAsync(HttpStatusCode.OK);
        var dashboardToken = (await (await n1.PostAsJsonAsync("/v1/voice/dashboard-token", new { })).JsonAsync(HttpStatusCode.OK))
            .GetProperty("token").GetString()!;

        var node1 = $"http://127.0.0.1:{_httpBase}";
        var events = new System.Collections.Concurrent.ConcurrentQueue<(string Name, string CallSid)>();
        await using var hub = new HubConnectionBuilder()
            .WithUrl(node1 + "/voicecallhub", o =>
            {
                o.AccessTokenProvider = () => Task.FromResult<string?>(key);
                o.Headers["X-Tenant-Id"] = tenantId;
            })
            .Build();
        foreach (var name in new[] { "CallStarted", "CallUpdated", "CallEnded" })
        {
            hub.On<System.Text.Json.JsonElement>(name,
                e => events.Enqueue((name, e.GetProperty("callSid").GetString()!)));
        }
        await hub.StartAsync();
        await hub.InvokeAsync("JoinTenantGroup", tenantId);

        await using var browser = await HeadlessChromium.OpenAsync($"{node1}/app/voice?token={dashboardToken}");
        await browser.WaitForAsync("document.getElementById('conn').textContent", t => t.StartsWith("live", StringComparison.Ordinal));

        // Node 2 handles the call; Twilio signs node 2's URL.
        var node2 = $"http://127.0.0.1:{_httpBase + 1}";
        using var twilio = new HttpClient { BaseAddress = new Uri(node2) };
        var callSid = "CA" + Guid.NewGuid().ToString("N");
        async Task PostAsync(string pathAndQuery, Dictionary<string, string> extra)
        {
            var form = new Dictionary<string, string> { ["CallSid"] = callSid, ["From"] = "+17755550111", ["To"] = number, ["CallStatus"] = "in-progress" };
            foreach (var (k, v) in extra) form[k] = v;
            using var request = new HttpRequestMessage(HttpMethod.Post, pathAndQuery) { Content = new FormUrlEncodedContent(form) };
            request.Headers.Add("X-Twilio-Signature", CloudFran.Web.Messaging.Twilio.TwilioSignature.Compute(node2 + pathAndQuery, form, token));
            var response = await twilio.SendAsync(request);
            Assert.True(response.IsSuccessStatusCode, $"{pathAndQuery}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
        string Row(string what) => $"(() => {{ const r = document.getElementById('call-{callSid}'); return r ? {what} : ''; }})()";

        await PostAsync("/api/voice-receptionist/inbound", []);
        Assert.Equal("live", await browser.WaitForAsync(Row("r.dataset.state"), v => v == "live"));
        await PostAsync($"/api/voice-receptionist/respond?callSid={callSid}", new() { ["SpeechResult"] = "How much is a haircut?", ["Confidence"] = "0.9" });
        await browser.WaitForAsync(Row("r.children[3].textContent"), v => v == "1");
        await PostAsync($"/api/voice-receptionist/respond?callSid={callSid}", new() { ["SpeechResult"] = "Where are you?", ["Confidence"] = "0.9" });
        await browser.WaitForAsync(Row("r.children[3].textContent"), v => v == "2");
        await PostAsync("/api/voice-receptionist/status", new() { ["CallStatus"] = "completed", ["CallDuration"] = "31" });
        await browser.WaitForAsync(Row("r.dataset.state"), v => v == "ended");

        await Eventually.True("CallEnded on the hub client", () => events.Any(e => e.Name == "CallEnded" && e.CallSid == callSid));
        var mine = events.Where(e => e.CallSid == callSid).Select(e => e.Name).ToList();
        Assert.Equal(["CallStarted", "CallUpdated", "CallUpdated", "CallEnded"], mine);
    }
}
