using CloudFran.Grains.Isolation;
using CloudFran.Grains.Storage;
using CloudFran.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Orleans.TestingHost;
using Xunit;

namespace CloudFran.Tests.Grains;

/// <summary>An in-process Orleans test cluster (one silo) on the platform's storage providers and real PostgreSQL.</summary>
public sealed class GrainClusterFixture : IAsyncLifetime
{
    public InProcessTestCluster Cluster { get; private set; } = null!;
    public NpgsqlDataSource DataSource { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        DataSource = new NpgsqlDataSourceBuilder(await TestPostgres.CreateDatabaseAsync("grains")).Build();
        await Migrator.ApplyAsync(DataSource, NullLogger.Instance);
        var builder = new InProcessTestClusterBuilder(1);
        var dataSource = DataSource;
        builder.ConfigureSilo((_, silo) =>
        {
            silo.Services.AddSingleton(dataSource);
            silo.Services.AddSingleton<PlatformDb>();
            silo.Services.AddSingleton(TimeProvider.System);
            silo.AddAdoNetGrainStorage("platform", o => { o.Invariant = "Npgsql"; o.DataSource = dataSource; });
            silo.UseSystemTextJsonGrainStorageSerializer();
            silo.AddIncomingGrainCallFilter<TenantIsolationFilter>();
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        await Cluster.DisposeAsync();
        await DataSource.DisposeAsync();
    }
}
