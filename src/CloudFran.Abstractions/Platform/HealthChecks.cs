namespace CloudFran.Abstractions.Platform;

/// <summary>
/// The names shared by the readiness checks the Host registers (ASP.NET Core health checks) and the
/// <c>GET /health</c> report Web renders from them.
/// </summary>
public static class PlatformHealth
{
    /// <summary>Tag of the checks that make up readiness.</summary>
    public const string ReadyTag = "ready";

    /// <summary>PostgreSQL answers a ping.</summary>
    public const string Database = "database";

    /// <summary>This node is an active member of the cluster.</summary>
    public const string Cluster = "cluster";

    /// <summary>Data of the cluster check: this node's name (string) and the count of active nodes (int).</summary>
    public const string NodeData = "node";

    public const string ActiveSilosData = "activeSilos";
}
