using System.Text.Json;
using CloudFran.Abstractions.Errors;
using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Loyalty;
using CloudFran.Abstractions.Email;
using CloudFran.Abstractions.Messaging;
using CloudFran.Abstractions.Webhooks;
using CloudFran.Abstractions.Platform;
using CloudFran.Grains.Messaging;
using CloudFran.Grains.Storage;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Concurrency;

namespace CloudFran.Grains.Loyalty;

/// <summary>See <see cref="ILoyaltyDirectoryGrain"/>: member rows, searches and reads; balances change only in wallets.</summary>
[StatelessWorker]
public sealed class LoyaltyDirectoryGrain(PlatformDb db, TimeProvider clock, IOptions<MessagingOptions> messaging) : Grain, ILoyaltyDirectoryGrain
{
    private TenantScope Scope { get; set; }

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        Scope = ScopedKey.Parse(this.GetPrimaryKeyString()).Scope;
        return Task.CompletedTask;
    }

    public async Task<MemberView> CreateMemberAsync(MemberInput input)
    {
        var scope = Scope;
        if (input.LocationId is not null)
        {
            await RequireLocationAsync(scope, input.LocationId, "locationId");
        }
        var program = await GrainFactory.GetLoyaltyProgram(scope).GetAsync();
        var memberId = Ids.New("mem");
        var now = clock.GetUtcNow();
        await using var tx = await db.BeginAsync();
        string? referrer = null;
        if (input.ReferralCode is not null)
        {
            referrer = await tx.ScalarAsync<string>(
                           """
                           UPDATE loyalty_referrals SET referred_member_id = @m, status = 'joined', updated_at = @now
                            WHERE tenant_id = @t AND env = @e AND referral_id = @r AND status = 'sent'
                           RETURNING referrer_member_id
                           """,
                           ("m", memberId), ("now", now), ("t", scope.TenantId), ("e", scope.EnvName), ("r", input.ReferralCode))
                       ?? throw CloudFranException.Invalid("referralCode", "The referral code is unknown or was already used.");
        }
        if (await tx.ExecuteAsync(
                """
                INSERT INTO loyalty_members (tenant_id, env, member_id, name, phone, email, location_id, qr_token, referred_by, tier, created_at, updated_at)
                VALUES (@t, @e, @m, @name, @phone, @email, @loc, @qr, @ref, @tier, @now, @now)
                ON CONFLICT (tenant_id, env, phone) DO NOTHING
                """,
                ("t", scope.TenantId), ("e", scope.EnvName), ("m", memberId), ("name", input.Name), ("phone", input.Phone),
                ("email", input.Email), ("loc", input.LocationId), ("qr", Ids.New("qr", 32)), ("ref", referrer),
                ("tier", program.TierFor(0).Name), ("now", now)) == 0)
        {
            throw CloudFranException.Conflict("A member with this phone number already exists.");
        }
        await tx.CommitAsync();
        return await GrainFactory.GetWallet(scope, memberId).GetAsync();
    }

    public async Task<PagedList<MemberView>> SearchAsync(MemberSearch search)
    {
        var scope = Scope;
        var where = "tenant_id = @t AND env = @e";
        var args = new List<(string, object?)> { ("t", scope.TenantId), ("e", scope.EnvName) };
        if (search.Phone is not null) { where += " AND phone = @phone"; args.Add(("phone", search.Phone)); }
        if (search.Email is not null) { where += " AND lower(email) = lower(@email)"; args.Add(("email", search.Email)); }
        if (search.Name is not null)
        {
            where += " AND lower(name) LIKE @name ESCAPE '\\'";
            args.Add(("name", "%" + search.Name.ToLowerInvariant().Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_") + "%"));
        }
        if (search.LocationId is not null) { where += " AND location_id = @loc"; args.Add(("loc", search.LocationId)); }
        return await db.PageAsync($"{MemberColumns} WHERE {where} ORDER BY created_at DESC, member_id",
            ReadMember, search.Page, search.PageSize, [.. args]);
    }

    private const string MemberColumns =
        """
        SELECT member_id, name, phone, email, location_id, points_balance, lifetime_points, tier, wallet_balance, streak_days, badges::text,
               checkins_total, auto_reload_threshold, auto_reload_amount, payment_method_id, created_at, last_activity_at, referred_by,
               count(*) OVER ()
          FROM loyalty_members
        """;

    private static MemberView ReadMember(NpgsqlDataReader r) => new(r.GetString(0), r.GetString(1), r.GetString(2),
        r.IsDBNull(3) ? null : r.GetString(3), r.IsDBNull(4) ? null : r.GetString(4), r.GetInt64(5), r.GetInt64(6), r.GetString(7),
        r.GetDecimal(8), r.GetInt32(9), JsonSerializer.Deserialize<List<string>>(r.GetString(10)) ?? [], r.GetInt32(11),
        r.IsDBNull(12) || r.IsDBNull(13) ? null : new AutoReloadView(r.GetDecimal(12), r.GetDecimal(13), r.IsDBNull(14) ? null : r.GetString(14)),
        r.Time("created_at"), r.NullableTime("last_activity_at"), r.IsDBNull(17) ? null : r.GetString(17));

    public async Task<string> QrTokenAsync(string memberId)
    {
        var scope = Scope;
        return await db.ScalarAsync<string>("SELECT qr_token FROM loyalty_members WHERE tenant_id = @t AND env = @e AND member_id = @m",
                   ("t", scope.TenantId), ("e", scope.EnvName), ("m", memberId))
               ?? throw CloudFranException.NotFound("Member");
    }

    public async Task<CheckinView> CheckInAsync(CheckinRequest request)
    {
        var scope = Scope;
        var memberId = await db.ScalarAsync<string>("SELECT member_id FROM loyalty_members WHERE tenant_id = @t AND env = @e AND qr_token = @q",
                           ("t", scope.TenantId), ("e", scope.EnvName), ("q", request.QrCode))
                       ?? throw CloudFranException.NotFound("Member for this QR code");
        await RequireLocationAsync(scope, request.LocationId, "locationId");
        return await GrainFactory.GetWallet(scope, memberId).CheckInAsync(request.LocationId, $"qr:{request.LocationId}");
    }

    public async Task<PagedList<LedgerEntryView>> HistoryAsync(string memberId, HistoryQuery query)
    {
        var scope = Scope;
        await RequireMemberAsync(scope, memberId);
        string[] kinds = query.Type switch
        {
            "earn" => ["earn", "checkin", "referral_bonus"],
            "redeem" => ["redeem"],
            "transfer" => ["transfer_in", "transfer_out"],
            "wallet" => ["wallet_load", "wallet_spend", "gift_redeem", "transfer_in", "transfer_out", "wallet_refund", "wallet_dispute", "wallet_dispute_won"],
            _ => [],
        };
        var filter = kinds.Length == 0 ? "" : " AND kind = ANY(@kinds)";
        return await db.PageAsync(
            $"SELECT {LedgerWriter.Columns}, count(*) OVER () FROM loyalty_ledger WHERE tenant_id = @t AND env = @e AND member_id = @m{filter} ORDER BY seq DESC",
            LedgerWriter.Read, query.Page, query.PageSize, ("t", scope.TenantId), ("e", scope.EnvName), ("m", memberId), ("kinds", kinds));
    }

    public async Task<LocationStatsView> StatsAsync(string? locationId)
    {
        var scope = Scope;
        if (locationId is not null)
        {
            await RequireLocationAsync(scope, locationId, "locationId");
        }
        var args = new (string, object?)[] { ("t", scope.TenantId), ("e", scope.EnvName), ("loc", locationId) };
        var ledger = (await db.QueryAsync(
            """
            SELECT coalesce(sum(points_delta) FILTER (WHERE kind IN ('earn', 'checkin', 'referral_bonus')), 0),
                   coalesce(-sum(points_delta) FILTER (WHERE kind = 'redeem'), 0),
                   count(*) FILTER (WHERE kind = 'checkin'),
                   coalesce(sum(amount_delta) FILTER (WHERE kind = 'wallet_load'), 0),
                   coalesce(-sum(amount_delta) FILTER (WHERE kind = 'wallet_spend'), 0),
                   count(*) FILTER (WHERE kind = 'earn')
              FROM loyalty_ledger l
             WHERE l.tenant_id = @t AND l.env = @e AND l.member_id LIKE 'mem\_%'
               AND (@loc::text IS NULL OR l.location_id = @loc
                    OR (l.location_id IS NULL AND EXISTS (SELECT 1 FROM loyalty_members m WHERE m.tenant_id = l.tenant_id AND m.env = l.env
                                                          AND m.member_id = l.member_id AND m.location_id = @loc)))
            """,
            r => (Earned: r.GetInt64(0), Redeemed: r.GetInt64(1), Checkins: r.GetInt64(2), Loaded: r.GetDecimal(3), Spent: r.GetDecimal(4),
                Earns: r.GetInt64(5)), args))[0];
        var tiers = await db.QueryAsync(
            "SELECT tier, count(*) FROM loyalty_members WHERE tenant_id = @t AND env = @e AND (@loc::text IS NULL OR location_id = @loc) GROUP BY tier",
            r => (Tier: r.GetString(0), Count: r.GetInt64(1)), args);
        return new LocationStatsView(locationId, tiers.Sum(t => t.Count), ledger.Earned, ledger.Redeemed, ledger.Checkins, ledger.Loaded,
            ledger.Spent, ledger.Earns, tiers.ToDictionary(t => t.Tier, t => t.Count));
    }

    public async Task<ReferralView> CreateReferralAsync(string memberId, string channel, string? recipientPhone)
    {
        var scope = Scope;
        var member = await GrainFactory.GetWallet(scope, memberId).GetAsync();
        var referralId = Ids.New("ref", 12);
        var now = clock.GetUtcNow();
        await db.ExecuteAsync(
            """
            INSERT INTO loyalty_referrals (tenant_id, env, referral_id, referrer_member_id, channel, recipient_phone, status, created_at, updated_at)
            VALUES (@t, @e, @id, @m, @channel, @phone, 'sent', @now, @now)
            """,
            ("t", scope.TenantId), ("e", scope.EnvName), ("id", referralId), ("m", memberId), ("channel", channel), ("phone", recipientPhone), ("now", now));
        var link = $"{(messaging.Value.PublicBaseUrl ?? "https://app.cloudfran.com").TrimEnd('/')}/join?ref={referralId}";
        var delivery = "link";
        if (channel == "sms")
        {
            var to = recipientPhone ?? member.Phone;
            try
            {
                await GrainFactory.GetSmsSender(scope).SendAsync(new SmsSendRequest(to,
                    $"{member.Name} invited you to join our rewards program. Sign up with code {referralId}: {link}", null, member.LocationId,
                    $"referral:{referralId}"));
                delivery = "sms_queued";
            }
            catch (CloudFranException e) when (e.Kind == ErrorKind.Conflict)
            {
                delivery = "sms_opted_out";
            }
        }
        else if (channel == "email")
        {
            delivery = "email_not_sent";
        }
        return new ReferralView(referralId, memberId, channel, referralId, link, "sent", null, delivery, now);
    }

    public async Task<TransferView> GetTransferAsync(string transferId) =>
        await LoyaltyTransferGrain.ReadAsync(db, Scope, transferId) ?? throw CloudFranException.NotFound("Transfer");

    public async Task<WalletLoadView> GetLoadAsync(string memberId, string loadId)
    {
        var load = await WalletLoads.ReadAsync(db, Scope, loadId);
        return load is not null && load.MemberId == memberId ? load : throw CloudFranException.NotFound("Wallet load");
    }

    public async Task<GiftCardRedemptionView> RedeemGiftCardAsync(GiftCardRedeemRequest request)
    {
        var scope = Scope;
        var card = await FindCardAsync(scope, request.Code);
        if (request.MemberId is null)
        {
            // Paid at checkout: a debit of the card alone.
            var cardGrain = GrainFactory.GetGiftCard(scope, card);
            var snapshot = await cardGrain.GetAsync();
            var amount = request.Amount ?? snapshot.Balance;
            var entry = await cardGrain.DebitAsync(amount, $"checkout:{request.IdempotencyKey}", request.Reference, "gift_redeem");
            var after = await cardGrain.GetAsync();
            return new GiftCardRedemptionView(card, -entry.AmountDelta, entry.WalletBalance, after.Status, null, null, null);
        }
        await RequireMemberAsync(scope, request.MemberId);
        var transferId = LoyaltyIds.FromKey("xfr", $"{scope}|gift|{request.IdempotencyKey}");
        var gift = GrainFactory.GetGiftCard(scope, card);
        var redeemAmount = request.Amount ?? (await gift.GetAsync()).Balance;
        var transfer = await GrainFactory.GetLoyaltyTransfer(scope, transferId).RedeemGiftCardAsync(card, request.MemberId, redeemAmount, request.IdempotencyKey);
        var cardAfter = await gift.GetAsync();
        var member = await GrainFactory.GetWallet(scope, request.MemberId).GetAsync();
        return new GiftCardRedemptionView(card, transfer.Amount, cardAfter.Balance, cardAfter.Status, request.MemberId, member.WalletBalance, transfer.TransferId);
    }

    public async Task<GiftCardView> LookupGiftCardAsync(string code)
    {
        var scope = Scope;
        return await GrainFactory.GetGiftCard(scope, await FindCardAsync(scope, code)).GetAsync();
    }

    private async Task<string> FindCardAsync(TenantScope scope, string code) =>
        await db.ScalarAsync<string>("SELECT gift_card_id FROM loyalty_gift_cards WHERE tenant_id = @t AND env = @e AND code_hash = @h",
            ("t", scope.TenantId), ("e", scope.EnvName), ("h", GiftCardGrain.HashCode(code)))
        ?? throw CloudFranException.NotFound("Gift card");

    private async Task RequireMemberAsync(TenantScope scope, string memberId)
    {
        if (await db.ScalarAsync<string>("SELECT member_id FROM loyalty_members WHERE tenant_id = @t AND env = @e AND member_id = @m",
                ("t", scope.TenantId), ("e", scope.EnvName), ("m", memberId)) is null)
        {
            throw CloudFranException.NotFound("Member");
        }
    }

    internal static async Task RequireLocationAsync(PlatformDb db, TenantScope scope, string locationId, string field)
    {
        if (await db.ScalarAsync<string>("SELECT location_id FROM locations WHERE tenant_id = @t AND env = @e AND location_id = @l",
                ("t", scope.TenantId), ("e", scope.EnvName), ("l", locationId)) is null)
        {
            throw new CloudFranException(ErrorKind.NotFound, ErrorCodes.ResourceNotFound, "Location was not found.", [new FieldError(field, "No such location.")]);
        }
    }

    private Task RequireLocationAsync(TenantScope scope, string locationId, string field) => RequireLocationAsync(db, scope, locationId, field);
}
