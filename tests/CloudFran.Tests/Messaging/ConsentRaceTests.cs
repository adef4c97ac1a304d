using CloudFran.Grains.Messaging;
using CloudFran.Grains.Storage;
using CloudFran.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Xunit;

namespace CloudFran.Tests.Messaging;

/// <summary>
/// Two writers of one phone's consent (a duplicate activation while a node dies): exactly one of them sees the change,
/// so the opt-out event is emitted once.
/// </summary>
public sealed class ConsentRaceTests : IAsyncLifetime
{
    private NpgsqlDataSource _source = null!;
    private PlatformDb _db = null!;

    public async Task InitializeAsync()
    {
        _source = NpgsqlDataSource.Create(await TestPostgres.CreateDatabaseAsync("consentrace"));
        await Migrator.ApplyAsync(_source, NullLogger.Instance);
        _db = new PlatformDb(_source);
    }

    public async Task DisposeAsync() => await _source.DisposeAsync();

    [Fact]
    public async Task Concurrent_first_opt_outs_of_one_phone_see_the_change_exactly_once()
    {
        var scope = new TenantScope(Ids.New("tn"), DataEnv.Live);
        await _db.ExecuteAsync("INSERT INTO tenants (tenant_id, business_name, plan, status) VALUES (@t, 'Race', 'pro', 'active')",
            ("t", scope.TenantId));
        for (var round = 0; round < 20; round++)
        {
            var phone = $"+1725555{round:D4}";
            async Task<string?> OptOutAsync()
            {
                await using var tx = await _db.BeginAsync();
                var previous = await SmsConsentRows.SetConsentAsync(tx, scope, phone, "opted_out", "customer_request", "sms", DateTimeOffset.UtcNow);
                await tx.CommitAsync();
                return previous;
            }
            var results = await Task.WhenAll(OptOutAsync(), OptOutAsync());
            Assert.Equal(1, results.Count(r => r is null));
            Assert.Equal(1, results.Count(r => r == "opted_out"));
        }
    }
}
