using System.Reflection;
using CloudFran.Grains.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Orleans.Runtime;

namespace CloudFran.Web.Apis;

public sealed record HealthServices(string Database, string Cluster);

public sealed record HealthReport(string Status, DateTimeOffset Timestamp, string Version, HealthServices Services,
    string Node, int ActiveSilos);

/// <summary>
/// <c>GET /health</c> in the lead gateway's shape; 503 while PostgreSQL does not answer (readiness).
/// <c>GET /health/live</c> answers 200 while the process runs (liveness).
/// </summary>
public static class HealthApi
{
    private static readonly string Version =
        typeof(HealthApi).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/health", async (PlatformDb db, IClusterMembershipService membership, ILocalSiloDetails silo, TimeProvider clock) =>
            {
                var dbUp = await db.PingAsync(TimeSpan.FromSeconds(2));
                var snapshot = membership.CurrentSnapshot;
                var active = snapshot.Members.Values.Count(m => m.Status == SiloStatus.Active);
                var selfActive = snapshot.GetSiloStatus(silo.SiloAddress) == SiloStatus.Active;
                var report = new HealthReport(dbUp && selfActive ? "healthy" : "unhealthy", clock.GetUtcNow(), Version,
                    new HealthServices(dbUp ? "connected" : "disconnected", selfActive ? "connected" : "disconnected"),
                    silo.Name, active);
                return Results.Json(report, statusCode: dbUp && selfActive ? 200 : 503);
            })
            .WithTags("Operations").WithName("Health")
            .WithSummary("Readiness: database and cluster state; 503 when either is down.")
            .Produces<HealthReport>().Produces<HealthReport>(503);

        routes.MapGet("/health/live", () => Results.Json(new { status = "alive" }))
            .WithTags("Operations").WithName("Liveness").WithSummary("Liveness: the process answers.");
        return routes;
    }
}
