using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace CloudFran.Bench.Baseline;

/// <summary>
/// The conventional implementation the wallet grain is compared with: an ASP.NET Core minimal API on Kestrel
/// (in the bench process, 127.0.0.1) whose earn locks the wallet row with <c>SELECT … FOR UPDATE</c>, inserts an
/// idempotent ledger row and updates the balance in one PostgreSQL transaction — on the same PostgreSQL server
/// and database as the platform, so both sides pay the same durable commit.
/// </summary>
public sealed class LockingWalletServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly NpgsqlDataSource _db;

    private LockingWalletServer(WebApplication app, NpgsqlDataSource db, string baseUrl)
    {
        _app = app;
        _db = db;
        BaseUrl = baseUrl;
    }

    public string BaseUrl { get; }

    public sealed record EarnBody(string MemberId, decimal Amount, string IdempotencyKey);

    public static async Task<LockingWalletServer> StartAsync(string connectionString)
    {
        var db = new NpgsqlDataSourceBuilder(connectionString).Build();
        await using (var create = db.CreateCommand(
            """
            CREATE TABLE IF NOT EXISTS bench_baseline_wallets (member_id text PRIMARY KEY, points bigint NOT NULL, lifetime bigint NOT NULL);
            CREATE TABLE IF NOT EXISTS bench_baseline_ledger (member_id text NOT NULL, idempotency_key text NOT NULL, points bigint NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (member_id, idempotency_key));
            """))
        {
            await create.ExecuteNonQueryAsync();
        }
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapPost("/wallets/{memberId}", async (string memberId) =>
        {
            await using var cmd = db.CreateCommand("INSERT INTO bench_baseline_wallets VALUES (@m, 0, 0) ON CONFLICT DO NOTHING");
            cmd.Parameters.AddWithValue("m", memberId);
            await cmd.ExecuteNonQueryAsync();
            return Results.Created($"/wallets/{memberId}", new { memberId });
        });
        app.MapPost("/earn", async (EarnBody body) =>
        {
            if (body.Amount <= 0 || decimal.Round(body.Amount, 2) != body.Amount)
            {
                return Results.BadRequest(new { error = "amount" });
            }
            var points = (long)Math.Floor(body.Amount);
            await using var conn = await db.OpenConnectionAsync();
            await using var tx = await conn.BeginTransactionAsync();
            await using (var select = new NpgsqlCommand("SELECT points FROM bench_baseline_wallets WHERE member_id = @m FOR UPDATE", conn, tx))
            {
                select.Parameters.AddWithValue("m", body.MemberId);
                if (await select.ExecuteScalarAsync() is not long current)
                {
                    return Results.NotFound();
                }
                await using var insert = new NpgsqlCommand(
                    "INSERT INTO bench_baseline_ledger (member_id, idempotency_key, points) VALUES (@m, @k, @p) ON CONFLICT DO NOTHING", conn, tx);
                insert.Parameters.AddWithValue("m", body.MemberId);
                insert.Parameters.AddWithValue("k", body.IdempotencyKey);
                insert.Parameters.AddWithValue("p", points);
                if (await insert.ExecuteNonQueryAsync() == 0)
                {
                    await tx.RollbackAsync();
                    return Results.Ok(new { replayed = true, points = current });
                }
                await using var update = new NpgsqlCommand(
                    "UPDATE bench_baseline_wallets SET points = points + @p, lifetime = lifetime + @p WHERE member_id = @m", conn, tx);
                update.Parameters.AddWithValue("m", body.MemberId);
                update.Parameters.AddWithValue("p", points);
                await update.ExecuteNonQueryAsync();
                await tx.CommitAsync();
                return Results.Created($"/wallets/{body.MemberId}", new { points = current + points });
            }
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new LockingWalletServer(app, db, address);
    }

    /// <summary>The embedded PostgreSQL of a bench run: port from its postmaster.pid, password from its folder.</summary>
    public static string? DiscoverConnectionString()
    {
        if (Environment.GetEnvironmentVariable("CLOUDFRAN_BENCH_DB") is { Length: > 0 } explicitString)
        {
            return explicitString;
        }
        if (Environment.GetEnvironmentVariable("CLOUDFRAN_BENCH_PG_ROOT") is not { Length: > 0 } root)
        {
            return null;
        }
        var pid = File.ReadAllLines(Path.Combine(root, "data", "postmaster.pid"));
        return new NpgsqlConnectionStringBuilder
        {
            Host = IPAddress.Loopback.ToString(), Port = int.Parse(pid[3], System.Globalization.CultureInfo.InvariantCulture),
            Username = "cloudfran", Password = File.ReadAllText(Path.Combine(root, "password")).Trim(), Database = "cloudfran", MaxPoolSize = 200,
        }.ConnectionString;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        await _db.DisposeAsync();
    }
}
