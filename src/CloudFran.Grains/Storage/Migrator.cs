using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace CloudFran.Grains.Storage;

/// <summary>
/// Applies the versioned SQL migrations embedded in this assembly (Storage/Migrations/NNNN_name.sql) in order,
/// each once, in its own transaction, under an advisory lock so several nodes may start together.
/// A migration already applied with different text is refused: migrations are append-only.
/// </summary>
public static class Migrator
{
    private const long LockId = 0x436C6F75644672; // "CloudFr"

    public static IReadOnlyList<(string Version, string Sql)> Scripts()
    {
        var asm = typeof(Migrator).Assembly;
        return asm.GetManifestResourceNames()
            .Where(n => n.Contains(".Storage.Migrations.", StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Select(n =>
            {
                var file = n[(n.IndexOf(".Storage.Migrations.", StringComparison.Ordinal) + ".Storage.Migrations.".Length)..];
                using var stream = asm.GetManifestResourceStream(n)!;
                using var reader = new StreamReader(stream, Encoding.UTF8);
                return (Version: file[..^4], Sql: reader.ReadToEnd());
            })
            .OrderBy(s => s.Version, StringComparer.Ordinal)
            .ToList();
    }

    public static async Task<int> ApplyAsync(NpgsqlDataSource db, ILogger logger, CancellationToken ct = default)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using (var lockCmd = new NpgsqlCommand($"SELECT pg_advisory_lock({LockId})", conn))
        {
            await lockCmd.ExecuteNonQueryAsync(ct);
        }
        try
        {
            await using (var create = new NpgsqlCommand(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version    varchar(100) PRIMARY KEY,
                    checksum   varchar(64)  NOT NULL,
                    applied_at timestamptz  NOT NULL DEFAULT now())
                """, conn))
            {
                await create.ExecuteNonQueryAsync(ct);
            }

            var applied = new Dictionary<string, string>();
            await using (var read = new NpgsqlCommand("SELECT version, checksum FROM schema_migrations", conn))
            await using (var reader = await read.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct))
                {
                    applied[reader.GetString(0)] = reader.GetString(1);
                }
            }

            var count = 0;
            foreach (var (version, sql) in Scripts())
            {
                var checksum = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sql.ReplaceLineEndings("\n"))));
                if (applied.TryGetValue(version, out var existing))
                {
                    if (existing != checksum)
                    {
                        throw new InvalidOperationException(
                            $"Migration {version} was changed after it was applied; add a new migration instead.");
                    }
                    continue;
                }
                await using var tx = await conn.BeginTransactionAsync(ct);
                await using (var run = new NpgsqlCommand(sql, conn, tx))
                {
                    await run.ExecuteNonQueryAsync(ct);
                }
                await using (var record = new NpgsqlCommand(
                    "INSERT INTO schema_migrations (version, checksum) VALUES (@v, @c)", conn, tx))
                {
                    record.Parameters.AddWithValue("v", version);
                    record.Parameters.AddWithValue("c", checksum);
                    await record.ExecuteNonQueryAsync(ct);
                }
                await tx.CommitAsync(ct);
                logger.LogInformation("Applied migration {Version}", version);
                count++;
            }
            return count;
        }
        finally
        {
            await using var unlock = new NpgsqlCommand($"SELECT pg_advisory_unlock({LockId})", conn);
            await unlock.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }
}
