using CloudFran.Abstractions.Platform;
using Npgsql;

namespace CloudFran.Grains.Storage;

/// <summary>
/// The statements the platform runs, whether on a pooled connection of its own (<see cref="PlatformDb"/>) or inside a
/// transaction (<see cref="PlatformTransaction"/>). Code that must work both ways (the event outbox, row writers
/// shared by grains and importers) takes an <see cref="ISql"/>. Parameters are <c>(name, value)</c> pairs; a null
/// value is sent as SQL NULL.
/// </summary>
public interface ISql
{
    Task<int> ExecuteAsync(string sql, params (string Name, object? Value)[] args);

    Task<T?> ScalarAsync<T>(string sql, params (string Name, object? Value)[] args);

    Task<List<T>> QueryAsync<T>(string sql, Func<NpgsqlDataReader, T> map, params (string Name, object? Value)[] args);
}

/// <summary>
/// Statements on a connection someone else opened and will close (the migrator's advisory-lock session), optionally
/// inside a transaction of theirs.
/// </summary>
public sealed class SqlSession(NpgsqlConnection connection, NpgsqlTransaction? transaction = null) : ISql
{
    public Task<int> ExecuteAsync(string sql, params (string Name, object? Value)[] args) =>
        SqlStatements.ExecuteAsync(Command(sql), args);

    public Task<T?> ScalarAsync<T>(string sql, params (string Name, object? Value)[] args) =>
        SqlStatements.ScalarAsync<T>(Command(sql), args);

    public Task<List<T>> QueryAsync<T>(string sql, Func<NpgsqlDataReader, T> map, params (string Name, object? Value)[] args) =>
        SqlStatements.QueryAsync(Command(sql), map, args);

    private NpgsqlCommand Command(string sql) => new(sql, connection, transaction);
}

/// <summary>
/// One connection with one open transaction (from <see cref="PlatformDb.BeginAsync"/>). Dispose without
/// <see cref="CommitAsync"/> to roll back; disposing also returns the connection to the pool.
/// </summary>
public sealed class PlatformTransaction(NpgsqlConnection connection, NpgsqlTransaction transaction) : ISql, IAsyncDisposable
{
    private readonly SqlSession _session = new(connection, transaction);

    public Task<int> ExecuteAsync(string sql, params (string Name, object? Value)[] args) => _session.ExecuteAsync(sql, args);

    public Task<T?> ScalarAsync<T>(string sql, params (string Name, object? Value)[] args) => _session.ScalarAsync<T>(sql, args);

    public Task<List<T>> QueryAsync<T>(string sql, Func<NpgsqlDataReader, T> map, params (string Name, object? Value)[] args) =>
        _session.QueryAsync(sql, map, args);

    public Task CommitAsync(CancellationToken ct = default) => transaction.CommitAsync(ct);

    /// <summary>Rolls back now, where the work continues on the same connection (a dispose alone also rolls back).</summary>
    public Task RollbackAsync(CancellationToken ct = default) => transaction.RollbackAsync(ct);

    public async ValueTask DisposeAsync()
    {
        await transaction.DisposeAsync();
        await connection.DisposeAsync();
    }
}

/// <summary>Queries built on the three statements every <see cref="ISql"/> runs.</summary>
public static class SqlQueries
{
    /// <summary>The first row, or null when there is none.</summary>
    public static async Task<T?> QuerySingleAsync<T>(this ISql sql, string statement, Func<NpgsqlDataReader, T> map,
        params (string Name, object? Value)[] args) where T : class
    {
        var rows = await sql.QueryAsync(statement, map, args);
        return rows.Count == 0 ? null : rows[0];
    }

    /// <summary>
    /// One page of a list: <paramref name="select"/> is a SELECT that ends with its ORDER BY and whose last column is
    /// <c>count(*) OVER ()</c> (the total before paging). LIMIT and OFFSET are added here from the 1-based page; a
    /// page past the end still reports the true total.
    /// </summary>
    public static async Task<PagedList<T>> PageAsync<T>(this ISql sql, string select, Func<NpgsqlDataReader, T> map,
        int page, int pageSize, params (string Name, object? Value)[] args)
    {
        long total = 0;
        var rows = await sql.QueryAsync($"{select} LIMIT @page_limit OFFSET @page_offset", r =>
            {
                total = r.GetInt64(r.FieldCount - 1);
                return map(r);
            },
            [.. args, ("page_limit", pageSize), ("page_offset", (long)(page - 1) * pageSize)]);
        if (rows.Count == 0 && page > 1)
        {
            // A page past the end carries no row to read the total from: count the same selection.
            total = await sql.ScalarAsync<long>($"SELECT count(*) FROM ({select}) AS page_source", args);
        }
        return new PagedList<T>(rows, page, pageSize, total);
    }
}

/// <summary>The one implementation behind every <see cref="ISql"/> runner.</summary>
internal static class SqlStatements
{
    public static async Task<int> ExecuteAsync(NpgsqlCommand command, (string Name, object? Value)[] args)
    {
        await using var cmd = Bind(command, args);
        return await cmd.ExecuteNonQueryAsync();
    }

    public static async Task<T?> ScalarAsync<T>(NpgsqlCommand command, (string Name, object? Value)[] args)
    {
        await using var cmd = Bind(command, args);
        var value = await cmd.ExecuteScalarAsync();
        return value is null or DBNull ? default : (T)value;
    }

    public static async Task<List<T>> QueryAsync<T>(NpgsqlCommand command, Func<NpgsqlDataReader, T> map,
        (string Name, object? Value)[] args)
    {
        await using var cmd = Bind(command, args);
        await using var reader = await cmd.ExecuteReaderAsync();
        var rows = new List<T>();
        while (await reader.ReadAsync())
        {
            rows.Add(map(reader));
        }
        return rows;
    }

    private static NpgsqlCommand Bind(NpgsqlCommand cmd, (string Name, object? Value)[] args)
    {
        foreach (var (name, value) in args)
        {
            cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }
        return cmd;
    }
}
