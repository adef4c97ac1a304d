using CloudFran.Grains.Storage;
using CloudFran.Tests.Infrastructure;
using Npgsql;
using Xunit;

namespace CloudFran.Tests.Platform;

/// <summary>The one SQL style: statements alone or in a transaction, and the paged list query.</summary>
public sealed class PlatformDbTests : IAsyncLifetime
{
    private NpgsqlDataSource _source = null!;
    private PlatformDb _db = null!;

    public async Task InitializeAsync()
    {
        _source = NpgsqlDataSource.Create(await TestPostgres.CreateDatabaseAsync("platformdb"));
        _db = new PlatformDb(_source);
        await _db.ExecuteAsync("CREATE TABLE things (id int PRIMARY KEY, name text NOT NULL)");
    }

    public async Task DisposeAsync() => await _source.DisposeAsync();

    [Fact]
    public async Task A_transaction_that_is_not_committed_leaves_nothing_behind()
    {
        await using (var tx = await _db.BeginAsync())
        {
            await tx.ExecuteAsync("INSERT INTO things VALUES (@id, @name)", ("id", 1), ("name", "one"));
            Assert.Equal(1L, await tx.ScalarAsync<long>("SELECT count(*) FROM things"));
        }
        Assert.Equal(0L, await _db.ScalarAsync<long>("SELECT count(*) FROM things"));
    }

    [Fact]
    public async Task A_failing_statement_rolls_back_the_whole_unit_of_work()
    {
        await _db.ExecuteAsync("INSERT INTO things VALUES (10, 'ten')");
        await Assert.ThrowsAsync<PostgresException>(() => _db.InTransactionAsync(async tx =>
        {
            await tx.ExecuteAsync("INSERT INTO things VALUES (11, 'eleven')");
            await tx.ExecuteAsync("INSERT INTO things VALUES (10, 'duplicate')");
        }));
        Assert.Equal(["ten"], await _db.QueryAsync("SELECT name FROM things WHERE id >= 10 ORDER BY id", r => r.GetString(0)));

        var name = await _db.InTransactionAsync(async tx =>
        {
            await tx.ExecuteAsync("INSERT INTO things VALUES (@id, @name)", ("id", 12), ("name", null));
            return "unreachable";
        }).ContinueWith(t => t.Exception?.InnerException?.GetType().Name);
        Assert.Equal(nameof(PostgresException), name);
    }

    [Fact]
    public async Task Pages_carry_the_total_before_paging_and_null_parameters_are_sql_null()
    {
        for (var i = 100; i < 125; i++)
        {
            await _db.ExecuteAsync("INSERT INTO things VALUES (@id, @name)", ("id", i), ("name", i % 2 == 0 ? "even" : "odd"));
        }
        const string sql = "SELECT id, count(*) OVER () FROM things WHERE id >= 100 AND (@n::text IS NULL OR name = @n::text) ORDER BY id";

        var second = await _db.PageAsync(sql, r => r.GetInt32(0), page: 2, pageSize: 10, ("n", null));
        Assert.Equal(25, second.Total);
        Assert.Equal(Enumerable.Range(110, 10), second.Data);

        var evens = await _db.PageAsync(sql, r => r.GetInt32(0), page: 2, pageSize: 10, ("n", "even"));
        Assert.Equal(13, evens.Total);
        Assert.Equal([120, 122, 124], evens.Data);

        var pastTheEnd = await _db.PageAsync(sql, r => r.GetInt32(0), page: 9, pageSize: 10, ("n", "odd"));
        Assert.Equal((12L, 0), (pastTheEnd.Total, pastTheEnd.Data.Count));

        await using var tx = await _db.BeginAsync();
        var inside = await tx.PageAsync(sql, r => r.GetInt32(0), page: 3, pageSize: 10, ("n", null));
        Assert.Equal((25L, 5), (inside.Total, inside.Data.Count));
    }
}
