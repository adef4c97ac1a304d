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
        // The advisory lock belongs to this session: every statement below runs on this one connection, which is
        // why it is opened here and not taken from PlatformDb per statement.
        await using var conn = await db.OpenConnectionAsync(ct);
        var session = new SqlSession(conn);
        await session.ExecuteAsync($"SELECT pg_advisory_lock({LockId})");
        try
        {
            await session.ExecuteAsync(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version    varchar(100) PRIMARY KEY,
                    checksum   varchar(64)  NOT NULL,
                    applied_at timestamptz  NOT NULL DEFAULT now())
                """);

            var applied = new Dictionary<string, string>();
            foreach (var (version, checksum) in await session.QueryAsync(
                "SELECT version, checksum FROM schema_migrations", r => (r.GetString(0), r.GetString(1))))
            {
                applied[version] = checksum;
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
                // Each migration in its own transaction on the locked session.
                await using var tx = await conn.BeginTransactionAsync(ct);
                var migration = new SqlSession(conn, tx);
                await migration.ExecuteAsync(sql);
                await migration.ExecuteAsync("INSERT INTO schema_migrations (version, checksum) VALUES (@v, @c)",
                    ("v", version), ("c", checksum));
                await tx.CommitAsync(ct);
                logger.LogInformation("Applied migration {Version}", version);
                count++;
            }
            return count;
        }
        finally
        {
            await session.ExecuteAsync($"SELECT pg_advisory_unlock({LockId})");
        }
    }
}
