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

    Task<T?> QuerySingleAsync<T>(string sql, Func<NpgsqlDataReader, T> map, params (string Name, object? Value)[] args)
        where T : class;

    /// <summary>
    /// One page of a list: <paramref name="sql"/> is a SELECT that ends with its ORDER BY and whose last column is
    /// <c>count(*) OVER ()</c> (the total before paging). LIMIT and OFFSET are added here from the 1-based page; a
    /// page past the end still reports the true total.
    /// </summary>
    Task<PagedList<T>> PageAsync<T>(string sql, Func<NpgsqlDataReader, T> map, int page, int pageSize,
        params (string Name, object? Value)[] args);
}

/// <summary>
/// One connection with one open transaction (from <see cref="PlatformDb.BeginAsync"/>). Dispose without
/// <see cref="CommitAsync"/> to roll back; disposing also returns the connection to the pool. A transaction may be
/// null only for the transitional wrappers of a connection opened by hand, which are never disposed here.
/// </summary>
public sealed class PlatformTransaction(NpgsqlConnection connection, NpgsqlTransaction? transaction) : ISql, IAsyncDisposable
{
    public NpgsqlConnection Connection { get; } = connection;

    public NpgsqlTransaction? Transaction { get; } = transaction;

    public Task<int> ExecuteAsync(string sql, params (string Name, object? Value)[] args) =>
        SqlStatements.ExecuteAsync(Command(sql), args);

    public Task<T?> ScalarAsync<T>(string sql, params (string Name, object? Value)[] args) =>
        SqlStatements.ScalarAsync<T>(Command(sql), args);

    public Task<List<T>> QueryAsync<T>(string sql, Func<NpgsqlDataReader, T> map, params (string Name, object? Value)[] args) =>
        SqlStatements.QueryAsync(Command(sql), map, args);

    public async Task<T?> QuerySingleAsync<T>(string sql, Func<NpgsqlDataReader, T> map,
        params (string Name, object? Value)[] args) where T : class
    {
        var rows = await QueryAsync(sql, map, args);
        return rows.Count == 0 ? null : rows[0];
    }

    public Task<PagedList<T>> PageAsync<T>(string sql, Func<NpgsqlDataReader, T> map, int page, int pageSize,
        params (string Name, object? Value)[] args) =>
        SqlStatements.PageAsync(this, sql, map, page, pageSize, args);

    public Task CommitAsync(CancellationToken ct = default) =>
        Transaction?.CommitAsync(ct) ?? throw new InvalidOperationException("No transaction to commit.");

    /// <summary>Rolls back now, where the work continues on the same connection (a dispose alone also rolls back).</summary>
    public Task RollbackAsync(CancellationToken ct = default) =>
        Transaction?.RollbackAsync(ct) ?? throw new InvalidOperationException("No transaction to roll back.");

    public async ValueTask DisposeAsync()
    {
        if (Transaction is not null)
        {
            await Transaction.DisposeAsync();
        }
        await Connection.DisposeAsync();
    }

    private NpgsqlCommand Command(string sql) => new(sql, Connection, Transaction);
}

/// <summary>The one implementation behind both <see cref="ISql"/> runners.</summary>
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

    public static async Task<PagedList<T>> PageAsync<T>(ISql sql, string select, Func<NpgsqlDataReader, T> map,
        int page, int pageSize, (string Name, object? Value)[] args)
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

    private static NpgsqlCommand Bind(NpgsqlCommand cmd, (string Name, object? Value)[] args)
    {
        foreach (var (name, value) in args)
        {
            cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }
        return cmd;
    }
}
