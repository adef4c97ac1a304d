using Npgsql;

namespace CloudFran.Grains.Storage;

/// <summary>
/// The platform's PostgreSQL: one pooled <see cref="NpgsqlDataSource"/> shared by grains, migrations and the
/// Orleans providers. Small helpers keep call sites to one statement each.
/// </summary>
public sealed class PlatformDb(NpgsqlDataSource source)
{
    public NpgsqlDataSource Source { get; } = source;

    public async Task<int> ExecuteAsync(string sql, params (string Name, object? Value)[] args)
    {
        await using var cmd = Command(sql, args);
        return await cmd.ExecuteNonQueryAsync();
    }

    public async Task<T?> ScalarAsync<T>(string sql, params (string Name, object? Value)[] args)
    {
        await using var cmd = Command(sql, args);
        var value = await cmd.ExecuteScalarAsync();
        return value is null or DBNull ? default : (T)value;
    }

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

    public async Task<List<T>> QueryAsync<T>(string sql, Func<NpgsqlDataReader, T> map,
        params (string Name, object? Value)[] args)
    {
        await using var cmd = Command(sql, args);
        await using var reader = await cmd.ExecuteReaderAsync();
        var rows = new List<T>();
        while (await reader.ReadAsync())
        {
            rows.Add(map(reader));
        }
        return rows;
    }

    public async Task<T?> QuerySingleAsync<T>(string sql, Func<NpgsqlDataReader, T> map,
        params (string Name, object? Value)[] args) where T : class
    {
        var rows = await QueryAsync(sql, map, args);
        return rows.Count == 0 ? null : rows[0];
    }

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

    private NpgsqlCommand Command(string sql, (string Name, object? Value)[] args)
    {
        var cmd = Source.CreateCommand(sql);
        foreach (var (name, value) in args)
        {
            cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }
        return cmd;
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
