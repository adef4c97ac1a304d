using CloudFran.Abstractions.Errors;
using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Loyalty;
using CloudFran.Grains.Events;
using CloudFran.Grains.Storage;
using Npgsql;

namespace CloudFran.Grains.Loyalty;

/// <summary>
/// Fault-injection points of the transfer protocol. The default does nothing; tests replace it to stop a silo
/// between the two steps.
/// </summary>
public class LoyaltyHooks
{
    public virtual Task AfterTransferDebitAsync(string transferId) => Task.CompletedTask;
}

/// <summary>
/// See <see cref="ILoyaltyTransferGrain"/>. The row in <c>loyalty_transfers</c> records the request and how far the
/// protocol got (pending → debited → completed, or failed when the debit was refused). Every step is idempotent
/// (ledger keys <c>xfer:{id}:debit</c> / <c>xfer:{id}:credit</c>), so a retry of the request, a recovery sweep, or a
/// new activation after a silo crash simply runs the protocol again from the start: steps already done are
/// replayed without moving anything twice. The coordinator calls one wallet at a time and wallets never call
/// each other, so transfers in opposite directions cannot deadlock.
/// </summary>
public sealed class LoyaltyTransferGrain(PlatformDb db, TimeProvider clock, LoyaltyHooks hooks) : Grain, ILoyaltyTransferGrain
{
    private const string Columns =
        "transfer_id, kind, from_account, to_account, points, amount, status, idempotency_key, failure_code, failure_message, created_at, updated_at, note";

    private TenantScope _scope;
    private string _transferId = "";

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        (_scope, _transferId) = ScopedKey.Parse(this.GetPrimaryKeyString());
        return Task.CompletedTask;
    }

    public static async Task<TransferView?> ReadAsync(PlatformDb db, TenantScope scope, string transferId) =>
        await db.QuerySingleAsync($"SELECT {Columns} FROM loyalty_transfers WHERE tenant_id = @t AND env = @e AND transfer_id = @id",
            Read, ("t", scope.TenantId), ("e", scope.EnvName), ("id", transferId));

    private static TransferView Read(NpgsqlDataReader r) => new(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3),
        r.GetInt64(4), r.GetDecimal(5), r.GetString(6), r.GetString(7), r.IsDBNull(8) ? null : r.GetString(8),
        r.IsDBNull(9) ? null : r.GetString(9), r.Time("created_at"), r.Time("updated_at"), r.IsDBNull(12) ? null : r.GetString(12));

    public async Task<TransferView> TransferAsync(TransferRequest request)
    {
        var existing = await ReadAsync(db, _scope, _transferId);
        if (existing is null)
        {
            if (request.FromMemberId == request.ToMemberId)
            {
                throw CloudFranException.Invalid("to", "A member cannot transfer to themselves.");
            }
            var found = await db.ScalarAsync<long>(
                "SELECT count(*) FROM loyalty_members WHERE tenant_id = @t AND env = @e AND member_id = ANY(@ids)",
                ("t", _scope.TenantId), ("e", _scope.EnvName), ("ids", new[] { request.FromMemberId, request.ToMemberId }));
            if (found != 2)
            {
                throw CloudFranException.NotFound("Member");
            }
            existing = await CreateAsync("member", request.FromMemberId, request.ToMemberId, request.Points, request.Amount, request.IdempotencyKey, request.Note);
        }
        if (existing.Kind != "member" || existing.From != request.FromMemberId || existing.To != request.ToMemberId
            || existing.Points != request.Points || existing.Amount != request.Amount)
        {
            throw LoyaltyErrors.KeyReused();
        }
        return await RunAsync(existing, throwOnFailure: true);
    }

    public async Task<TransferView> RedeemGiftCardAsync(string giftCardId, string memberId, decimal amount, string idempotencyKey)
    {
        var existing = await ReadAsync(db, _scope, _transferId)
                       ?? await CreateAsync("gift_card", giftCardId, memberId, 0, amount, $"gift:{idempotencyKey}", null);
        if (existing.Kind != "gift_card" || existing.From != giftCardId || existing.To != memberId || existing.Amount != amount)
        {
            throw LoyaltyErrors.KeyReused();
        }
        return await RunAsync(existing, throwOnFailure: true);
    }

    public async Task<TransferView> ResumeAsync()
    {
        var existing = await ReadAsync(db, _scope, _transferId) ?? throw CloudFranException.NotFound("Transfer");
        return await RunAsync(existing, throwOnFailure: false);
    }

    private async Task<TransferView> CreateAsync(string kind, string from, string to, long points, decimal amount, string key, string? note)
    {
        var now = clock.GetUtcNow();
        await db.ExecuteAsync(
            """
            INSERT INTO loyalty_transfers (tenant_id, env, transfer_id, idempotency_key, kind, from_account, to_account, points, amount, note,
                                           status, created_at, updated_at)
            VALUES (@t, @e, @id, @key, @kind, @from, @to, @points, @amount, @note, 'pending', @now, @now)
            ON CONFLICT DO NOTHING
            """,
            ("t", _scope.TenantId), ("e", _scope.EnvName), ("id", _transferId), ("key", key), ("kind", kind), ("from", from), ("to", to),
            ("points", points), ("amount", amount), ("note", note), ("now", now));
        return (await ReadAsync(db, _scope, _transferId))!;
    }

    private async Task<TransferView> RunAsync(TransferView transfer, bool throwOnFailure)
    {
        if (transfer.Status == "completed")
        {
            return transfer;
        }
        if (transfer.Status == "failed")
        {
            return throwOnFailure
                ? throw new CloudFranException(ErrorKind.Conflict, transfer.FailureCode ?? ErrorCodes.Conflict, transfer.FailureMessage ?? "The transfer failed.")
                : transfer;
        }
        var debitKey = $"xfer:{_transferId}:debit";
        var creditKey = $"xfer:{_transferId}:credit";
        if (transfer.Status == "pending")
        {
            try
            {
                if (transfer.Kind == "gift_card")
                {
                    await GrainFactory.GetGiftCard(_scope, transfer.From).DebitAsync(transfer.Amount, debitKey, _transferId, "gift_redeem");
                }
                else
                {
                    await GrainFactory.GetWallet(_scope, transfer.From).TransferOutAsync(_transferId, transfer.To, transfer.Points, transfer.Amount, debitKey);
                }
            }
            catch (CloudFranException e) when (e.Kind is ErrorKind.Conflict or ErrorKind.Invalid)
            {
                // Refused (insufficient balance, inactive card): nothing moved; the transfer ends here, for good.
                var failed = await SetStatusAsync("failed", e.Code, e.Message, null);
                if (throwOnFailure)
                {
                    throw;
                }
                return failed;
            }
            await SetStatusAsync("debited", null, null, null);
        }

        await hooks.AfterTransferDebitAsync(_transferId);

        var kind = transfer.Kind == "gift_card" ? "gift_redeem" : "transfer_in";
        await GrainFactory.GetWallet(_scope, transfer.To).TransferInAsync(_transferId, transfer.From, transfer.Points, transfer.Amount, creditKey, kind);
        return await SetStatusAsync("completed", null, null, transfer);
    }

    private async Task<TransferView> SetStatusAsync(string status, string? code, string? message, TransferView? completed)
    {
        await using var tx = await db.BeginAsync();
        await tx.ExecuteAsync(
            """
            UPDATE loyalty_transfers SET status = @status, failure_code = @code, failure_message = @message, updated_at = @now
             WHERE tenant_id = @t AND env = @e AND transfer_id = @id AND status NOT IN ('completed', 'failed')
            """,
            ("status", status), ("code", code), ("message", message), ("now", clock.GetUtcNow()), ("t", _scope.TenantId),
            ("e", _scope.EnvName), ("id", _transferId));
        if (completed is not null)
        {
            await EventOutbox.AppendAsync(tx, _scope, "wallet.transfer", new
            {
                transferId = _transferId, kind = completed.Kind, from = completed.From, to = completed.To, points = completed.Points,
                amount = completed.Amount,
            }, $"wallet.transfer:{_transferId}");
        }
        await tx.CommitAsync();
        return (await ReadAsync(db, _scope, _transferId))!;
    }
}
