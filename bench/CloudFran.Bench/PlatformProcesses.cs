using System.Diagnostics;
using Npgsql;

namespace CloudFran.Bench;

/// <summary>
/// For the scenarios that run platform nodes of their own: a fresh database on the benchmark's PostgreSQL server,
/// one host process (stdout/stderr to a log file), a graceful SIGTERM stop, and deploy/local-cluster.sh.
/// </summary>
public static class PlatformProcesses
{
    public static (string RepoRoot, string HostDll, string Postgres) Require(BenchContext context) =>
        context is { RepoRoot: { } repo, HostDll: { } dll, PostgresConnectionString: { } pg }
            ? (repo, dll, pg)
            : throw new InvalidOperationException(
                "needs --repo, the Release host dll and CLOUDFRAN_BENCH_POSTGRES (bench/run.sh provides them)");

    /// <summary>Creates an empty database on the server and returns its connection string.</summary>
    public static async Task<string> CreateDatabaseAsync(string serverConnectionString, string purpose)
    {
        var name = $"bench_{purpose}_{Guid.NewGuid():N}"[..40];
        await using (var conn = new NpgsqlConnection(serverConnectionString))
        {
            await conn.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", conn);
            await create.ExecuteNonQueryAsync();
        }
        return new NpgsqlConnectionStringBuilder(serverConnectionString) { Database = name }.ConnectionString;
    }

    /// <summary>Starts <c>dotnet CloudFran.Host.dll</c> with the given environment; output goes to <paramref name="log"/>.</summary>
    public static Process StartHost(string hostDll, string log, IReadOnlyDictionary<string, string> environment)
    {
        var info = new ProcessStartInfo("bash") { UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("exec dotnet \"$0\" >\"$1\" 2>&1");
        info.ArgumentList.Add(hostDll);
        info.ArgumentList.Add(log);
        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }
        return Process.Start(info) ?? throw new InvalidOperationException("could not start the host");
    }

    /// <summary>SIGTERM (graceful: the silo leaves the membership table), SIGKILL after 60 s.</summary>
    public static async Task StopAsync(Process process)
    {
        if (process.HasExited)
        {
            return;
        }
        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
        }
    }

    /// <summary>Runs deploy/local-cluster.sh with the given arguments and environment; throws with its output on failure.</summary>
    public static async Task LocalClusterAsync(string repoRoot, IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        var info = new ProcessStartInfo("bash")
        {
            UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = repoRoot,
        };
        info.ArgumentList.Add(Path.Combine(repoRoot, "deploy/local-cluster.sh"));
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }
        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not run local-cluster.sh");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"local-cluster.sh {string.Join(' ', arguments)} exited {process.ExitCode}: {await stdout} {await stderr}");
        }
    }

    /// <summary>Polls <paramref name="url"/> until it answers 2xx; returns false when the process exits or time runs out.</summary>
    public static async Task<bool> WaitForSuccessAsync(HttpClient client, string url, Process? process, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < timeout)
        {
            try
            {
                using var response = await client.GetAsync(url);
                if (response.IsSuccessStatusCode)
                {
                    return true;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }
            if (process is { HasExited: true })
            {
                return false;
            }
            await Task.Delay(25);
        }
        return false;
    }
}
