using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CloudFran.Abstractions.Errors;
using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Loyalty;
using CloudFran.Grains.Storage;
using Npgsql;

namespace CloudFran.Grains.Loyalty;

public static class LoyaltyErrors
{
    public const string InsufficientPoints = "INSUFFICIENT_POINTS";
    public const string InsufficientFunds = "INSUFFICIENT_FUNDS";
    public const string IdempotencyKeyReused = "IDEMPOTENCY_KEY_REUSED";
    public const string DailyLimitExceeded = "DAILY_LIMIT_EXCEEDED";
    public const string PaymentFailed = "PAYMENT_FAILED";
    public const string GiftCardInactive = "GIFT_CARD_INACTIVE";

    public static CloudFranException KeyReused() =>
        new(ErrorKind.Conflict, IdempotencyKeyReused, "This idempotency key was already used with different parameters.");
}

/// <summary>One ledger entry to write: deltas, key and what the caller gets back.</summary>
public sealed record LedgerChange(string Kind, long PointsDelta, decimal AmountDelta, string IdempotencyKey, string Fingerprint,
    string? Reference, string? LocationId, string? Description);

/// <summary>
/// Writes one immutable ledger entry for an account (member or gift card) together with the account's balance row,
/// in one transaction, with the idempotency key as the ledger's unique constraint: a replay inserts nothing and
/// the caller reads back the stored original result.
/// </summary>
public static class LedgerWriter
{
    public static string Fingerprint(params object?[] parts)
    {
        var text = string.Join('\u001f', parts.Select(p => p switch
        {
            null => "",
            decimal d => d.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture),
            IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
            _ => p.ToString(),
        }));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..32];
    }

    /// <summary>
    /// Inserts the ledger row (unless its key exists) and runs <paramref name="balanceUpdate"/> only if it was
    /// inserted. Returns false for a replay (nothing written, transaction rolled back by the caller).
    /// </summary>
    public static async Task<bool> InsertAsync(PlatformTransaction tx, TenantScope scope, string accountId,
        LedgerEntryView entry, long seq, string fingerprint, string resultJson, string balanceUpdateSql,
        params (string Name, object? Value)[] balanceArgs)
    {
        var counts = await tx.QuerySingleAsync(
            $"""
            WITH ins AS (
                INSERT INTO loyalty_ledger (tenant_id, env, member_id, entry_id, seq, kind, points_delta, amount_delta, points_after,
                                            amount_after, idempotency_key, fingerprint, reference, location_id, description, result, created_at)
                VALUES (@t, @e, @acct, @entry, @seq, @kind, @pd, @ad, @pa, @aa, @key, @fp, @ref, @loc, @desc, @result::jsonb, @now)
                ON CONFLICT (tenant_id, env, member_id, idempotency_key) DO NOTHING
                RETURNING 1),
            upd AS (
                {balanceUpdateSql} AND EXISTS (SELECT 1 FROM ins) RETURNING 1)
            SELECT (SELECT count(*) FROM ins), (SELECT count(*) FROM upd)
            """,
            r => Tuple.Create(r.GetInt64(0), r.GetInt64(1)),
            [
                ("t", scope.TenantId), ("e", scope.EnvName), ("acct", accountId), ("entry", entry.EntryId), ("seq", seq),
                ("kind", entry.Kind), ("pd", entry.PointsDelta), ("ad", entry.AmountDelta), ("pa", entry.PointsBalance),
                ("aa", entry.WalletBalance), ("key", entry.IdempotencyKey), ("fp", fingerprint), ("ref", entry.Reference),
                ("loc", entry.LocationId), ("desc", entry.Description), ("result", resultJson), ("now", entry.CreatedAt),
                .. balanceArgs,
            ]);
        var (inserted, updated) = (counts!.Item1, counts.Item2);
        if (inserted == 1 && updated == 0)
        {
            throw new InvalidOperationException($"The balance row of {accountId} changed under its single writer (version mismatch).");
        }
        return inserted == 1;
    }

    /// <summary>The stored result of an earlier operation with this key, or null; 409 when the parameters differ.</summary>
    public static async Task<T?> ReplayAsync<T>(PlatformDb db, TenantScope scope, string accountId, string key, string fingerprint)
        where T : class
    {
        var row = await db.QuerySingleAsync(
            "SELECT fingerprint, result::text FROM loyalty_ledger WHERE tenant_id = @t AND env = @e AND member_id = @m AND idempotency_key = @k",
            r => Tuple.Create(r.GetString(0), r.GetString(1)),
            ("t", scope.TenantId), ("e", scope.EnvName), ("m", accountId), ("k", key));
        if (row is null)
        {
            return null;
        }
        if (row.Item1 != fingerprint)
        {
            throw LoyaltyErrors.KeyReused();
        }
        return JsonSerializer.Deserialize<T>(row.Item2, Json.Options);
    }

    /// <summary>Fingerprint and stored result of each of <paramref name="keys"/> already in the account's ledger.</summary>
    public static async Task<Dictionary<string, (string Fingerprint, string Result)>> StoredAsync(PlatformDb db, TenantScope scope,
        string accountId, string[] keys)
    {
        var rows = await db.QueryAsync(
            """
            SELECT idempotency_key, fingerprint, result::text FROM loyalty_ledger
             WHERE tenant_id = @t AND env = @e AND member_id = @m AND idempotency_key = ANY(@k)
            """,
            r => (Key: r.GetString(0), Fingerprint: r.GetString(1), Result: r.GetString(2)),
            ("t", scope.TenantId), ("e", scope.EnvName), ("m", accountId), ("k", keys));
        return rows.ToDictionary(r => r.Key, r => (r.Fingerprint, r.Result));
    }

    /// <summary>Inserts several new entries of one account in one statement (group commit); a duplicate key fails it all.</summary>
    public static async Task InsertManyAsync(PlatformTransaction tx, TenantScope scope, string accountId,
        IReadOnlyList<(LedgerEntryView Entry, long Seq, string Fingerprint, string Result)> rows)
    {
        await tx.ExecuteAsync(
            """
            INSERT INTO loyalty_ledger (tenant_id, env, member_id, entry_id, seq, kind, points_delta, amount_delta, points_after, amount_after,
                                        idempotency_key, fingerprint, reference, location_id, description, result, created_at)
            SELECT @t, @e, @acct, u.entry, u.seq, u.kind, u.pd, u.ad, u.pa, u.aa, u.key, u.fp, u.ref, u.loc, u.descr, u.result::jsonb, u.at
              FROM unnest(@entry, @seq, @kind, @pd, @ad, @pa, @aa, @key, @fp, @ref, @loc, @descr, @result, @at)
                   AS u(entry, seq, kind, pd, ad, pa, aa, key, fp, ref, loc, descr, result, at)
            """,
            ("t", scope.TenantId), ("e", scope.EnvName), ("acct", accountId),
            ("entry", rows.Select(r => r.Entry.EntryId).ToArray()),
            ("seq", rows.Select(r => r.Seq).ToArray()),
            ("kind", rows.Select(r => r.Entry.Kind).ToArray()),
            ("pd", rows.Select(r => r.Entry.PointsDelta).ToArray()),
            ("ad", rows.Select(r => r.Entry.AmountDelta).ToArray()),
            ("pa", rows.Select(r => r.Entry.PointsBalance).ToArray()),
            ("aa", rows.Select(r => r.Entry.WalletBalance).ToArray()),
            ("key", rows.Select(r => r.Entry.IdempotencyKey).ToArray()),
            ("fp", rows.Select(r => r.Fingerprint).ToArray()),
            ("ref", rows.Select(r => r.Entry.Reference).ToArray()),
            ("loc", rows.Select(r => r.Entry.LocationId).ToArray()),
            ("descr", rows.Select(r => r.Entry.Description).ToArray()),
            ("result", rows.Select(r => r.Result).ToArray()),
            ("at", rows.Select(r => r.Entry.CreatedAt).ToArray()));
    }

    public static LedgerEntryView Read(NpgsqlDataReader r) => new(
        r.GetString(r.GetOrdinal("entry_id")), r.GetString(r.GetOrdinal("member_id")), r.GetString(r.GetOrdinal("kind")),
        r.GetInt64(r.GetOrdinal("points_delta")), r.GetDecimal(r.GetOrdinal("amount_delta")),
        r.GetInt64(r.GetOrdinal("points_after")), r.GetDecimal(r.GetOrdinal("amount_after")),
        r.GetString(r.GetOrdinal("idempotency_key")), r.NullableString("reference"), r.NullableString("location_id"),
        r.NullableString("description"), r.Time("created_at"));

    public const string Columns =
        "entry_id, member_id, kind, points_delta, amount_delta, points_after, amount_after, idempotency_key, reference, location_id, description, created_at";
}
