using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace CloudFran.Host.Database;

/// <summary>
/// A private PostgreSQL server run from the system's binaries in a data folder of ours, on a free loopback
/// port, for when no connection string is configured (development, ./run.sh, the test suite).
/// initdb refuses to run as root, so as root the server runs as the <c>postgres</c> user.
/// If a previous run crashed and left the server running, it is adopted instead of started twice.
/// </summary>
public sealed class EmbeddedPostgres : IAsyncDisposable
{
    public const string User = "cloudfran";
    public const string DefaultDatabase = "cloudfran";
    public const int DefaultMaxConnections = 300;

    private readonly string _bin;
    private readonly string _data;
    private readonly bool _asPostgresUser;
    private readonly ILogger _logger;
    private string _serverOptions = "";
    private bool _stopped;

    private EmbeddedPostgres(string bin, string root, bool asPostgresUser, ILogger logger)
    {
        _bin = bin;
        Root = root;
        _data = Path.Combine(root, "data");
        _asPostgresUser = asPostgresUser;
        _logger = logger;
    }

    public string Root { get; }
    public int Port { get; private set; }
    public string Password { get; private set; } = "";

    /// <param name="database">Database name.</param>
    /// <param name="maxPoolSize">Connections one process may hold on this database (one pool per string).</param>
    /// <param name="timeoutSeconds">Time to open a connection or wait for a free pooled one.</param>
    public string ConnectionString(string database = DefaultDatabase, int maxPoolSize = 200, int timeoutSeconds = 5) =>
        new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = Port,
            Username = User,
            Password = Password,
            Database = database,
            MaxPoolSize = maxPoolSize,
            Timeout = timeoutSeconds,
            CommandTimeout = 30,
        }.ConnectionString;

    /// <param name="root">Data folder (created when missing).</param>
    /// <param name="fastUnsafe">Turns off fsync for throwaway test servers; never for real data.</param>
    /// <param name="maxConnections">The server's <c>max_connections</c>: the sum of every client process's pools.</param>
    public static async Task<EmbeddedPostgres> StartAsync(string root, ILogger logger, bool fastUnsafe = false,
        int maxConnections = DefaultMaxConnections, CancellationToken ct = default)
    {
        root = Path.GetFullPath(root);
        var bin = FindBinaries()
            ?? throw new InvalidOperationException(
                "PostgreSQL server binaries were not found (looked in /usr/lib/postgresql/*/bin and CLOUDFRAN_PG_BIN). " +
                "Install them with 'apt-get install -y postgresql' or set ConnectionStrings__Postgres.");
        var pg = new EmbeddedPostgres(bin, root, IsRoot(), logger);
        await pg.StartCoreAsync(fastUnsafe, maxConnections, ct);
        return pg;
    }

    private async Task StartCoreAsync(bool fastUnsafe, int maxConnections, CancellationToken ct)
    {
        Directory.CreateDirectory(Root);
        var passwordFile = Path.Combine(Root, "password");
        if (!File.Exists(Path.Combine(_data, "PG_VERSION")))
        {
            Password = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
            await File.WriteAllTextAsync(passwordFile, Password, ct);
            File.SetUnixFileMode(passwordFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            Directory.CreateDirectory(_data);
            var pwfile = Path.Combine(Root, "initdb.pw");
            await File.WriteAllTextAsync(pwfile, Password, ct);
            await OwnAsync(ct);
            try
            {
                await RunAsync("initdb", ["-D", _data, "-U", User, "--pwfile", pwfile, "--auth", "scram-sha-256",
                    "-E", "UTF8", "--locale", "C.UTF-8"], ct);
            }
            finally
            {
                File.Delete(pwfile);
            }
            _logger.LogInformation("Initialised embedded PostgreSQL data folder {Data}", _data);
        }
        else
        {
            Password = (await File.ReadAllTextAsync(passwordFile, ct)).Trim();
        }

        var adopted = await TryAdoptRunningAsync(ct);
        if (!adopted)
        {
            Port = FreePort();
            var options = $"-p {Port} -c listen_addresses=127.0.0.1 -k '' -c timezone=UTC -c max_connections={maxConnections}";
            if (fastUnsafe)
            {
                options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off";
            }
            _serverOptions = options;
            await OwnAsync(ct);
            await RunAsync("pg_ctl", ["-D", _data, "-l", Path.Combine(Root, "postgres.log"), "-w", "-t", "60",
                "-o", options, "start"], ct);
            _logger.LogInformation("Embedded PostgreSQL listening on 127.0.0.1:{Port}", Port);
        }
        await EnsureDatabaseAsync(DefaultDatabase, ct);
    }

    public async Task EnsureDatabaseAsync(string database, CancellationToken ct = default)
    {
        await using var conn = new NpgsqlConnection(ConnectionString("postgres"));
        await conn.OpenAsync(ct);
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = @n", conn);
        exists.Parameters.AddWithValue("n", database);
        if (await exists.ExecuteScalarAsync(ct) is null)
        {
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{database.Replace("\"", "")}\"", conn);
            await create.ExecuteNonQueryAsync(ct);
        }
    }

    /// <summary>Stops the server (fast shutdown: open sessions are ended, committed data is on disk).</summary>
    public async Task StopAsync()
    {
        if (_stopped)
        {
            return;
        }
        _stopped = true;
        NpgsqlConnection.ClearAllPools();
        try
        {
            await RunAsync("pg_ctl", ["-D", _data, "-m", "fast", "-w", "-t", "60", "stop"], CancellationToken.None);
        }
        catch (Exception e)
        {
            _logger.LogWarning(e, "Stopping embedded PostgreSQL failed");
        }
    }

    /// <summary>Starts a stopped server again on the same port (outage tests).</summary>
    public async Task RestartAsync(CancellationToken ct = default)
    {
        _stopped = false;
        await RunAsync("pg_ctl", ["-D", _data, "-l", Path.Combine(Root, "postgres.log"), "-w", "-t", "60",
            "-o", _serverOptions.Length > 0 ? _serverOptions : $"-p {Port} -c listen_addresses=127.0.0.1 -k ''", "start"], ct);
    }

    public ValueTask DisposeAsync() => new(StopAsync());

    private async Task<bool> TryAdoptRunningAsync(CancellationToken ct)
    {
        var pidFile = Path.Combine(_data, "postmaster.pid");
        if (!File.Exists(pidFile))
        {
            return false;
        }
        var lines = await File.ReadAllLinesAsync(pidFile, ct);
        if (lines.Length < 4 || !int.TryParse(lines[0], out var pid) || !int.TryParse(lines[3], out var port))
        {
            return false;
        }
        try
        {
            using var process = Process.GetProcessById(pid);
            if (process.HasExited)
            {
                return false;
            }
        }
        catch (ArgumentException)
        {
            return false; // stale pid file: postgres removes it itself on the next start
        }
        Port = port;
        try
        {
            await using var conn = new NpgsqlConnection(ConnectionString("postgres"));
            await conn.OpenAsync(ct);
            _logger.LogInformation("Adopted running embedded PostgreSQL on port {Port}", Port);
            return true;
        }
        catch (NpgsqlException)
        {
            return false;
        }
    }

    private async Task OwnAsync(CancellationToken ct)
    {
        if (_asPostgresUser)
        {
            await RunRawAsync("chown", ["-R", "postgres:postgres", Root], ct);
            var probe = await RunRawAsync("runuser", ["-u", "postgres", "--", "test", "-w", Root], ct, throwOnError: false);
            if (probe != 0)
            {
                throw new InvalidOperationException(
                    $"The postgres user cannot reach {Root} (a parent folder is not traversable). " +
                    "Set CLOUDFRAN_DATA_DIR to a folder such as /var/lib/cloudfran.");
            }
        }
    }

    private Task RunAsync(string tool, IReadOnlyList<string> args, CancellationToken ct)
    {
        var exe = Path.Combine(_bin, tool);
        return _asPostgresUser
            ? RunRawAsync("runuser", ["-u", "postgres", "--", exe, .. args], ct)
            : RunRawAsync(exe, args, ct);
    }

    private async Task<int> RunRawAsync(string exe, IReadOnlyList<string> args, CancellationToken ct, bool throwOnError = true)
    {
        var psi = new ProcessStartInfo(exe)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = "/",
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"Could not start {exe}.");
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        if (process.ExitCode != 0 && throwOnError)
        {
            throw new InvalidOperationException(
                $"{Path.GetFileName(exe)} {string.Join(' ', args)} failed ({process.ExitCode}): {await stderr}{await stdout}");
        }
        return process.ExitCode;
    }

    private static string? FindBinaries()
    {
        var configured = Environment.GetEnvironmentVariable("CLOUDFRAN_PG_BIN");
        if (!string.IsNullOrEmpty(configured) && File.Exists(Path.Combine(configured, "pg_ctl")))
        {
            return configured;
        }
        const string root = "/usr/lib/postgresql";
        if (!Directory.Exists(root))
        {
            return null;
        }
        return Directory.GetDirectories(root)
            .Select(d => (Dir: Path.Combine(d, "bin"), Version: int.TryParse(Path.GetFileName(d), out var v) ? v : 0))
            .Where(d => File.Exists(Path.Combine(d.Dir, "pg_ctl")) && File.Exists(Path.Combine(d.Dir, "initdb")))
            .OrderByDescending(d => d.Version)
            .Select(d => d.Dir)
            .FirstOrDefault();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static bool IsRoot() => OperatingSystem.IsLinux() && Environment.UserName == "root";
}
