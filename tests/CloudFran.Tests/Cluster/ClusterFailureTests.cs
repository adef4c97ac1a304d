using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using CloudFran.Tests.Infrastructure;
using CloudFran.Tests.Messaging;
using Npgsql;
using Xunit;
using Xunit.Abstractions;

namespace CloudFran.Tests.Cluster;

/// <summary>
/// Three nodes (deploy/local-cluster.sh) under a small mixed load — bookings, SMS sends with idempotency keys,
/// opt-outs that emit webhook events — while one node is killed with SIGKILL. Clients retry on other nodes.
/// Afterwards every acknowledged operation is present exactly once, every event is delivered under one id, and
/// the killed node rejoins and serves requests.
/// </summary>
public sealed class ClusterFailureTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string AdminKey = "sk_admin_ClusterFailureTestKey00000000000";
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "cf-crash-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly int _httpBase = 24000 + Random.Shared.Next(0, 300) * 10;
    private readonly string _clusterId = "cr-" + Guid.NewGuid().ToString("N")[..8];
    private string _connectionString = "";
    private FakeTwilio _twilio = null!;
    private LocalHttpServer _receiver = null!;

    private Dictionary<string, string?> Environment => new()
    {
        ["ConnectionStrings__Postgres"] = _connectionString,
        ["CLOUDFRAN_HOST_DLL"] = Repo.HostDll,
        ["CLOUDFRAN_BOOTSTRAP_ADMIN_KEY"] = AdminKey,
        ["CLOUDFRAN_CLUSTER_ID"] = _clusterId,
        ["CLOUDFRAN_TWILIO_BASE_URL"] = _twilio.BaseUrl,
        ["CLOUDFRAN_WEBHOOKS_ALLOW_PRIVATE"] = "true",
        ["CLOUDFRAN_WEBHOOK_RETRY_SECONDS"] = "0.5,0.5,1,1,2,2,4",
        ["Logging__LogLevel__Default"] = "Warning",
    };

    private string[] Ports => ["--dir", _dir, "--http-base", _httpBase.ToString(), "--silo-base", (_httpBase + 5).ToString(),
        "--gateway-base", (_httpBase + 8).ToString()];

    public async Task InitializeAsync()
    {
        _twilio = await FakeTwilio.StartAsync();
        _receiver = await LocalHttpServer.StartAsync();
        _connectionString = await TestPostgres.CreateDatabaseAsync("crash");
        var (code, log) = await Repo.RunAsync("deploy/local-cluster.sh", ["start", "--nodes", "3", .. Ports], Environment, TimeSpan.FromMinutes(3));
        Assert.True(code == 0, log);
    }

    public async Task DisposeAsync()
    {
        await Repo.RunAsync("deploy/local-cluster.sh", ["stop", "--dir", _dir], Environment, TimeSpan.FromMinutes(2));
        try { Directory.Delete(_dir, true); } catch (IOException) { }
        await _twilio.DisposeAsync();
        await _receiver.DisposeAsync();
    }

    private HttpClient Node(int index, string key, string? tenantId = null)
    {
        var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_httpBase + index - 1}"), Timeout = TimeSpan.FromSeconds(20) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        if (tenantId is not null) client.DefaultRequestHeaders.Add("X-Tenant-Id", tenantId);
        return client;
    }

    /// <summary>A client that sends each request to the next node and retries elsewhere on failure, like a load balancer.</summary>
    private sealed class RetryingClient(HttpClient[] nodes)
    {
        private int _next;
        public int Retries;

        public async Task<HttpResponseMessage?> SendAsync(Func<HttpRequestMessage> make)
        {
            for (var attempt = 0; attempt < 12; attempt++)
            {
                var node = nodes[(int)((uint)Interlocked.Increment(ref _next) % nodes.Length)];
                try
                {
                    var response = await node.SendAsync(make());
                    if ((int)response.StatusCode < 500) return response;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    // Node down or request cut: try another.
                }
                Interlocked.Increment(ref Retries);
                await Task.Delay(300);
            }
            return null;
        }
    }

    [Fact]
    public async Task Killing_a_node_under_load_loses_and_doubles_nothing_and_the_node_rejoins()
    {
        using var admin = Node(1, AdminKey);
        var created = await (await admin.PostAsJsonAsync("/v1/admin/tenants", new { businessName = "Crash Co", plan = "enterprise" })).JsonAsync(HttpStatusCode.Created);
        var tenantId = created.GetProperty("tenant").GetProperty("tenantId").GetString()!;
        var key = created.GetProperty("keys")[0].GetProperty("secret").GetString()!;
        await (await admin.PatchAsJsonAsync($"/v1/admin/tenants/{tenantId}", new { customQuotas = new { requestsPerMinute = 100_000, monthlyCalls = 0 } }))
            .JsonAsync(HttpStatusCode.OK);
        using var n1 = Node(1, key, tenantId);
        await (await n1.PutAsJsonAsync("/v1/tenant/twilio", new { accountSid = "AC" + new string('d', 32), authToken = MessagingFactory.AuthToken })).JsonAsync(HttpStatusCode.OK);
        await (await n1.PostAsJsonAsync("/v1/tenant/phone-numbers", new { phoneNumber = "+17025550100" })).JsonAsync(HttpStatusCode.Created);
        await (await n1.PostAsJsonAsync("/v1/webhooks/endpoints", new { url = _receiver.BaseUrl + "/hooks", events = new[] { "sms.opt_out", "appointment.booked" } }))
            .JsonAsync(HttpStatusCode.Created);
        var open = new[] { "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday" }
            .ToDictionary(d => d, _ => new[] { new { open = "00:00", close = "24:00" } });
        var location = await (await n1.PostAsJsonAsync("/v1/locations", new { name = "Crash", address = new { street = "1 A St", city = "Reno", country = "US" }, hours = open, timezone = "UTC" }))
            .JsonAsync(HttpStatusCode.Created);
        var locationId = location.GetProperty("locationId").GetString()!;
        for (var i = 0; i < 3; i++)
        {
            await (await n1.PostAsJsonAsync("/v1/calendar/providers", new { locationId, name = $"Chair {i}", kind = "chair" })).JsonAsync(HttpStatusCode.Created);
        }
        await (await n1.PostAsJsonAsync("/v1/calendar/services", new { locationId, name = "Cut", durationMinutes = 30 })).JsonAsync(HttpStatusCode.Created);

        var nodes = Enumerable.Range(1, 3).Select(i => Node(i, key, tenantId)).ToArray();
        var client = new RetryingClient(nodes);
        var ackedSms = new ConcurrentDictionary<string, string>();   // idempotency key → message id
        var ackedBookings = new ConcurrentBag<string>();
        var ackedOptOuts = new ConcurrentBag<string>();
        var day = DateTime.UtcNow.Date.AddDays(5);
        var stop = DateTime.UtcNow.AddSeconds(14);
        var killAt = DateTime.UtcNow.AddSeconds(4);
        var killed = false;
        var slot = -1;
        var serial = 0;

        var workers = Enumerable.Range(0, 6).Select(w => Task.Run(async () =>
        {
            while (DateTime.UtcNow < stop)
            {
                var n = Interlocked.Increment(ref serial);
                switch (n % 3)
                {
                    case 0:
                        var idem = $"crash-sms-{n}";
                        using (var r = await client.SendAsync(() => new HttpRequestMessage(HttpMethod.Post, "/v1/sms/send")
                               {
                                   Content = JsonContent.Create(new { to = "+1702555" + (n % 10_000).ToString("D4"), message = $"m{n}" }),
                                   Headers = { { "Idempotency-Key", idem } },
                               }))
                        {
                            if (r?.StatusCode == HttpStatusCode.Created)
                                ackedSms[idem] = (await r.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("messageId").GetString()!;
                        }
                        break;
                    case 1:
                        var start = new DateTimeOffset(day, TimeSpan.Zero).AddMinutes(30 * (Interlocked.Increment(ref slot) / 3));
                        using (var r = await client.SendAsync(() => new HttpRequestMessage(HttpMethod.Post, "/v1/calendar/appointments")
                               {
                                   Content = JsonContent.Create(new { locationId, serviceType = "Cut", start, customerName = $"C{n}", customerPhone = "+17025550199" }),
                               }))
                        {
                            if (r?.StatusCode == HttpStatusCode.Created)
                                ackedBookings.Add((await r.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("appointmentId").GetString()!);
                        }
                        break;
                    default:
                        var phone = "+1725555" + (n % 10_000).ToString("D4");
                        using (var r = await client.SendAsync(() => new HttpRequestMessage(HttpMethod.Post, "/v1/sms/opt-outs")
                               {
                                   Content = JsonContent.Create(new { phone, reason = "customer_request" }),
                               }))
                        {
                            if (r?.StatusCode == HttpStatusCode.Created) ackedOptOuts.Add(phone);
                        }
                        break;
                }
                if (!killed && DateTime.UtcNow >= killAt && w == 0)
                {
                    killed = true;
                    var (code, log) = await Repo.RunAsync("deploy/local-cluster.sh", ["kill", "3", "--dir", _dir], Environment, TimeSpan.FromSeconds(30));
                    Assert.True(code == 0, log);
                }
            }
        })).ToArray();
        await Task.WhenAll(workers);
        Assert.True(killed);
        output.WriteLine($"acknowledged: {ackedSms.Count} sms, {ackedBookings.Count} bookings, {ackedOptOuts.Count} opt-outs; {client.Retries} retries");
        Assert.True(ackedSms.Count > 10 && ackedBookings.Count > 10 && ackedOptOuts.Count > 10);

        await using var db = new NpgsqlConnection(_connectionString);
        await db.OpenAsync();
        async Task<List<(string, long)>> RowsAsync(string sql)
        {
            var rows = new List<(string, long)>();
            await using var cmd = new NpgsqlCommand(sql, db);
            cmd.Parameters.AddWithValue("t", tenantId);
            await using var reader = await cmd.ExecuteReaderAsync();
            while (await reader.ReadAsync()) rows.Add((reader.GetString(0), reader.GetInt64(1)));
            return rows;
        }

        // SMS: each acknowledged key is one message, and the ids match what the client was told.
        var sms = await RowsAsync("SELECT message_id, count(*) OVER (PARTITION BY idempotency_key) FROM sms_messages WHERE tenant_id = @t AND idempotency_key IS NOT NULL");
        Assert.All(sms, r => Assert.Equal(1, r.Item2));
        var smsIds = sms.Select(r => r.Item1).ToHashSet();
        Assert.All(ackedSms.Values, id => Assert.Contains(id, smsIds));

        // Bookings: every acknowledged appointment exists, booked, and no provider holds two at once.
        var booked = (await RowsAsync("SELECT appointment_id, 1 FROM appointments WHERE tenant_id = @t AND status = 'booked'")).Select(r => r.Item1).ToHashSet();
        Assert.All(ackedBookings, id => Assert.Contains(id, booked));
        var overlaps = await RowsAsync(
            """
            SELECT a.appointment_id, count(*) FROM appointments a JOIN appointments b ON a.tenant_id = b.tenant_id AND a.provider_id = b.provider_id
               AND a.appointment_id < b.appointment_id AND a.status = 'booked' AND b.status = 'booked' AND a.start_at < b.end_at AND b.start_at < a.end_at
             WHERE a.tenant_id = @t GROUP BY a.appointment_id
            """);
        Assert.Empty(overlaps);

        // Opt-outs: every acknowledged one is recorded.
        var optedOut = (await RowsAsync("SELECT phone, 1 FROM sms_consent WHERE tenant_id = @t AND status = 'opted_out'")).Select(r => r.Item1).ToHashSet();
        Assert.All(ackedOptOuts, p => Assert.Contains(p, optedOut));

        // Every event reaches the receiver, and never under two different ids.
        var events = await RowsAsync("SELECT event_id, 1 FROM outbox_events WHERE tenant_id = @t AND event_type IN ('sms.opt_out', 'appointment.booked')");
        Assert.True(events.Count >= ackedOptOuts.Count + ackedBookings.Count);
        var deadline = DateTime.UtcNow.AddSeconds(90);
        HashSet<string> received = [];
        while (DateTime.UtcNow < deadline)
        {
            received = _receiver.Requests.Select(r => r.Headers.GetValueOrDefault("webhook-id") ?? "").ToHashSet();
            if (events.All(e => received.Contains(e.Item1))) break;
            await Task.Delay(500);
        }
        Assert.All(events, e => Assert.Contains(e.Item1, received));
        var subjects = _receiver.Requests
            .Select(r => JsonDocument.Parse(r.Body).RootElement)
            .Select(b => (Id: b.GetProperty("id").GetString()!, Subject: b.GetProperty("type").GetString() + ":" +
                (b.GetProperty("data").TryGetProperty("appointmentId", out var a) ? a.GetString() : b.GetProperty("data").GetProperty("phone").GetString())))
            .GroupBy(x => x.Subject).ToList();
        Assert.All(subjects, g => Assert.Single(g.Select(x => x.Id).Distinct()));

        // Every acknowledged SMS reaches Twilio (bodies are unique: "m" + the request's serial).
        var bodies = ackedSms.Keys.Select(k => "m" + k["crash-sms-".Length..]).ToList();
        deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline && bodies.Any(b => !_twilio.Messages.Any(m => m.FormValue("Body") == b)))
        {
            await Task.Delay(500);
        }
        Assert.All(bodies, b => Assert.Contains(_twilio.Messages, m => m.FormValue("Body") == b));
        var twice = _twilio.Messages.GroupBy(m => m.FormValue("Body")).Count(g => g.Count() > 1);
        output.WriteLine($"SMS bodies posted to Twilio more than once: {twice}");

        // The cluster noticed the dead node; restarted, it rejoins and serves.
        using var anon = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_httpBase}") };
        deadline = DateTime.UtcNow.AddSeconds(90);
        var silos = 0;
        while (DateTime.UtcNow < deadline)
        {
            silos = (await (await anon.GetAsync("/health")).JsonAsync(HttpStatusCode.OK)).GetProperty("activeSilos").GetInt32();
            if (silos == 2) break;
            await Task.Delay(1000);
        }
        Assert.Equal(2, silos);
        var (rc, restartLog) = await Repo.RunAsync("deploy/local-cluster.sh", ["restart-node", "3", .. Ports], Environment, TimeSpan.FromMinutes(2));
        Assert.True(rc == 0, restartLog);
        Assert.Equal(3, (await (await anon.GetAsync("/health")).JsonAsync(HttpStatusCode.OK)).GetProperty("activeSilos").GetInt32());
        using var n3 = Node(3, key, tenantId);
        var again = await (await n3.GetAsync($"/v1/locations/{locationId}")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal("Crash", again.GetProperty("name").GetString());

        // Rolling restart: every node leaves gracefully and comes back, one at a time, under light load;
        // no request fails beyond the client's retries.
        var rollingStop = false;
        var served = 0;
        var failed = 0;
        var load = Task.Run(async () =>
        {
            while (!Volatile.Read(ref rollingStop))
            {
                using var r = await client.SendAsync(() => new HttpRequestMessage(HttpMethod.Get, $"/v1/locations/{locationId}"));
                if (r?.StatusCode == HttpStatusCode.OK) Interlocked.Increment(ref served); else Interlocked.Increment(ref failed);
            }
        });
        foreach (var index in new[] { 1, 2, 3 })
        {
            var (stopCode, stopLog) = await Repo.RunAsync("deploy/local-cluster.sh", ["stop-node", index.ToString(), "--dir", _dir], Environment, TimeSpan.FromMinutes(2));
            Assert.True(stopCode == 0, stopLog);
            var (startCode, startLog) = await Repo.RunAsync("deploy/local-cluster.sh", ["restart-node", index.ToString(), .. Ports], Environment, TimeSpan.FromMinutes(2));
            Assert.True(startCode == 0, startLog);
        }
        Volatile.Write(ref rollingStop, true);
        await load;
        output.WriteLine($"rolling restart: {served} served, {failed} failed, {client.Retries} retries in total");
        Assert.True(served > 20);
        Assert.Equal(0, failed);
        foreach (var node in nodes) node.Dispose();
    }
}
