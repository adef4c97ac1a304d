using CloudFran.Abstractions.Errors;
using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Locations;
using CloudFran.Abstractions.Platform;
using CloudFran.Grains.Isolation;
using CloudFran.Grains.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Xunit;

namespace CloudFran.Tests.Grains;

public interface IProbeGrain : IGrainWithStringKey
{
    /// <summary>From this grain (a tenant's grain), reads a location of <paramref name="scope"/>.</summary>
    Task<string> ReadLocationAsync(TenantScope scope, string locationId);
}

/// <summary>A grain of tenant-scoped identity used to make grain-to-grain calls in tests.</summary>
public sealed class ProbeGrain : Grain, IProbeGrain
{
    public async Task<string> ReadLocationAsync(TenantScope scope, string locationId)
    {
        try
        {
            return (await GrainFactory.GetLocation(scope, locationId).GetAsync()).Name;
        }
        catch (CloudFranException e) when (e.Code == ErrorCodes.ResourceNotFound)
        {
            return "not-found";
        }
    }
}

public interface IStorageProbeGrain : IGrainWithStringKey
{
    Task WriteAsync(string value);

    Task<string?> ReadAsync();
}

public sealed class StorageProbeState
{
    public string? Value { get; set; }
}

/// <summary>A grain whose state goes through the platform's grain storage provider ("platform"), like the usage grain's.</summary>
public sealed class StorageProbeGrain([PersistentState("probe", "platform")] IPersistentState<StorageProbeState> state) : Grain, IStorageProbeGrain
{
    public async Task WriteAsync(string value)
    {
        state.State.Value = value;
        await state.WriteStateAsync();
    }

    public Task<string?> ReadAsync() => Task.FromResult(state.State.Value);
}

public sealed class IsolationAndStorageTests(GrainClusterFixture fixture) : IClassFixture<GrainClusterFixture>
{
    private IGrainFactory Grains => fixture.Cluster.Client;

    [Fact]
    public async Task Grain_to_grain_calls_across_tenants_are_refused()
    {
        var tenantA = new TenantScope(Ids.New("tn"), DataEnv.Live);
        var tenantB = new TenantScope(Ids.New("tn"), DataEnv.Live);
        var probe = Grains.GetGrain<IProbeGrain>($"{tenantA}/probe_{Ids.New("p")}");

        // Same tenant: the call goes through (and finds no such location).
        Assert.Equal("not-found", await probe.ReadLocationAsync(tenantA, Ids.New("loc")));

        // Another tenant: refused by the filter before the target grain runs.
        var refused = await Assert.ThrowsAsync<CloudFranException>(() => probe.ReadLocationAsync(tenantB, Ids.New("loc")));
        Assert.Equal(ErrorCodes.TenantMismatch, refused.Code);
    }

    [Fact]
    public async Task Request_context_tenant_must_match_the_target()
    {
        var tenantA = new TenantScope(Ids.New("tn"), DataEnv.Live);
        var tenantB = new TenantScope(Ids.New("tn"), DataEnv.Live);
        TenantContext.Set(tenantA.TenantId);
        try
        {
            var refused = await Assert.ThrowsAsync<CloudFranException>(() =>
                Grains.GetLocation(tenantB, Ids.New("loc")).GetAsync());
            Assert.Equal(ErrorCodes.TenantMismatch, refused.Code);
            var own = await Assert.ThrowsAsync<CloudFranException>(() => Grains.GetLocation(tenantA, Ids.New("loc")).GetAsync());
            Assert.Equal(ErrorCodes.ResourceNotFound, own.Code);
            // Platform-level grains are not tenant-owned and stay reachable.
            var decision = await Grains.GetApiKey(new string('0', 64)).AuthorizeAsync(new AuthRequest(false, tenantA.TenantId, Role.Viewer));
            Assert.Equal(AuthOutcome.UnknownKey, decision.Outcome);
        }
        finally
        {
            RequestContext.Clear();
        }
    }

    [Fact]
    public async Task Grain_state_is_stored_as_json_in_our_schema_and_survives_reactivation()
    {
        var tenantId = Ids.New("tn");
        await using (var conn = await fixture.DataSource.OpenConnectionAsync())
        await using (var insert = new NpgsqlCommand(
            "INSERT INTO tenants (tenant_id, business_name, plan, status) VALUES (@t, 'Usage Co', 'starter', 'active')", conn))
        {
            insert.Parameters.AddWithValue("t", tenantId);
            await insert.ExecuteNonQueryAsync();
        }
        var usage = Grains.GetTenantUsage(tenantId);
        for (var i = 0; i < 3; i++)
        {
            Assert.True((await usage.TryConsumeAsync(KeyType.Live, 10)).Allowed);
        }
        await usage.AddAsync(KeyType.Test, 5);
        var month = DateTime.UtcNow.ToString("yyyy-MM");

        // Deactivation flushes; the next activation reads the row back.
        var management = Grains.GetGrain<IManagementGrain>(0);
        await management.ForceActivationCollection(TimeSpan.Zero);
        var view = await Grains.GetTenantUsage(tenantId).GetAsync(month, 10);
        Assert.Equal(3, view.LiveCalls);
        Assert.Equal(5, view.TestCalls);
        Assert.Equal(7, view.Remaining);

        await using var read = await fixture.DataSource.OpenConnectionAsync();
        await using var cmd = new NpgsqlCommand("SELECT convert_from(payload, 'UTF8') FROM orleans_grain_state WHERE grain_id_ext = @k", read);
        cmd.Parameters.AddWithValue("k", tenantId + "/usage");
        var json = (string?)await cmd.ExecuteScalarAsync();
        Assert.NotNull(json);
        Assert.Contains("\"Months\"", json);
        Assert.DoesNotContain("$type", json);
    }

    [Fact]
    public async Task Look_alike_keys_never_share_a_storage_row()
    {
        // Keys that differ only in case, leading zeros, number spelling or environment would collide if the storage
        // provider read them as hex or numbers, or folded case. Each writes its own state through the provider.
        var live = new TenantScope(Ids.New("tn"), DataEnv.Live);
        var test = new TenantScope(live.TenantId, DataEnv.Test);
        var keys = new[] { "abc", "ABC", "Abc", "42", "042", "0042", "2a", "0x2a", "1000", "1e3" }
            .Select(s => $"{live}/probe_{s}").Append($"{test}/probe_abc").ToList();
        foreach (var key in keys)
        {
            await Grains.GetGrain<IStorageProbeGrain>(key).WriteAsync(key);
        }

        // Every key has a row of its own holding its own value...
        await using (var conn = await fixture.DataSource.OpenConnectionAsync())
        await using (var cmd = new NpgsqlCommand(
            "SELECT grain_id_ext, convert_from(payload, 'UTF8') FROM orleans_grain_state WHERE grain_id_ext = ANY(@k)", conn))
        {
            cmd.Parameters.AddWithValue("k", keys.ToArray());
            var rows = new List<(string Key, string Json)>();
            await using var reader = await cmd.ExecuteReaderAsync();
            while (await reader.ReadAsync()) rows.Add((reader.GetString(0), reader.GetString(1)));
            Assert.Equal(keys.Order(StringComparer.Ordinal), rows.Select(r => r.Key).Order(StringComparer.Ordinal));
            Assert.All(rows, r =>
            {
                using var json = System.Text.Json.JsonDocument.Parse(r.Json);
                var value = json.RootElement.EnumerateObject().Single(p => p.Name.Equals("Value", StringComparison.OrdinalIgnoreCase)).Value;
                Assert.Equal(r.Key, value.GetString());
            });
        }

        // ...and reads it back after reactivation, from storage.
        await Grains.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
        foreach (var key in keys)
        {
            Assert.Equal(key, await Grains.GetGrain<IStorageProbeGrain>(key).ReadAsync());
        }

        // The typed keys refuse look-alike tenant ids outright, so platform grains never get such keys at all.
        var a = Ids.New("tn");
        Assert.Single(new[] { a, a.ToUpperInvariant() }, k => Ids.IsValid(k, "tn"));
        Assert.Throws<FormatException>(() => LocationKey.Parse("tn_abcd/live/42"));
        Assert.Throws<FormatException>(() => TenantScope.Parse("0a/live"));
        Assert.False(Ids.IsValid("0a", "tn"));
        Assert.False(Ids.IsValid("tn_0A", "tn"));
    }

    [Fact]
    public async Task Migrations_are_applied_once_and_refuse_edits()
    {
        var again = await Migrator.ApplyAsync(fixture.DataSource, NullLogger.Instance);
        Assert.Equal(0, again);
        await using var conn = await fixture.DataSource.OpenConnectionAsync();
        await using var count = new NpgsqlCommand("SELECT count(*) FROM OrleansQuery", conn);
        Assert.True((long)(await count.ExecuteScalarAsync())! >= 20);

        await using (var tamper = new NpgsqlCommand("UPDATE schema_migrations SET checksum = 'x' WHERE version = '0002_platform'", conn))
        {
            await tamper.ExecuteNonQueryAsync();
        }
        try
        {
            await Assert.ThrowsAsync<InvalidOperationException>(() => Migrator.ApplyAsync(fixture.DataSource, NullLogger.Instance));
        }
        finally
        {
            var real = Migrator.Scripts().Single(s => s.Version == "0002_platform").Sql;
            var checksum = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(real.ReplaceLineEndings("\n"))));
            await using var restore = new NpgsqlCommand("UPDATE schema_migrations SET checksum = @c WHERE version = '0002_platform'", conn);
            restore.Parameters.AddWithValue("c", checksum);
            await restore.ExecuteNonQueryAsync();
        }
    }
}
