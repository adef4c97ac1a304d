using System.Collections.Concurrent;
using CloudFran.Abstractions.Platform;
using Npgsql;

namespace CloudFran.Grains.Storage;

/// <summary>
/// The platform's PostgreSQL: one pooled <see cref="NpgsqlDataSource"/> shared by grains, migrations and the
/// Orleans providers. Every statement of the platform goes through one of these helpers, on their own
/// (<see cref="PlatformDb"/>: one pooled connection per statement) or inside a transaction
/// (<see cref="BeginAsync"/> / <see cref="InTransactionAsync{T}"/>): the same methods, the same parameter style.
/// </summary>
public sealed class PlatformDb(NpgsqlDataSource source) : ISql
{
    public NpgsqlDataSource Source { get; } = source;

    // When this node last checked each table's statistics (Environment.TickCount64), for RefreshStatisticsAsync.
    private readonly ConcurrentDictionary<string, long> _statisticsCheckedAt = new(StringComparer.Ordinal);
    private static readonly TimeSpan StatisticsCheckInterval = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Keeps planner statistics current for tables that grow in bursts. A bulk write (lead generation or import, a
    /// segment enrolled in a campaign, campaign passes) can leave a table's statistics describing it as nearly empty
    /// until autovacuum's next visit, minutes later; a join planned on them scans the whole table once per row (a
    /// 500-touch Autopilot batch took 2 s instead of 20 ms). This analyzes each listed table whose rows changed by
    /// more than autovacuum's own threshold (50 rows plus 10 %) since its last analysis. Each table is checked at
    /// most every 10 s per node; a check is one catalog read, and <c>SKIP_LOCKED</c> never waits on an analysis
    /// running elsewhere. The change counters can lag by about a second; see <see cref="AnalyzeAfterBulkWriteAsync"/>.
    /// </summary>
    public async Task RefreshStatisticsAsync(params string[] tables)
    {
        var now = Environment.TickCount64;
        var due = tables.Where(t => now - _statisticsCheckedAt.GetOrAdd(t, long.MinValue / 2) >= (long)StatisticsCheckInterval.TotalMilliseconds).ToArray();
        if (due.Length == 0)
        {
            return;
        }
        foreach (var table in due)
        {
            _statisticsCheckedAt[table] = now;
        }
        foreach (var table in await QueryAsync(
            """
            SELECT relname::text FROM pg_stat_user_tables
             WHERE schemaname = current_schema() AND relname = ANY(@tables)
               AND n_mod_since_analyze > 50 + 0.1 * greatest(n_live_tup, 0)
            """, r => r.GetString(0), ("tables", due)))
        {
            await AnalyzeAsync(table);
        }
    }

    /// <summary>
    /// After a statement that wrote <paramref name="rowsWritten"/> rows to <paramref name="table"/>: analyzes it at
    /// once when those rows alone exceed the threshold against the row count the planner currently believes.
    /// </summary>
    public async Task AnalyzeAfterBulkWriteAsync(string table, long rowsWritten)
    {
        if (rowsWritten <= 50)
        {
            return;
        }
        var believed = await ScalarAsync<float?>(
            "SELECT reltuples FROM pg_class WHERE oid = to_regclass(@table)", ("table", table)) ?? 0;
        if (rowsWritten > 50 + 0.1 * Math.Max(believed, 0))
        {
            await AnalyzeAsync(table);
            _statisticsCheckedAt[table] = Environment.TickCount64;
        }
    }

    // Only ever called with the platform's own table names; quoted all the same.
    private Task<int> AnalyzeAsync(string table) =>
        ExecuteAsync($"ANALYZE (SKIP_LOCKED) \"{table.Replace("\"", "\"\"", StringComparison.Ordinal)}\"");

    public Task<int> ExecuteAsync(string sql, params (string Name, object? Value)[] args) =>
        SqlStatements.ExecuteAsync(Source.CreateCommand(sql), args);

    public Task<T?> ScalarAsync<T>(string sql, params (string Name, object? Value)[] args) =>
        SqlStatements.ScalarAsync<T>(Source.CreateCommand(sql), args);

    public Task<List<T>> QueryAsync<T>(string sql, Func<NpgsqlDataReader, T> map, params (string Name, object? Value)[] args) =>
        SqlStatements.QueryAsync(Source.CreateCommand(sql), map, args);

    /// <summary>
    /// For "insert, or return the row already stored under this key" statements (<c>INSERT … ON CONFLICT DO NOTHING
    /// RETURNING</c> united with a SELECT of the existing row). When a concurrent request inserts the same key and
    /// commits while this statement waits on it, the statement's snapshot cannot see that row and returns nothing;
    /// run once more, the statement sees it. Never returns an empty list for such a statement.
    /// </summary>
    public async Task<List<T>> InsertOrGetAsync<T>(string sql, Func<NpgsqlDataReader, T> map,
        params (string Name, object? Value)[] args)
    {
        var rows = await QueryAsync(sql, map, args);
        return rows.Count > 0 ? rows : await QueryAsync(sql, map, args);
    }

    /// <summary>Opens a connection and begins a transaction on it; dispose without <c>CommitAsync</c> to roll back.</summary>
    public async Task<PlatformTransaction> BeginAsync(CancellationToken ct = default)
    {
        var connection = await Source.OpenConnectionAsync(ct);
        try
        {
            return new PlatformTransaction(connection, await connection.BeginTransactionAsync(ct));
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>Runs <paramref name="work"/> in one transaction and commits it when the work returns.</summary>
    public async Task<T> InTransactionAsync<T>(Func<PlatformTransaction, Task<T>> work, CancellationToken ct = default)
    {
        await using var tx = await BeginAsync(ct);
        var result = await work(tx);
        await tx.CommitAsync(ct);
        return result;
    }

    /// <inheritdoc cref="InTransactionAsync{T}"/>
    public Task InTransactionAsync(Func<PlatformTransaction, Task> work, CancellationToken ct = default) =>
        InTransactionAsync(async tx => { await work(tx); return true; }, ct);

    /// <summary>True when a trivial query answers within the timeout.</summary>
    public async Task<bool> PingAsync(TimeSpan timeout)
    {
        try
        {
            using var cts = new CancellationTokenSource(timeout);
            await using var cmd = Source.CreateCommand("SELECT 1");
            await cmd.ExecuteScalarAsync(cts.Token);
            return true;
        }
        catch (Exception e) when (e is NpgsqlException or OperationCanceledException or TimeoutException
                                      or InvalidOperationException)
        {
            return false;
        }
    }
}

public static class ReaderExtensions
{
    public static string? NullableString(this NpgsqlDataReader r, string column)
    {
        var i = r.GetOrdinal(column);
        return r.IsDBNull(i) ? null : r.GetString(i);
    }

    public static DateTimeOffset? NullableTime(this NpgsqlDataReader r, string column)
    {
        var i = r.GetOrdinal(column);
        return r.IsDBNull(i) ? null : new DateTimeOffset(r.GetDateTime(i), TimeSpan.Zero);
    }

    public static DateTimeOffset Time(this NpgsqlDataReader r, string column) =>
        new(r.GetDateTime(r.GetOrdinal(column)), TimeSpan.Zero);
}
