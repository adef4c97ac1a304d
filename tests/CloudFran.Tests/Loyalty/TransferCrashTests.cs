using System.Collections.Concurrent;
using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Loyalty;
using CloudFran.Grains.Loyalty;
using CloudFran.Grains.Storage;
using CloudFran.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Orleans.Runtime;
using Orleans.TestingHost;
using Xunit;

namespace CloudFran.Tests.Loyalty;

/// <summary>
/// Stops the transfer coordinator's silo for good after the debit and before the credit: the silo is killed (not
/// shut down) while the coordinator is parked in the fault hook between the two steps. The surviving silo's
/// recovery sweep must finish the transfer — both sides moved once — and a client retry then answers "completed".
/// </summary>
public sealed class TransferCrashTests : IAsyncLifetime
{
    /// <summary>Parks the first transfer that reaches the hook (on whichever silo runs it) and reports where.</summary>
    private sealed class ParkingHooks(ILocalSiloDetails silo) : LoyaltyHooks
    {
        public override async Task AfterTransferDebitAsync(string transferId)
        {
            if (Target.TryGetValue(transferId, out var reached) && Interlocked.Exchange(ref _parked, 1) == 0)
            {
                reached.TrySetResult(silo.SiloAddress);
                // Parked for good: the test kills this silo with the transfer debited but not credited (the subject of the test).
                await Task.Delay(Timeout.Infinite);
            }
        }
    }

    private static readonly ConcurrentDictionary<string, TaskCompletionSource<SiloAddress>> Target = new();
    private static int _parked;
    private InProcessTestCluster _cluster = null!;
    private NpgsqlDataSource _data = null!;

    public async Task InitializeAsync()
    {
        _data = new NpgsqlDataSourceBuilder(await TestPostgres.CreateDatabaseAsync("loyaltycrash")).Build();
        await Migrator.ApplyAsync(_data, NullLogger.Instance);
        var data = _data;
        var builder = new InProcessTestClusterBuilder(2);
        builder.ConfigureSilo((_, silo) =>
        {
            var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["CLOUDFRAN_LOYALTY_SWEEP_SECONDS"] = "0.5",
                ["CLOUDFRAN_LOYALTY_STALE_SECONDS"] = "1",
                ["CLOUDFRAN_STRIPE_BASE_URL"] = "http://127.0.0.1:9",
            }).Build();
            silo.Services.AddSingleton(data);
            silo.Services.AddSingleton<PlatformDb>();
            silo.Services.AddSingleton(TimeProvider.System);
            silo.Services.AddSingleton<LoyaltyHooks, ParkingHooks>();
            silo.Services.AddLoyalty(config);
        });
        _cluster = builder.Build();
        await _cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        await _data.DisposeAsync();
    }

    private async Task<T> ScalarAsync<T>(string sql, params (string, object)[] args)
    {
        await using var cmd = _data.CreateCommand(sql);
        foreach (var (n, v) in args) cmd.Parameters.AddWithValue(n, v);
        return (T)(await cmd.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task A_silo_killed_between_debit_and_credit_leaves_both_sides_moved_exactly_once()
    {
        var tenantId = Ids.New("tn");
        await using (var cmd = _data.CreateCommand("INSERT INTO tenants (tenant_id, business_name, plan, status) VALUES (@t, 'Crash Co', 'enterprise', 'active')"))
        {
            cmd.Parameters.AddWithValue("t", tenantId);
            await cmd.ExecuteNonQueryAsync();
        }
        var scope = new TenantScope(tenantId, DataEnv.Live);
        var grains = _cluster.Client;
        var directory = grains.GetLoyaltyDirectory(scope);
        var alice = (await directory.CreateMemberAsync(new MemberInput("Alice", "+13125550101", null, null, null))).MemberId;
        var bob = (await directory.CreateMemberAsync(new MemberInput("Bob", "+13125550102", null, null, null))).MemberId;
        await grains.GetWallet(scope, alice).EarnAsync(new EarnRequest(null, 1000, null, null, null, "seed"));

        const string key = "crash-transfer-1";
        var transferId = LoyaltyIds.FromKey("xfr", $"{scope}|{key}");
        var reached = new TaskCompletionSource<SiloAddress>(TaskCreationOptions.RunContinuationsAsynchronously);
        Target[transferId] = reached;
        var request = new TransferRequest(alice, bob, 250, 0, null, key);
        var inFlight = grains.GetLoyaltyTransfer(scope, transferId).TransferAsync(request);

        var where = await reached.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("debited", await ScalarAsync<string>("SELECT status FROM loyalty_transfers WHERE transfer_id = @id", ("id", transferId)));
        Assert.Equal(750L, await ScalarAsync<long>("SELECT points_balance FROM loyalty_members WHERE member_id = @m", ("m", alice)));
        Assert.Equal(0L, await ScalarAsync<long>("SELECT points_balance FROM loyalty_members WHERE member_id = @m", ("m", bob)));

        var victim = _cluster.Silos.Single(s => s.SiloAddress.Equals(where));
        await _cluster.KillSiloAsync(victim);
        try { await inFlight.WaitAsync(TimeSpan.FromSeconds(5)); } catch (Exception) { /* the caller lost its answer with the silo */ }

        // The surviving silo's sweep resumes the debited transfer and credits Bob once.
        await Eventually.Async($"transfer {transferId} to be completed by the surviving silo's sweep",
            () => ScalarAsync<string>("SELECT status FROM loyalty_transfers WHERE transfer_id = @id", ("id", transferId)), s => s == "completed");
        Assert.Equal(750L, await ScalarAsync<long>("SELECT points_balance FROM loyalty_members WHERE member_id = @m", ("m", alice)));
        Assert.Equal(250L, await ScalarAsync<long>("SELECT points_balance FROM loyalty_members WHERE member_id = @m", ("m", bob)));
        Assert.Equal(2L, await ScalarAsync<long>("SELECT count(*) FROM loyalty_ledger WHERE reference = @id", ("id", transferId)));

        // The client's retry with the same key now answers the completed transfer, and moves nothing more.
        var retried = await grains.GetLoyaltyTransfer(scope, transferId).TransferAsync(request);
        Assert.Equal("completed", retried.Status);
        Assert.Equal(250L, (await grains.GetWallet(scope, bob).GetAsync()).Points);
        Assert.Equal(750L, (await grains.GetWallet(scope, alice).GetAsync()).Points);
        Assert.Equal(1L, await ScalarAsync<long>("SELECT count(*) FROM outbox_events WHERE event_type = 'wallet.transfer' AND payload->>'transferId' = @id", ("id", transferId)));
    }
}
