using CloudFran.Host.Database;
using Microsoft.Extensions.Logging.Abstractions;

namespace CloudFran.Tests.Infrastructure;

/// <summary>
/// One throwaway PostgreSQL server per test run, started from the system's binaries with the same mechanism
/// the host uses (fsync off: nothing here needs to outlive the run). Each fixture takes a fresh database.
/// </summary>
public static class TestPostgres
{
    private static readonly Lazy<Task<EmbeddedPostgres>> Server = new(StartAsync);
    private static int _databases;

    // Test classes run in parallel and each host opens a few pools (platform data source, Orleans storage,
    // clustering, reminders) per database, so the server allows many connections and every pool is kept small.
    private const int PoolPerDatabase = 40;
    private const int ServerConnections = 1500;

    public static Task<EmbeddedPostgres> GetAsync() => Server.Value;

    /// <summary>A new, empty database on the shared server; returns its connection string.</summary>
    public static async Task<string> CreateDatabaseAsync(string purpose)
    {
        var server = await Server.Value;
        var name = $"t{Environment.ProcessId}_{Interlocked.Increment(ref _databases)}_{purpose}".ToLowerInvariant();
        await server.EnsureDatabaseAsync(name);
        return server.ConnectionString(name, maxPoolSize: PoolPerDatabase, timeoutSeconds: 15);
    }

    private static async Task<EmbeddedPostgres> StartAsync()
    {
        var root = Path.Combine(Path.GetTempPath(), $"cloudfran-tests-{Environment.ProcessId}");
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }
        var server = await EmbeddedPostgres.StartAsync(root, NullLogger.Instance, fastUnsafe: true, maxConnections: ServerConnections);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            server.StopAsync().GetAwaiter().GetResult();
            try { Directory.Delete(root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        };
        return server;
    }
}
