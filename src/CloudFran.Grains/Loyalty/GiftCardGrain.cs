using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CloudFran.Abstractions.Errors;
using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Loyalty;
using CloudFran.Abstractions.Email;
using CloudFran.Abstractions.Messaging;
using CloudFran.Abstractions.Webhooks;
using CloudFran.Grains.Storage;

namespace CloudFran.Grains.Loyalty;

/// <summary>
/// See <see cref="IGiftCardGrain"/>. The card's balance is an account in the same ledger as members' wallets
/// (account id <c>gft_…</c>): issue +amount, each redemption −amount, void −balance. Only a SHA-256 of the code is
/// stored; the code itself is shown once (creation response) and sent once (SMS to the recipient).
/// </summary>
public sealed class GiftCardGrain(PlatformDb db, TimeProvider clock) : Grain, IGiftCardGrain
{
    // 31 symbols without look-alikes (0/O, 1/I/L): 16 of them carry 79 random bits.
    private const string CodeAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";
    private const string Columns =
        "gift_card_id, status, initial_amount, balance, code_last4, recipient_name, recipient_phone, recipient_email, message, delivery_status, created_at, version";

    private TenantScope _scope;
    private string _cardId = "";
    private (GiftCardView View, long Version, long Seq)? _state;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        (_scope, _cardId) = ScopedKey.Parse(this.GetPrimaryKeyString());
        return Task.CompletedTask;
    }

    public static string NewCode()
    {
        var chars = new char[16];
        for (var i = 0; i < chars.Length; i++)
        {
            chars[i] = CodeAlphabet[RandomNumberGenerator.GetInt32(CodeAlphabet.Length)];
        }
        var raw = new string(chars);
        return $"{raw[..4]}-{raw[4..8]}-{raw[8..12]}-{raw[12..]}";
    }

    public static string Normalize(string code) => new(code.Where(char.IsLetterOrDigit).Select(char.ToUpperInvariant).ToArray());

    public static string HashCode(string code) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Normalize(code))));

    private async Task<(GiftCardView View, long Version, long Seq)?> LoadAsync()
    {
        if (_state is not null)
        {
            return _state;
        }
        var rows = await db.QueryAsync(
            $"""
            SELECT {Columns}, (SELECT coalesce(max(seq), 0) FROM loyalty_ledger l WHERE l.tenant_id = g.tenant_id AND l.env = g.env AND l.member_id = g.gift_card_id)
              FROM loyalty_gift_cards g WHERE tenant_id = @t AND env = @e AND gift_card_id = @id
            """,
            r => (new GiftCardView(r.GetString(0), r.GetString(1), r.GetDecimal(2), r.GetDecimal(3), r.GetString(4),
                r.IsDBNull(5) ? null : r.GetString(5), r.IsDBNull(6) ? null : r.GetString(6), r.IsDBNull(7) ? null : r.GetString(7),
                r.IsDBNull(8) ? null : r.GetString(8), r.GetString(9), r.Time("created_at")), r.GetInt64(11), r.GetInt64(12)),
            ("t", _scope.TenantId), ("e", _scope.EnvName), ("id", _cardId));
        _state = rows.Count == 0 ? null : rows[0];
        return _state;
    }

    private async Task<(GiftCardView View, long Version, long Seq)> RequireAsync() =>
        await LoadAsync() ?? throw CloudFranException.NotFound("Gift card");

    public async Task<GiftCardView> GetAsync() => (await RequireAsync()).View;

    public async Task<GiftCardView> IssueAsync(GiftCardInput input)
    {
        if (await LoadAsync() is not null)
        {
            throw CloudFranException.Conflict("The gift card already exists.");
        }
        var code = NewCode();
        var now = clock.GetUtcNow();
        var status = input.Activate ? "active" : "pending";
        var view = new GiftCardView(_cardId, status, input.Amount, input.Amount, Normalize(code)[^4..], input.RecipientName, input.RecipientPhone,
            input.RecipientEmail, input.Message, input.RecipientPhone is null ? "none" : "queued", now);
        var entry = new LedgerEntryView(Ids.New("led", 20), _cardId, "gift_issue", 0, input.Amount, 0, input.Amount, $"issue:{_cardId}", null,
            input.LocationId, "Gift card issued", now);
        await using (var tx = await db.BeginAsync())
        {
            await tx.ExecuteAsync(
                """
                INSERT INTO loyalty_gift_cards (tenant_id, env, gift_card_id, code_hash, code_last4, initial_amount, balance, status, recipient_name,
                                                recipient_phone, recipient_email, message, delivery_status, created_at, updated_at)
                VALUES (@t, @e, @id, @hash, @last4, @amount, 0, @status, @rn, @rp, @re, @msg, @delivery, @now, @now)
                """,
                ("t", _scope.TenantId), ("e", _scope.EnvName), ("id", _cardId), ("hash", HashCode(code)), ("last4", view.CodeLast4),
                ("amount", input.Amount), ("status", status), ("rn", input.RecipientName), ("rp", input.RecipientPhone),
                ("re", input.RecipientEmail), ("msg", input.Message), ("delivery", view.DeliveryStatus), ("now", now));
            await LedgerWriter.InsertAsync(tx, _scope, _cardId, entry, 1, LedgerWriter.Fingerprint("issue", input.Amount),
                JsonSerializer.Serialize(entry, Json.Options),
                "UPDATE loyalty_gift_cards SET balance = @aa, version = version + 1 WHERE tenant_id = @t AND env = @e AND gift_card_id = @acct AND version = 0");
            await tx.CommitAsync();
        }
        _state = (view, 1, 1);
        if (input.RecipientPhone is not null)
        {
            var amount = input.Amount.ToString("0.00", CultureInfo.InvariantCulture);
            var greeting = input.RecipientName is null ? "Hi!" : $"Hi {input.RecipientName}!";
            var note = input.Message is null ? "" : $" \"{input.Message}\"";
            var delivery = "queued";
            try
            {
                await GrainFactory.GetSmsSender(_scope).SendAsync(new SmsSendRequest(input.RecipientPhone,
                    $"{greeting} You received a gift card worth ${amount}.{note} Your code: {code}", null, input.LocationId, $"giftcard:{_cardId}"));
            }
            catch (CloudFranException e) when (e.Kind == ErrorKind.Conflict)
            {
                delivery = "opted_out";
            }
            if (delivery != view.DeliveryStatus)
            {
                await db.ExecuteAsync("UPDATE loyalty_gift_cards SET delivery_status = @d WHERE tenant_id = @t AND env = @e AND gift_card_id = @id",
                    ("d", delivery), ("t", _scope.TenantId), ("e", _scope.EnvName), ("id", _cardId));
                view = view with { DeliveryStatus = delivery };
                _state = (view, 1, 1);
            }
        }
        return view with { Code = code };
    }

    public async Task<GiftCardView> ActivateAsync()
    {
        var (view, _, _) = await RequireAsync();
        if (view.Status == "active")
        {
            return view;
        }
        if (view.Status != "pending")
        {
            throw new CloudFranException(ErrorKind.Conflict, LoyaltyErrors.GiftCardInactive, $"A {view.Status} gift card cannot be activated.");
        }
        await db.ExecuteAsync(
            "UPDATE loyalty_gift_cards SET status = 'active', updated_at = @now WHERE tenant_id = @t AND env = @e AND gift_card_id = @id AND status = 'pending'",
            ("now", clock.GetUtcNow()), ("t", _scope.TenantId), ("e", _scope.EnvName), ("id", _cardId));
        _state = null;
        return await GetAsync();
    }

    public async Task<GiftCardView> VoidAsync()
    {
        var (view, _, _) = await RequireAsync();
        if (view.Status == "void")
        {
            return view;
        }
        if (view.Status == "redeemed")
        {
            throw new CloudFranException(ErrorKind.Conflict, LoyaltyErrors.GiftCardInactive, "A fully redeemed gift card cannot be voided.");
        }
        await WriteAsync(view.Balance, "gift_void", $"void:{_cardId}", null, "void");
        return await GetAsync();
    }

    public async Task<LedgerEntryView> DebitAsync(decimal amount, string key, string? reference, string kind)
    {
        var (view, _, _) = await RequireAsync();
        var fp = LedgerWriter.Fingerprint("gift-debit", amount, reference, kind);
        if (view.Status != "active" || amount > view.Balance || amount <= 0)
        {
            if (await LedgerWriter.ReplayAsync<LedgerEntryView>(db, _scope, _cardId, key, fp) is { } original)
            {
                return original with { Replayed = true };
            }
            if (view.Status != "active")
            {
                throw new CloudFranException(ErrorKind.Conflict, LoyaltyErrors.GiftCardInactive, $"The gift card is {view.Status}.");
            }
            throw new CloudFranException(ErrorKind.Conflict, LoyaltyErrors.InsufficientFunds,
                $"The gift card balance is {view.Balance.ToString("0.00", CultureInfo.InvariantCulture)}.");
        }
        return await WriteAsync(amount, kind, key, reference, view.Balance - amount == 0 ? "redeemed" : "active", fp);
    }

    private async Task<LedgerEntryView> WriteAsync(decimal debit, string kind, string key, string? reference, string status, string? fingerprint = null)
    {
        var (view, version, seq) = await RequireAsync();
        var fp = fingerprint ?? LedgerWriter.Fingerprint(kind, debit);
        var now = clock.GetUtcNow();
        var entry = new LedgerEntryView(Ids.New("led", 20), _cardId, kind, 0, -debit, 0, view.Balance - debit, key, reference, null,
            kind == "gift_void" ? "Gift card voided" : "Gift card redeemed", now);
        try
        {
            await using var tx = await db.BeginAsync();
            var inserted = await LedgerWriter.InsertAsync(tx, _scope, _cardId, entry, seq + 1, fp, JsonSerializer.Serialize(entry, Json.Options),
                """
                UPDATE loyalty_gift_cards SET balance = @aa, status = @status, version = version + 1, updated_at = @now
                 WHERE tenant_id = @t AND env = @e AND gift_card_id = @acct AND version = @v
                """,
                ("status", status), ("v", version));
            if (!inserted)
            {
                await tx.RollbackAsync();
                var original = await LedgerWriter.ReplayAsync<LedgerEntryView>(db, _scope, _cardId, key, fp);
                return original! with { Replayed = true };
            }
            await tx.CommitAsync();
        }
        catch (Exception e) when (e is not CloudFranException)
        {
            _state = null;
            throw;
        }
        _state = (view with { Balance = view.Balance - debit, Status = status }, version + 1, seq + 1);
        return entry;
    }
}
