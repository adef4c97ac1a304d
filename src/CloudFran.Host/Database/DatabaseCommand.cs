using Microsoft.Extensions.Logging.Abstractions;

namespace CloudFran.Host.Database;

/// <summary>
/// <c>CloudFran.Host db start|stop &lt;dataDir&gt;</c>: runs the embedded PostgreSQL on its own, outliving this
/// command, so that several platform nodes can share it (deploy/local-cluster.sh). <c>start</c> prints the
/// connection string on stdout.
/// </summary>
public static class DatabaseCommand
{
    public static async Task<int> RunAsync(string command, string dataDir)
    {
        switch (command)
        {
            case "start":
                var server = await EmbeddedPostgres.StartAsync(dataDir, NullLogger.Instance);
                Console.WriteLine(server.ConnectionString());
                return 0;
            case "stop":
                var running = await EmbeddedPostgres.StartAsync(dataDir, NullLogger.Instance);
                await running.StopAsync();
                return 0;
            default:
                await Console.Error.WriteLineAsync("usage: CloudFran.Host db start|stop <dataDir>");
                return 2;
        }
    }
}
