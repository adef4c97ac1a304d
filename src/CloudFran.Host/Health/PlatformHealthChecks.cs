using CloudFran.Abstractions.Platform;
using CloudFran.Grains.Storage;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Orleans.Runtime;

namespace CloudFran.Host.Health;

/// <summary>Readiness: PostgreSQL answers within two seconds.</summary>
public sealed class DatabaseHealthCheck(PlatformDb db) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        await db.PingAsync(TimeSpan.FromSeconds(2)) ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("PostgreSQL does not answer.");
}

/// <summary>Readiness: this node is an active cluster member; reports its name and the active node count.</summary>
public sealed class ClusterHealthCheck(IClusterMembershipService membership, ILocalSiloDetails silo) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var snapshot = membership.CurrentSnapshot;
        var active = snapshot.Members.Values.Count(m => m.Status == SiloStatus.Active);
        var selfActive = snapshot.GetSiloStatus(silo.SiloAddress) == SiloStatus.Active;
        var data = new Dictionary<string, object> { [PlatformHealth.NodeData] = silo.Name, [PlatformHealth.ActiveSilosData] = active };
        return Task.FromResult(selfActive
            ? HealthCheckResult.Healthy(data: data)
            : HealthCheckResult.Unhealthy("This node is not an active cluster member.", data: data));
    }
}

public static class PlatformHealthChecks
{
    /// <summary>The readiness checks <c>GET /health</c> reports (database, cluster).</summary>
    public static IServiceCollection AddPlatformHealthChecks(this IServiceCollection services)
    {
        services.AddHealthChecks()
            .AddCheck<DatabaseHealthCheck>(PlatformHealth.Database, tags: [PlatformHealth.ReadyTag])
            .AddCheck<ClusterHealthCheck>(PlatformHealth.Cluster, tags: [PlatformHealth.ReadyTag]);
        return services;
    }
}
