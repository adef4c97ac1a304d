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
/// opt-outs that emit webhook events, loyalty earns with idempotency keys — while one node is killed with SIGKILL.
/// Clients retry on other nodes (same idempotency key). Afterwards every acknowledged operation is present exactly
/// once (the earn ledger sums to the acknowledged points, no key twice), every event is delivered under one id,
/// and the killed node rejoins and serves requests.
/// <para>
/// Reminders of the dead node. Of the platform's timed work, only Orleans reminders belong to one node: the
/// reminder ring gives each silo a range of grain hashes, and that silo alone fires the reminders in it. (The
/// day-before appointment SMS is a polling worker on every node that claims rows with SKIP LOCKED, so no node owns
/// it; a provider schedule's hold-expiry timer lives only in its activation, and the hold sweep that backs it up
/// is a polling worker on every node, tested in Calendar/HoldsAndChangesTests.) So the test creates Autopilot campaigns — each registers a one-minute
/// <c>autopilot-tick</c> reminder — until two of them hash into the range of node 3 (asked of the cluster's own
/// ring through the bench-only <c>/bench/reminder-owner</c> route), enrolls a lead in each (its first touch is
/// due at once, sent only by a tick), and kills node 3 before the first tick. Each lead then gets its touch, once,
/// which only a survivor that took over node 3's range can have sent.
/// </para>
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
        ["CLOUDFRAN_BENCH_ROUTES"] = "true",
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
                // A load balancer's back-off before the next node: part of the client being modelled, not a wait for a result.
                await Task.Delay(300);
            }
            return null;
        }
    }

    private static HttpRequestMessage EarnRequest(string memberId, int points, string idempotencyKey) =>
        new(HttpMethod.Post, $"/v1/loyalty/members/{memberId}/points/earn")
        {
            Content = JsonContent.Create(new { points, reference = idempotencyKey }),
            Headers = { { "Idempotency-Key", idempotencyKey } },
        };

    /// <summary>
    /// Creates Autopilot campaigns until <paramref name="wanted"/> of their tick reminders hash into node 3's range of
    /// the reminder ring, and enrolls one lead in each (local midday, so the touch is not held for quiet hours).
    /// Returns the leads' phones.
    /// </summary>
    private async Task<List<string>> RemindersOnNodeThreeAsync(HttpClient admin, HttpClient client, int wanted)
    {
        var victimSiloPort = _httpBase + 5 + 2;
        var offset = ((13 - DateTime.UtcNow.Hour) % 24 + 24) % 24;
        if (offset > 14) offset -= 24;
        var zone = offset == 0 ? "Etc/UTC" : $"Etc/GMT{(offset > 0 ? "-" : "+")}{Math.Abs(offset)}";
        await using var db = new NpgsqlConnection(_connectionString);
        await db.OpenAsync();
        var phones = new List<string>();
        var owners = new List<int>();
        for (var c = 0; c < 30 && phones.Count < wanted; c++)
        {
            var campaign = await (await client.PostAsJsonAsync("/v1/autopilot/campaigns", new { name = $"Tick {c}", goal = "reactivation", cadenceDays = new[] { 0, 30 } }))
                .JsonAsync(HttpStatusCode.Created);
            var campaignId = campaign.GetProperty("campaignId").GetString()!;
            await using var cmd = new NpgsqlCommand(
                "SELECT grain_hash FROM orleans_reminders WHERE grain_id LIKE '%' || @c AND reminder_name = 'autopilot-tick'", db);
            cmd.Parameters.AddWithValue("c", campaignId);
            var hash = Convert.ToInt64(await cmd.ExecuteScalarAsync() ?? throw new InvalidOperationException("no reminder row for " + campaignId));
            var owner = await (await admin.GetAsync($"/bench/reminder-owner?hash={hash}")).JsonAsync(HttpStatusCode.OK);
            owners.Add(owner.GetProperty("port").GetInt32() - (_httpBase + 5) + 1);
            if (owner.GetProperty("port").GetInt32() != victimSiloPort) continue;
            var phone = "+1646555" + c.ToString("D4");
            await (await client.PostAsJsonAsync($"/v1/autopilot/campaigns/{campaignId}/leads", new { name = $"Lead {c}", phone, timezone = zone }))
                .JsonAsync(HttpStatusCode.Created);
            phones.Add(phone);
        }
        Assert.Equal(wanted, phones.Count);
        output.WriteLine($"reminder owners of the campaigns created (node): {string.Join(", ", owners)}; leads on node 3: {string.Join(", ", phones)} (zone {zone})");
        return phones;
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

        var members = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            var member = await (await n1.PostAsJsonAsync("/v1/loyalty/members", new { name = $"Member {i}", phone = "+1702556" + i.ToString("D4") }))
                .JsonAsync(HttpStatusCode.Created);
            members.Add(member.GetProperty("memberId").GetString()!);
        }

        // Last before the load (the kill comes after the first operations, the reminders' first tick 60 s after registration).
        var victimLeads = await RemindersOnNodeThreeAsync(admin, n1, wanted: 2);

        var nodes = Enumerable.Range(1, 3).Select(i => Node(i, key, tenantId)).ToArray();
        var client = new RetryingClient(nodes);
        var ackedSms = new ConcurrentDictionary<string, string>();   // idempotency key → message id
        var ackedBookings = new ConcurrentBag<string>();
        var ackedOptOuts = new ConcurrentBag<string>();
        var ackedEarns = new ConcurrentDictionary<string, (string Member, int Points, string EntryId)>();   // idempotency key → earn
        var unresolvedEarns = new ConcurrentDictionary<string, (string Member, int Points)>();
        var touchesAtKill = -1;
        var killedAt = DateTime.MaxValue;
        var day = DateTime.UtcNow.Date.AddDays(5);
        // A fixed amount of work, whatever the machine's speed: 120 operations (30 of each kind) from six workers; the
        // worker that finishes operation 24 kills node 3 while the others keep going, so most of the load runs across the kill.
        const int operations = 120;
        const int killAfter = 24;
        var killed = false;
        var slot = -1;
        var serial = 0;
        var finished = 0;

        var workers = Enumerable.Range(0, 6).Select(w => Task.Run(async () =>
        {
            int n;
            while ((n = Interlocked.Increment(ref serial)) <= operations)
            {
                switch (n % 4)
                {
                    case 3:
                        var earnKey = $"crash-earn-{n}";
                        var (earnMember, points) = (members[n % members.Count], n % 7 + 1);
                        using (var r = await client.SendAsync(() => EarnRequest(earnMember, points, earnKey)))
                        {
                            if (r?.StatusCode == HttpStatusCode.Created)
                                ackedEarns[earnKey] = (earnMember, points, (await r.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("entryId").GetString()!);
                            else
                                unresolvedEarns[earnKey] = (earnMember, points);
                        }
                        break;
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
                if (Interlocked.Increment(ref finished) == killAfter)
                {
                    killed = true;
                    killedAt = DateTime.UtcNow;
                    touchesAtKill = _twilio.Messages.Count(m => victimLeads.Contains(m.FormValue("To") ?? ""));
                    var (code, log) = await Repo.RunAsync("deploy/local-cluster.sh", ["kill", "3", "--dir", _dir], Environment, TimeSpan.FromSeconds(30));
                    Assert.True(code == 0, log);
                }
            }
        })).ToArray();
        await Task.WhenAll(workers);
        Assert.True(killed);
        output.WriteLine($"acknowledged: {ackedSms.Count} sms, {ackedBookings.Count} bookings, {ackedOptOuts.Count} opt-outs; {client.Retries} retries");
        // Of the 30 operations of each kind, a client gives up on one only after 12 failed attempts on the nodes.
        Assert.True(ackedSms.Count > 10 && ackedBookings.Count > 10 && ackedOptOuts.Count > 10 && ackedEarns.Count + unresolvedEarns.Count == operations / 4,
            $"acknowledged {ackedSms.Count} sms, {ackedBookings.Count} bookings, {ackedOptOuts.Count} opt-outs, {ackedEarns.Count} earns (+{unresolvedEarns.Count} unresolved) of {operations / 4} each");

        // A client that got no answer for an earn keeps retrying it with the same key until it is acknowledged.
        foreach (var (earnKey, (earnMember, points)) in unresolvedEarns)
        {
            using var r = await client.SendAsync(() => EarnRequest(earnMember, points, earnKey));
            Assert.Equal(HttpStatusCode.Created, r?.StatusCode);
            ackedEarns[earnKey] = (earnMember, points, (await r!.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("entryId").GetString()!);
        }
        output.WriteLine($"earns: {ackedEarns.Count} acknowledged ({unresolvedEarns.Count} only after the load), {ackedEarns.Values.Sum(e => e.Points)} points");

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

        // Earns: the ledger holds exactly the acknowledged earns — per member the points sum to what the client was
        // told, every acknowledged entry id is there, no idempotency key appears twice, and the balance row agrees.
        var ledger = await RowsAsync("SELECT member_id, sum(points_delta)::bigint FROM loyalty_ledger WHERE tenant_id = @t AND kind = 'earn' GROUP BY member_id");
        var expected = ackedEarns.Values.GroupBy(e => e.Member).ToDictionary(g => g.Key, g => (long)g.Sum(e => e.Points));
        Assert.Equal(expected.OrderBy(e => e.Key), ledger.Select(r => KeyValuePair.Create(r.Item1, r.Item2)).OrderBy(e => e.Key));
        var entries = (await RowsAsync("SELECT entry_id, 1 FROM loyalty_ledger WHERE tenant_id = @t AND kind = 'earn'")).Select(r => r.Item1).ToHashSet();
        Assert.Equal(ackedEarns.Count, entries.Count);
        Assert.All(ackedEarns.Values, e => Assert.Contains(e.EntryId, entries));
        Assert.Empty(await RowsAsync("SELECT idempotency_key, count(*) FROM loyalty_ledger WHERE tenant_id = @t GROUP BY idempotency_key HAVING count(*) > 1"));
        var balances = await RowsAsync("SELECT member_id, points_balance FROM loyalty_members WHERE tenant_id = @t");
        Assert.All(balances, b => Assert.Equal(expected.GetValueOrDefault(b.Item1), b.Item2));

        // Every event reaches the receiver, and never under two different ids.
        var events = await RowsAsync("SELECT event_id, 1 FROM outbox_events WHERE tenant_id = @t AND event_type IN ('sms.opt_out', 'appointment.booked')");
        Assert.True(events.Count >= ackedOptOuts.Count + ackedBookings.Count);
        var received = await Eventually.That($"all {events.Count} events at the webhook receiver",
            () => _receiver.Requests.Select(r => r.Headers.GetValueOrDefault("webhook-id") ?? "").ToHashSet(),
            ids => events.All(e => ids.Contains(e.Item1)), TimeSpan.FromSeconds(120));
        Assert.All(events, e => Assert.Contains(e.Item1, received));
        var subjects = _receiver.Requests
            .Select(r => JsonDocument.Parse(r.Body).RootElement)
            .Select(b => (Id: b.GetProperty("id").GetString()!, Subject: b.GetProperty("type").GetString() + ":" +
                (b.GetProperty("data").TryGetProperty("appointmentId", out var a) ? a.GetString() : b.GetProperty("data").GetProperty("phone").GetString())))
            .GroupBy(x => x.Subject).ToList();
        Assert.All(subjects, g => Assert.Single(g.Select(x => x.Id).Distinct()));

        // Every acknowledged SMS reaches Twilio (bodies are unique: "m" + the request's serial).
        var bodies = ackedSms.Keys.Select(k => "m" + k["crash-sms-".Length..]).ToList();
        await Eventually.True($"all {bodies.Count} acknowledged SMS at the fake Twilio",
            () => bodies.All(b => _twilio.Messages.Any(m => m.FormValue("Body") == b)), TimeSpan.FromSeconds(120));
        Assert.All(bodies, b => Assert.Contains(_twilio.Messages, m => m.FormValue("Body") == b));
        var twice = _twilio.Messages.GroupBy(m => m.FormValue("Body")).Count(g => g.Count() > 1);
        output.WriteLine($"SMS bodies posted to Twilio more than once: {twice}");

        // The reminders node 3 owned fire on the survivors: no touch had gone out when it died, and each lead gets
        // exactly one.
        Assert.Equal(0, touchesAtKill);
        await Eventually.True("a touch to each lead of node 3's campaigns",
            () => victimLeads.All(p => _twilio.Messages.Any(m => m.FormValue("To") == p)), TimeSpan.FromSeconds(240));
        output.WriteLine($"node 3's reminders fired on the survivors {(DateTime.UtcNow - killedAt).TotalSeconds:F0} s or less after the kill");
        // "Exactly one": a second touch would be a second outbox row for the lead. Each lead has one row, and none is still
        // queued, so what Twilio saw is final (the next touch of the cadence is 30 days away).
        foreach (var phone in victimLeads)
        {
            await Eventually.Async($"the outbox to {phone} to settle", async () =>
            {
                await using var cmd = new NpgsqlCommand(
                    "SELECT count(*) FILTER (WHERE status = 'queued'), count(*) FROM sms_messages WHERE tenant_id = @t AND direction = 'outbound' AND contact_phone = @p", db);
                cmd.Parameters.AddWithValue("t", tenantId);
                cmd.Parameters.AddWithValue("p", phone);
                await using var reader = await cmd.ExecuteReaderAsync();
                await reader.ReadAsync();
                return (Queued: reader.GetInt64(0), Rows: reader.GetInt64(1));
            }, c => c.Queued == 0 && c.Rows == 1);
        }
        Assert.All(victimLeads, p => Assert.Single(_twilio.Messages, m => m.FormValue("To") == p));

        // The cluster noticed the dead node; restarted, it rejoins and serves.
        using var anon = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_httpBase}") };
        await Eventually.Async("the cluster to count two active silos", async () =>
            (await (await anon.GetAsync("/health")).JsonAsync(HttpStatusCode.OK)).GetProperty("activeSilos").GetInt32(), n => n == 2, TimeSpan.FromSeconds(120));
        var (rc, restartLog) = await Repo.RunAsync("deploy/local-cluster.sh", ["restart-node", "3", .. Ports], Environment, TimeSpan.FromMinutes(2));
        Assert.True(rc == 0, restartLog);
        Assert.Equal(3, (await (await anon.GetAsync("/health")).JsonAsync(HttpStatusCode.OK)).GetProperty("activeSilos").GetInt32());
        using var n3 = Node(3, key, tenantId);
        var again = await (await n3.GetAsync($"/v1/locations/{locationId}")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal("Crash", again.GetProperty("name").GetString());

        // Rolling restart: every node leaves gracefully and comes back, one at a time, under light load;
        // no request fails beyond the client's retries. The load runs until the restarts are over and at least a fixed
        // number of requests was made, so the count asserted does not depend on how fast the machine is.
        const int minimumRequests = 30;
        var rollingStop = false;
        var served = 0;
        var failed = 0;
        var load = Task.Run(async () =>
        {
            while (!Volatile.Read(ref rollingStop) || Volatile.Read(ref served) + Volatile.Read(ref failed) < minimumRequests)
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
        Assert.Equal(0, failed);
        Assert.True(served >= minimumRequests);
        foreach (var node in nodes) node.Dispose();
    }
}
