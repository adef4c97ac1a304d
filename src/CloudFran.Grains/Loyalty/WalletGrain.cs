using System.Globalization;
using System.Text.Json;
using CloudFran.Abstractions.Errors;
using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Loyalty;
using CloudFran.Grains.Events;
using CloudFran.Grains.Storage;
using Microsoft.Extensions.Logging;
using Npgsql;
using Orleans.Concurrency;

namespace CloudFran.Grains.Loyalty;

/// <summary>The member row as the wallet grain caches it between calls.</summary>
internal sealed record WalletState(
    string Name, string Phone, string? Email, string? LocationId, string? ReferredBy, DateTimeOffset CreatedAt,
    long Points, long Lifetime, decimal Wallet, string Tier, int Streak, DateOnly? LastCheckin, int Checkins,
    IReadOnlyList<string> Badges, DateTimeOffset? FirstPurchaseAt, DateTimeOffset? LastActivity,
    decimal? ReloadThreshold, decimal? ReloadAmount, string? PaymentMethod, long Version, long Seq);

/// <summary>
/// See <see cref="IWalletGrain"/>. Non-reentrant: operations on one member run one at a time, so a balance check
/// and the write that depends on it cannot interleave (concurrent redeems cannot overspend). The grain never awaits
/// another wallet, so transfers in opposite directions cannot deadlock.
/// </summary>
[Reentrant]
public sealed partial class WalletGrain(PlatformDb db, TimeProvider clock, ILogger<WalletGrain> logger, StripePayments stripe) : Grain, IWalletGrain
{
    private static readonly (string Badge, Func<WalletState, bool> Earned)[] BadgeRules =
    [
        ("first_visit", s => s.Checkins >= 1),
        ("regular", s => s.Checkins >= 10),
        ("devotee", s => s.Checkins >= 50),
        ("streak_3", s => s.Streak >= 3),
        ("streak_7", s => s.Streak >= 7),
        ("streak_30", s => s.Streak >= 30),
    ];

    private TenantScope _scope;
    private string _memberId = "";
    private WalletState? _state;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var key = this.GetPrimaryKeyString();
        var cut = key.LastIndexOf('/');
        (_scope, _memberId) = (TenantScope.Parse(key[..cut]), key[(cut + 1)..]);
        return Task.CompletedTask;
    }

    private async Task<WalletState> StateAsync()
    {
        if (_state is not null)
        {
            return _state;
        }
        if (!Ids.IsValid(_memberId, "mem"))
        {
            throw CloudFranException.NotFound("Member");
        }
        _state = await db.QuerySingleAsync(
            """
            SELECT m.name, m.phone, m.email, m.location_id, m.referred_by, m.created_at, m.points_balance, m.lifetime_points,
                   m.wallet_balance, m.tier, m.streak_days, m.last_checkin_date, m.checkins_total, m.badges::text, m.first_purchase_at,
                   m.last_activity_at, m.auto_reload_threshold, m.auto_reload_amount, m.payment_method_id, m.version,
                   (SELECT coalesce(max(seq), 0) FROM loyalty_ledger l WHERE l.tenant_id = m.tenant_id AND l.env = m.env AND l.member_id = m.member_id)
              FROM loyalty_members m WHERE m.tenant_id = @t AND m.env = @e AND m.member_id = @m
            """,
            r => new WalletState(r.GetString(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3),
                r.IsDBNull(4) ? null : r.GetString(4), new DateTimeOffset(r.GetDateTime(5), TimeSpan.Zero), r.GetInt64(6), r.GetInt64(7),
                r.GetDecimal(8), r.GetString(9), r.GetInt32(10), r.IsDBNull(11) ? null : DateOnly.FromDateTime(r.GetDateTime(11)), r.GetInt32(12),
                JsonSerializer.Deserialize<List<string>>(r.GetString(13)) ?? [],
                r.IsDBNull(14) ? null : new DateTimeOffset(r.GetDateTime(14), TimeSpan.Zero),
                r.IsDBNull(15) ? null : new DateTimeOffset(r.GetDateTime(15), TimeSpan.Zero),
                r.IsDBNull(16) ? null : r.GetDecimal(16), r.IsDBNull(17) ? null : r.GetDecimal(17), r.IsDBNull(18) ? null : r.GetString(18),
                r.GetInt64(19), r.GetInt64(20)),
            ("t", _scope.TenantId), ("e", _scope.EnvName), ("m", _memberId));
        return _state ?? throw CloudFranException.NotFound("Member");
    }

    public Task ReloadAsync()
    {
        _state = null;
        return Task.CompletedTask;
    }

    private async Task<MemberView> GetCoreAsync()
    {
        await ExpireIfDueAsync(await ProgramAsync());
        return View(await StateAsync());
    }

    private MemberView View(WalletState s) => new(_memberId, s.Name, s.Phone, s.Email, s.LocationId, s.Points, s.Lifetime, s.Tier,
        s.Wallet, s.Streak, s.Badges, s.Checkins,
        s.ReloadThreshold is { } th && s.ReloadAmount is { } amt ? new AutoReloadView(th, amt, s.PaymentMethod) : null,
        s.CreatedAt, s.LastActivity, s.ReferredBy);


    // ------------------------------------------------------------------ one writer at a time
    // The grain is reentrant only so that earns arriving while a write is in flight can queue up and be committed
    // together (group commit). Every operation still runs alone: the gate below admits one at a time, and the earn
    // batch is processed sequentially against the state, so balance checks and writes never interleave.

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly List<(EarnRequest Request, TaskCompletionSource<LedgerEntryView> Done)> _earns = [];
    private bool _flushing;

    private async Task<T> Serial<T>(Func<Task<T>> body)
    {
        await _gate.WaitAsync();
        try
        {
            return await body();
        }
        finally
        {
            _gate.Release();
        }
    }

    public Task<MemberView> GetAsync() => Serial(GetCoreAsync);
    public Task<LedgerEntryView> AwardReferralAsync(string referralId, long points) => Serial(() => AwardReferralCoreAsync(referralId, points));
    public Task<LedgerEntryView> RedeemAsync(RedeemRequest request) => Serial(() => RedeemCoreAsync(request));
    public Task<LedgerEntryView> RefundPointsAsync(PointsRefundRequest request) => Serial(() => RefundPointsCoreAsync(request));
    public Task<CheckinView> CheckInAsync(string locationId, string idempotencyKey) => Serial(() => CheckInCoreAsync(locationId, idempotencyKey));
    public Task<LedgerEntryView> SpendAsync(WalletSpendRequest request) => Serial(() => SpendCoreAsync(request));
    public Task<LedgerEntryView> TransferOutAsync(string transferId, string counterparty, long points, decimal amount, string key) =>
        Serial(() => TransferOutCoreAsync(transferId, counterparty, points, amount, key));
    public Task<LedgerEntryView> TransferInAsync(string transferId, string counterparty, long points, decimal amount, string key, string kind) =>
        Serial(() => TransferInCoreAsync(transferId, counterparty, points, amount, key, kind));
    public Task<LedgerEntryView> CreditLoadAsync(string loadId, decimal amount) => Serial(() => CreditLoadCoreAsync(loadId, amount));
    public Task<WalletLoadView> ReserveLoadAsync(string loadId, WalletLoadRequest request) => Serial(() => ReserveLoadCoreAsync(loadId, request));

    public async Task<LedgerEntryView> EarnAsync(EarnRequest request)
    {
        var done = new TaskCompletionSource<LedgerEntryView>(TaskCreationOptions.RunContinuationsAsynchronously);
        _earns.Add((request, done));
        if (!_flushing)
        {
            _flushing = true;
            FlushEarnsAsync().Ignore();
        }
        return await done.Task;
    }

    private async Task FlushEarnsAsync()
    {
        try
        {
            while (_earns.Count > 0)
            {
                await _gate.WaitAsync();
                var batch = _earns.ToList();
                _earns.Clear();
                try
                {
                    await EarnBatchAsync(batch);
                }
                catch (Exception e)
                {
                    foreach (var (_, done) in batch)
                    {
                        done.TrySetException(e);
                    }
                }
                finally
                {
                    _gate.Release();
                }
            }
        }
        finally
        {
            _flushing = false;
        }
    }

    private static string EarnFingerprint(EarnRequest r) =>
        LedgerWriter.Fingerprint("earn", r.Amount, r.Points, r.Category, r.Reference, r.LocationId);

    /// <summary>
    /// Group commit of queued earns: replays answered from the ledger, the rest applied one after the other to the
    /// state, then all their ledger rows, the balance row and their events committed in one transaction.
    /// </summary>
    private async Task EarnBatchAsync(List<(EarnRequest Request, TaskCompletionSource<LedgerEntryView> Done)> batch)
    {
        var program = await ProgramAsync();
        await ExpireIfDueAsync(program);
        var s = await StateAsync();
        if (batch.Count == 1 || (s.FirstPurchaseAt is null && s.ReferredBy is not null))
        {
            // The referral path (first purchase of a referred member) and lone earns take the single-entry path.
            foreach (var (request, done) in batch)
            {
                try
                {
                    done.TrySetResult(await EarnCoreAsync(request));
                }
                catch (Exception e)
                {
                    done.TrySetException(e);
                }
            }
            return;
        }
        var stored = await LedgerWriter.StoredAsync(db, _scope, _memberId, batch.Select(b => b.Request.IdempotencyKey).Distinct().ToArray());
        var now = clock.GetUtcNow();
        var work = s;
        var accepted = new List<(LedgerEntryView Entry, string Fingerprint, string TierBefore, EarnRequest Request, TaskCompletionSource<LedgerEntryView> Done)>();
        var inBatch = new Dictionary<string, (string Fingerprint, List<TaskCompletionSource<LedgerEntryView>> Waiters)>();
        foreach (var (request, done) in batch)
        {
            var fp = EarnFingerprint(request);
            if (stored.TryGetValue(request.IdempotencyKey, out var original))
            {
                if (original.Fingerprint != fp) done.TrySetException(LoyaltyErrors.KeyReused());
                else done.TrySetResult(JsonSerializer.Deserialize<LedgerEntryView>(original.Result, Json.Options)! with { Replayed = true });
                continue;
            }
            if (inBatch.TryGetValue(request.IdempotencyKey, out var first))
            {
                if (first.Fingerprint != fp) done.TrySetException(LoyaltyErrors.KeyReused());
                else first.Waiters.Add(done);
                continue;
            }
            inBatch[request.IdempotencyKey] = (fp, []);
            var (points, description) = ComputeEarn(program, work, request, now);
            var lifetime = work.Lifetime + Math.Max(0, points);
            var next = work with
            {
                Points = work.Points + points, Lifetime = lifetime, Tier = program.TierFor(lifetime).Name, LastActivity = now,
                FirstPurchaseAt = request.Amount is not null && work.FirstPurchaseAt is null ? now : work.FirstPurchaseAt,
                Seq = work.Seq + 1,
            };
            var entry = new LedgerEntryView(Ids.New("led", 20), _memberId, "earn", points, 0, next.Points, next.Wallet, request.IdempotencyKey,
                request.Reference, request.LocationId, description, now, next.Tier);
            accepted.Add((entry, fp, work.Tier, request, done));
            work = next;
        }
        if (accepted.Count > 0)
        {
            try
            {
                await using var conn = await db.Source.OpenConnectionAsync();
                await using var tx = await conn.BeginTransactionAsync();
                await LedgerWriter.InsertManyAsync(conn, tx, _scope, _memberId, accepted.Select((a, i) =>
                    (a.Entry, s.Seq + 1 + i, a.Fingerprint, JsonSerializer.Serialize(a.Entry, Json.Options))).ToList());
                await using (var update = new NpgsqlCommand(
                    """
                    UPDATE loyalty_members SET points_balance = @pb, lifetime_points = @lp, tier = @tier, first_purchase_at = @fpa,
                           last_activity_at = @la, version = version + 1, updated_at = @now
                     WHERE tenant_id = @t AND env = @e AND member_id = @m AND version = @v
                    """, conn, tx))
                {
                    update.Parameters.AddWithValue("pb", work.Points);
                    update.Parameters.AddWithValue("lp", work.Lifetime);
                    update.Parameters.AddWithValue("tier", work.Tier);
                    update.Parameters.AddWithValue("fpa", (object?)work.FirstPurchaseAt ?? DBNull.Value);
                    update.Parameters.AddWithValue("la", (object?)work.LastActivity ?? DBNull.Value);
                    update.Parameters.AddWithValue("now", now);
                    update.Parameters.AddWithValue("t", _scope.TenantId);
                    update.Parameters.AddWithValue("e", _scope.EnvName);
                    update.Parameters.AddWithValue("m", _memberId);
                    update.Parameters.AddWithValue("v", s.Version);
                    if (await update.ExecuteNonQueryAsync() != 1)
                    {
                        throw new InvalidOperationException($"The balance row of {_memberId} changed under its single writer (version mismatch).");
                    }
                }
                foreach (var (entry, _, tierBefore, request, _) in accepted)
                {
                    await EventOutbox.AppendAsync(conn, tx, _scope, "loyalty.points_earned", new
                    {
                        memberId = _memberId, points = entry.PointsDelta, balance = entry.PointsBalance, amount = request.Amount,
                        category = request.Category, reference = request.Reference, locationId = request.LocationId, entryId = entry.EntryId,
                    }, $"loyalty.points_earned:{entry.EntryId}");
                    await TierEventAsync(conn, tx, tierBefore, entry.Tier!, entry.EntryId);
                }
                await tx.CommitAsync();
            }
            catch
            {
                _state = null;
                throw;
            }
            _state = work with { Version = s.Version + 1 };
        }
        foreach (var (entry, _, _, request, done) in accepted)
        {
            done.TrySetResult(entry);
            foreach (var waiter in inBatch[request.IdempotencyKey].Waiters)
            {
                waiter.TrySetResult(entry with { Replayed = true });
            }
        }
    }

    private Task<LoyaltyProgram> ProgramAsync() => GrainFactory.GetLoyaltyProgram(_scope).GetAsync();

    // ------------------------------------------------------------------ points

    private async Task<LedgerEntryView> EarnCoreAsync(EarnRequest request)
    {
        var fp = LedgerWriter.Fingerprint("earn", request.Amount, request.Points, request.Category, request.Reference, request.LocationId);
        var program = await ProgramAsync();
        await ExpireIfDueAsync(program);
        var s = await StateAsync();
        var now = clock.GetUtcNow();
        var (points, description) = ComputeEarn(program, s, request, now);

        // The referred member's first purchase completes the referral: a welcome bonus here, the referrer's bonus next.
        var firstPurchase = request.Amount is not null && s.FirstPurchaseAt is null;
        string? referralId = null;
        if (firstPurchase && s.ReferredBy is not null)
        {
            referralId = await db.ScalarAsync<string>(
                "SELECT referral_id FROM loyalty_referrals WHERE tenant_id = @t AND env = @e AND referred_member_id = @m AND status = 'joined'",
                ("t", _scope.TenantId), ("e", _scope.EnvName), ("m", _memberId));
            if (referralId is not null && program.ReferredBonusPoints > 0)
            {
                points += program.ReferredBonusPoints;
                description += $" + {program.ReferredBonusPoints} welcome bonus";
            }
        }

        var lifetime = s.Lifetime + Math.Max(0, points);
        var next = s with
        {
            Points = s.Points + points, Lifetime = lifetime, Tier = program.TierFor(lifetime).Name, LastActivity = now,
            FirstPurchaseAt = firstPurchase ? now : s.FirstPurchaseAt,
        };
        var entry = await WriteAsync(next, new LedgerChange("earn", points, 0, request.IdempotencyKey, fp, request.Reference, request.LocationId, description),
            async (conn, tx, e) =>
            {
                await EventOutbox.AppendAsync(conn, tx, _scope, "loyalty.points_earned", new
                {
                    memberId = _memberId, points, balance = e.PointsBalance, lifetimePoints = lifetime, amount = request.Amount,
                    category = request.Category, reference = request.Reference, locationId = request.LocationId, entryId = e.EntryId,
                }, $"loyalty.points_earned:{e.EntryId}");
                await TierEventAsync(conn, tx, s.Tier, next.Tier, e.EntryId);
                if (referralId is not null)
                {
                    await using var cmd = new NpgsqlCommand(
                        "UPDATE loyalty_referrals SET status = 'completed', updated_at = @now WHERE tenant_id = @t AND env = @e AND referral_id = @r AND status = 'joined'",
                        conn, tx);
                    cmd.Parameters.AddWithValue("now", now);
                    cmd.Parameters.AddWithValue("t", _scope.TenantId);
                    cmd.Parameters.AddWithValue("e", _scope.EnvName);
                    cmd.Parameters.AddWithValue("r", referralId);
                    await cmd.ExecuteNonQueryAsync();
                    await EventOutbox.AppendAsync(conn, tx, _scope, "loyalty.referral_complete", new
                    {
                        referralId, referrerMemberId = s.ReferredBy, referredMemberId = _memberId, entryId = e.EntryId,
                    }, $"loyalty.referral_complete:{referralId}");
                }
            });
        if (referralId is not null && !entry.Replayed)
        {
            // The referrer's bonus: its own idempotent entry; the recovery sweep retries it if this call is lost.
            GrainFactory.GetWallet(_scope, s.ReferredBy!).AwardReferralAsync(referralId, program.ReferralBonusPoints).Ignore();
        }
        return entry;
    }

    private async Task<LedgerEntryView> AwardReferralCoreAsync(string referralId, long points)
    {
        var s = await StateAsync();
        var key = $"referral:{referralId}";
        var fp = LedgerWriter.Fingerprint("referral", referralId);
        var lifetime = s.Lifetime + points;
        var program = await ProgramAsync();
        var next = s with { Points = s.Points + points, Lifetime = lifetime, Tier = program.TierFor(lifetime).Name };
        return await WriteAsync(next, new LedgerChange("referral_bonus", points, 0, key, fp, referralId, null, "Referral bonus"),
            async (conn, tx, e) =>
            {
                await using var cmd = new NpgsqlCommand(
                    "UPDATE loyalty_referrals SET status = 'rewarded', updated_at = @now WHERE tenant_id = @t AND env = @e AND referral_id = @r",
                    conn, tx);
                cmd.Parameters.AddWithValue("now", clock.GetUtcNow());
                cmd.Parameters.AddWithValue("t", _scope.TenantId);
                cmd.Parameters.AddWithValue("e", _scope.EnvName);
                cmd.Parameters.AddWithValue("r", referralId);
                await cmd.ExecuteNonQueryAsync();
                await TierEventAsync(conn, tx, s.Tier, next.Tier, e.EntryId);
            },
            afterReplay: async () => await db.ExecuteAsync(
                "UPDATE loyalty_referrals SET status = 'rewarded' WHERE tenant_id = @t AND env = @e AND referral_id = @r",
                ("t", _scope.TenantId), ("e", _scope.EnvName), ("r", referralId)));
    }

    private async Task<LedgerEntryView> RedeemCoreAsync(RedeemRequest request)
    {
        var fp = LedgerWriter.Fingerprint("redeem", request.Points, request.RewardId, request.Reference, request.LocationId);
        var program = await ProgramAsync();
        await ExpireIfDueAsync(program);
        var s = await StateAsync();
        long points;
        string description;
        if (request.RewardId is { } rewardId)
        {
            var reward = program.Rewards.FirstOrDefault(r => r.RewardId == rewardId)
                         ?? throw CloudFranException.Invalid("rewardId", "No such reward in the program.");
            points = reward.Points;
            description = $"Reward: {reward.Name}";
        }
        else
        {
            points = request.Points!.Value;
            description = "Points redeemed";
        }
        if (points > s.Points)
        {
            return await ReplayOrThrowAsync(request.IdempotencyKey, fp, new CloudFranException(ErrorKind.Conflict, LoyaltyErrors.InsufficientPoints,
                $"The member has {s.Points} points; {points} are needed."));
        }
        var next = s with { Points = s.Points - points, LastActivity = clock.GetUtcNow() };
        return await WriteAsync(next, new LedgerChange("redeem", -points, 0, request.IdempotencyKey, fp, request.Reference, request.LocationId, description),
            (conn, tx, e) => EventOutbox.AppendAsync(conn, tx, _scope, "loyalty.reward_redeemed", new
            {
                memberId = _memberId, points, rewardId = request.RewardId, balance = e.PointsBalance, reference = request.Reference,
                locationId = request.LocationId, entryId = e.EntryId,
            }, $"loyalty.reward_redeemed:{e.EntryId}"));
    }

    private async Task<LedgerEntryView> RefundPointsCoreAsync(PointsRefundRequest request)
    {
        var fp = LedgerWriter.Fingerprint("refund", request.Points, request.Reference);
        var program = await ProgramAsync();
        var s = await StateAsync();
        if (request.Points > s.Points && !program.AllowNegativeBalanceAfterRefund)
        {
            return await ReplayOrThrowAsync(request.IdempotencyKey, fp, new CloudFranException(ErrorKind.Conflict, LoyaltyErrors.InsufficientPoints,
                $"The refund would take the balance below zero ({s.Points} points); the program does not allow negative balances."));
        }
        var lifetime = Math.Max(0, s.Lifetime - request.Points);
        var next = s with { Points = s.Points - request.Points, Lifetime = lifetime, Tier = program.TierFor(lifetime).Name };
        return await WriteAsync(next, new LedgerChange("refund", -request.Points, 0, request.IdempotencyKey, fp, request.Reference, null, "Purchase refunded"),
            (conn, tx, e) => TierEventAsync(conn, tx, s.Tier, next.Tier, e.EntryId));
    }

    private static (long Points, string Description) ComputeEarn(LoyaltyProgram program, WalletState s, EarnRequest request, DateTimeOffset now)
    {
        long points;
        string description;
        if (request.Points is { } direct)
        {
            points = direct;
            description = "Points added";
        }
        else
        {
            var amount = request.Amount!.Value;
            var multiplier = program.TierFor(s.Lifetime).EarnMultiplier;
            if (request.Category is { } category && program.CategoryMultipliers.TryGetValue(category.ToLowerInvariant(), out var cm))
            {
                multiplier *= cm;
            }
            long bonus = 0;
            var promos = new List<string>();
            foreach (var promo in ActivePromotions(program, now, request.Category, request.LocationId))
            {
                multiplier *= promo.Multiplier;
                bonus += promo.BonusPoints;
                promos.Add(promo.Name);
            }
            points = (long)Math.Floor(amount * program.PointsPerCurrencyUnit * multiplier) + bonus;
            description = promos.Count == 0
                ? $"Purchase of {amount.ToString("0.00", CultureInfo.InvariantCulture)}"
                : $"Purchase of {amount.ToString("0.00", CultureInfo.InvariantCulture)} ({string.Join(", ", promos)})";
        }

        return (points, description);
    }

    private static IEnumerable<LoyaltyPromotion> ActivePromotions(LoyaltyProgram program, DateTimeOffset now, string? category, string? locationId)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(program.Timezone);
        var day = TimeZoneInfo.ConvertTime(now, zone).DayOfWeek.ToString().ToLowerInvariant();
        return program.Promotions.Where(p =>
            (p.StartsAt is null || p.StartsAt <= now) && (p.EndsAt is null || now < p.EndsAt)
            && (p.DaysOfWeek is not { Count: > 0 } days || days.Contains(day))
            && (p.Categories is not { Count: > 0 } cats || (category is not null && cats.Contains(category, StringComparer.OrdinalIgnoreCase)))
            && (p.LocationIds is not { Count: > 0 } locs || (locationId is not null && locs.Contains(locationId))));
    }

    public Task ExpireIfDueAsync() => Serial(async () => { await ExpireIfDueAsync(await ProgramAsync()); return true; });

    private async Task ExpireIfDueAsync(LoyaltyProgram program)
    {
        var s = await StateAsync();
        if (program.PointsExpiryDays is not { } days || s.Points <= 0 || s.LastActivity is not { } last
            || last.AddDays(days) > clock.GetUtcNow())
        {
            return;
        }
        var key = $"expire:{last.UtcTicks}";
        await WriteAsync(s with { Points = 0 }, new LedgerChange("expire", -s.Points, 0, key, LedgerWriter.Fingerprint("expire", last.UtcTicks),
            null, null, $"Points expired after {days} days without activity"), null);
    }

    // ------------------------------------------------------------------ check-ins

    private async Task<CheckinView> CheckInCoreAsync(string locationId, string idempotencyKey)
    {
        var program = await ProgramAsync();
        await ExpireIfDueAsync(program);
        var s = await StateAsync();
        var now = clock.GetUtcNow();
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, TimeZoneInfo.FindSystemTimeZoneById(program.Timezone)).DateTime);
        // One awarded check-in per member per program day: the day is the idempotency key.
        var key = $"checkin:{today:yyyy-MM-dd}";
        var fp = LedgerWriter.Fingerprint("checkin", today);
        if (s.LastCheckin == today)
        {
            var original = await LedgerWriter.ReplayAsync<CheckinView>(db, _scope, _memberId, key, fp);
            if (original is not null)
            {
                return original with { AlreadyCheckedInToday = true, PointsBalance = s.Points, Streak = s.Streak, Badges = s.Badges, NewBadges = [] };
            }
        }
        var streak = s.LastCheckin == today.AddDays(-1) ? s.Streak + 1 : 1;
        var next = s with
        {
            Points = s.Points + program.VisitBonusPoints, Lifetime = s.Lifetime + program.VisitBonusPoints, Streak = streak,
            LastCheckin = today, Checkins = s.Checkins + 1, LastActivity = now,
        };
        next = next with { Tier = program.TierFor(next.Lifetime).Name };
        var newBadges = BadgeRules.Where(b => !s.Badges.Contains(b.Badge) && b.Earned(next)).Select(b => b.Badge).ToList();
        next = next with { Badges = [.. s.Badges, .. newBadges] };
        CheckinView? view = null;
        var entry = await WriteAsync(next, new LedgerChange("checkin", program.VisitBonusPoints, 0, key, fp, idempotencyKey, locationId, $"Check-in (day {streak} of streak)"),
            async (conn, tx, e) =>
            {
                await EventOutbox.AppendAsync(conn, tx, _scope, "loyalty.checkin", new
                {
                    memberId = _memberId, locationId, points = program.VisitBonusPoints, streak, newBadges, entryId = e.EntryId,
                }, $"loyalty.checkin:{e.EntryId}");
                await TierEventAsync(conn, tx, s.Tier, next.Tier, e.EntryId);
            },
            shape: e => view = new CheckinView(_memberId, locationId, program.VisitBonusPoints, e.PointsBalance, streak, newBadges, next.Badges, e.EntryId, false));
        if (entry.Replayed)
        {
            var original = await LedgerWriter.ReplayAsync<CheckinView>(db, _scope, _memberId, key, fp);
            return original! with { AlreadyCheckedInToday = true };
        }
        return view!;
    }

    // ------------------------------------------------------------------ stored value

    private async Task<LedgerEntryView> SpendCoreAsync(WalletSpendRequest request)
    {
        var fp = LedgerWriter.Fingerprint("spend", request.Amount, request.Reference, request.LocationId);
        var s = await StateAsync();
        if (request.Amount > s.Wallet)
        {
            return await ReplayOrThrowAsync(request.IdempotencyKey, fp, new CloudFranException(ErrorKind.Conflict, LoyaltyErrors.InsufficientFunds,
                $"The wallet holds {s.Wallet.ToString("0.00", CultureInfo.InvariantCulture)}; {request.Amount.ToString("0.00", CultureInfo.InvariantCulture)} is needed."));
        }
        var next = s with { Wallet = s.Wallet - request.Amount, LastActivity = clock.GetUtcNow() };
        return await DebitWithAutoReloadAsync(next, new LedgerChange("wallet_spend", 0, -request.Amount, request.IdempotencyKey, fp,
            request.Reference, request.LocationId, "Paid from wallet"));
    }

    private async Task<LedgerEntryView> TransferOutCoreAsync(string transferId, string counterparty, long points, decimal amount, string key)
    {
        var fp = LedgerWriter.Fingerprint("xfer-out", transferId, counterparty, points, amount);
        var s = await StateAsync();
        if (points > s.Points)
        {
            return await ReplayOrThrowAsync(key, fp, new CloudFranException(ErrorKind.Conflict, LoyaltyErrors.InsufficientPoints,
                $"The sender has {s.Points} points; {points} are needed."));
        }
        if (amount > s.Wallet)
        {
            return await ReplayOrThrowAsync(key, fp, new CloudFranException(ErrorKind.Conflict, LoyaltyErrors.InsufficientFunds,
                $"The sender's wallet holds {s.Wallet.ToString("0.00", CultureInfo.InvariantCulture)}."));
        }
        var next = s with { Points = s.Points - points, Wallet = s.Wallet - amount, LastActivity = clock.GetUtcNow() };
        return await DebitWithAutoReloadAsync(next, new LedgerChange("transfer_out", -points, -amount, key, fp, transferId, null, $"Transfer to {counterparty}"));
    }

    private async Task<LedgerEntryView> TransferInCoreAsync(string transferId, string counterparty, long points, decimal amount, string key, string kind)
    {
        var fp = LedgerWriter.Fingerprint("xfer-in", transferId, counterparty, points, amount, kind);
        var s = await StateAsync();
        var next = s with { Points = s.Points + points, Wallet = s.Wallet + amount, LastActivity = clock.GetUtcNow() };
        var description = kind == "gift_redeem" ? $"Gift card {counterparty} redeemed" : $"Transfer from {counterparty}";
        return await WriteAsync(next, new LedgerChange(kind, points, amount, key, fp, transferId, null, description), null);
    }

    private async Task<LedgerEntryView> CreditLoadCoreAsync(string loadId, decimal amount)
    {
        var s = await StateAsync();
        var next = s with { Wallet = s.Wallet + amount, LastActivity = clock.GetUtcNow() };
        return await WriteAsync(next, new LedgerChange("wallet_load", 0, amount, $"load:{loadId}", LedgerWriter.Fingerprint("load", loadId, amount),
                loadId, null, "Wallet loaded by card"),
            (conn, tx, e) => EventOutbox.AppendAsync(conn, tx, _scope, "wallet.funds_loaded", new
            {
                memberId = _memberId, loadId, amount, balance = e.WalletBalance, entryId = e.EntryId,
            }, $"wallet.funds_loaded:{loadId}"));
    }

    private async Task<WalletLoadView> ReserveLoadCoreAsync(string loadId, WalletLoadRequest request)
    {
        var s = await StateAsync();
        var existing = await WalletLoadGrain.ReadAsync(db, _scope, loadId);
        if (existing is not null)
        {
            return existing;
        }
        var program = await ProgramAsync();
        var paymentMethod = request.PaymentMethodId ?? s.PaymentMethod
            ?? throw CloudFranException.Invalid("paymentMethodId", "paymentMethodId is required (no saved payment method).");
        var loadedToday = await LoadedTodayAsync();
        if (loadedToday + request.Amount > program.DailyStoredValueLimit)
        {
            throw new CloudFranException(ErrorKind.Conflict, LoyaltyErrors.DailyLimitExceeded,
                $"Loading {request.Amount.ToString("0.00", CultureInfo.InvariantCulture)} would exceed the daily stored-value limit of "
                + $"{program.DailyStoredValueLimit.ToString("0.00", CultureInfo.InvariantCulture)} ({loadedToday.ToString("0.00", CultureInfo.InvariantCulture)} loaded today).");
        }
        var next = s with
        {
            PaymentMethod = paymentMethod,
            ReloadThreshold = request.DisableAutoReload ? null : request.AutoReload?.Threshold ?? s.ReloadThreshold,
            ReloadAmount = request.DisableAutoReload ? null : request.AutoReload?.ReloadAmount ?? s.ReloadAmount,
        };
        var now = clock.GetUtcNow();
        await using var conn = await db.Source.OpenConnectionAsync();
        await using var tx = await conn.BeginTransactionAsync();
        await using (var insert = new NpgsqlCommand(
            """
            INSERT INTO loyalty_wallet_loads (tenant_id, env, load_id, member_id, amount, payment_method_id, auto_reload, idempotency_key,
                                              status, created_at, updated_at)
            VALUES (@t, @e, @id, @m, @amount, @pm, false, @key, 'pending', @now, @now)
            ON CONFLICT DO NOTHING
            """, conn, tx))
        {
            insert.Parameters.AddWithValue("t", _scope.TenantId);
            insert.Parameters.AddWithValue("e", _scope.EnvName);
            insert.Parameters.AddWithValue("id", loadId);
            insert.Parameters.AddWithValue("m", _memberId);
            insert.Parameters.AddWithValue("amount", request.Amount);
            insert.Parameters.AddWithValue("pm", paymentMethod);
            insert.Parameters.AddWithValue("key", request.IdempotencyKey);
            insert.Parameters.AddWithValue("now", now);
            if (await insert.ExecuteNonQueryAsync() == 0)
            {
                await tx.RollbackAsync();
                return await WalletLoadGrain.ReadAsync(db, _scope, loadId) ?? throw LoyaltyErrors.KeyReused();
            }
        }
        await SaveSettingsAsync(conn, tx, next, now);
        await tx.CommitAsync();
        _state = next with { Version = next.Version + 1 };
        return (await WalletLoadGrain.ReadAsync(db, _scope, loadId))!;
    }

    private async Task SaveSettingsAsync(NpgsqlConnection conn, NpgsqlTransaction tx, WalletState next, DateTimeOffset now)
    {
        await using var cmd = new NpgsqlCommand(
            """
            UPDATE loyalty_members SET auto_reload_threshold = @th, auto_reload_amount = @amt, payment_method_id = @pm,
                   version = version + 1, updated_at = @now
             WHERE tenant_id = @t AND env = @e AND member_id = @m AND version = @v
            """, conn, tx);
        cmd.Parameters.AddWithValue("th", (object?)next.ReloadThreshold ?? DBNull.Value);
        cmd.Parameters.AddWithValue("amt", (object?)next.ReloadAmount ?? DBNull.Value);
        cmd.Parameters.AddWithValue("pm", (object?)next.PaymentMethod ?? DBNull.Value);
        cmd.Parameters.AddWithValue("now", now);
        cmd.Parameters.AddWithValue("t", _scope.TenantId);
        cmd.Parameters.AddWithValue("e", _scope.EnvName);
        cmd.Parameters.AddWithValue("m", _memberId);
        cmd.Parameters.AddWithValue("v", next.Version);
        if (await cmd.ExecuteNonQueryAsync() != 1)
        {
            _state = null;
            throw new InvalidOperationException("The member row changed under its single writer.");
        }
    }

    private async Task<decimal> LoadedTodayAsync()
    {
        var dayStart = new DateTimeOffset(clock.GetUtcNow().UtcDateTime.Date, TimeSpan.Zero);
        return await db.ScalarAsync<decimal>(
            """
            SELECT coalesce(sum(amount), 0) FROM loyalty_wallet_loads
             WHERE tenant_id = @t AND env = @e AND member_id = @m AND status <> 'failed' AND created_at >= @day
            """,
            ("t", _scope.TenantId), ("e", _scope.EnvName), ("m", _memberId), ("day", dayStart));
    }

    /// <summary>A wallet debit that, when it leaves the balance below the auto-reload threshold, records exactly one
    /// automatic reload in the same transaction (a partial unique index allows one in flight per member).</summary>
    private async Task<LedgerEntryView> DebitWithAutoReloadAsync(WalletState next, LedgerChange change)
    {
        string? reloadId = null;
        var wantsReload = change.AmountDelta < 0 && next.ReloadThreshold is { } threshold && next.ReloadAmount is { } reloadAmount
                          && next.PaymentMethod is not null && next.Wallet < threshold;
        if (wantsReload)
        {
            var program = await ProgramAsync();
            if (await LoadedTodayAsync() + next.ReloadAmount!.Value > program.DailyStoredValueLimit)
            {
                LogReloadOverLimit(logger, _scope.TenantId, _memberId);
                wantsReload = false;
            }
        }
        var entry = await WriteAsync(next, change, async (conn, tx, e) =>
        {
            if (!wantsReload)
            {
                return;
            }
            var id = Ids.New("wld");
            await using var cmd = new NpgsqlCommand(
                """
                INSERT INTO loyalty_wallet_loads (tenant_id, env, load_id, member_id, amount, payment_method_id, auto_reload, idempotency_key,
                                                  status, created_at, updated_at)
                VALUES (@t, @e, @id, @m, @amount, @pm, true, @key, 'pending', @now, @now)
                ON CONFLICT DO NOTHING
                """, conn, tx);
            cmd.Parameters.AddWithValue("t", _scope.TenantId);
            cmd.Parameters.AddWithValue("e", _scope.EnvName);
            cmd.Parameters.AddWithValue("id", id);
            cmd.Parameters.AddWithValue("m", _memberId);
            cmd.Parameters.AddWithValue("amount", next.ReloadAmount!.Value);
            cmd.Parameters.AddWithValue("pm", next.PaymentMethod!);
            cmd.Parameters.AddWithValue("key", $"auto:{e.EntryId}");
            cmd.Parameters.AddWithValue("now", e.CreatedAt);
            if (await cmd.ExecuteNonQueryAsync() == 1)
            {
                reloadId = id;
            }
        });
        if (reloadId is not null)
        {
            GrainFactory.GetWalletLoad(_scope, reloadId).ProcessAsync().Ignore();
        }
        return entry;
    }

    // ------------------------------------------------------------------ the write path

    private async Task<LedgerEntryView> ReplayOrThrowAsync(string key, string fingerprint, CloudFranException error) =>
        await LedgerWriter.ReplayAsync<LedgerEntryView>(db, _scope, _memberId, key, fingerprint) is { } original
            ? original with { Replayed = true }
            : throw error;

    private async Task TierEventAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string from, string to, string entryId)
    {
        if (from != to)
        {
            await EventOutbox.AppendAsync(conn, tx, _scope, "loyalty.tier_changed", new { memberId = _memberId, from, to, entryId },
                $"loyalty.tier_changed:{entryId}");
        }
    }

    /// <summary>
    /// Commits one ledger entry + the member's balance row (+ whatever <paramref name="alsoInTransaction"/> adds:
    /// events, related rows) atomically; the in-memory state advances only after the commit. A replayed key writes
    /// nothing and returns the stored original.
    /// </summary>
    private async Task<LedgerEntryView> WriteAsync(WalletState next, LedgerChange change,
        Func<NpgsqlConnection, NpgsqlTransaction, LedgerEntryView, Task>? alsoInTransaction,
        Func<LedgerEntryView, object>? shape = null, Func<Task>? afterReplay = null)
    {
        var s = await StateAsync();
        var entry = new LedgerEntryView(Ids.New("led", 20), _memberId, change.Kind, change.PointsDelta, change.AmountDelta, next.Points,
            next.Wallet, change.IdempotencyKey, change.Reference, change.LocationId, change.Description, clock.GetUtcNow(), next.Tier);
        var result = shape?.Invoke(entry) ?? entry;
        try
        {
            return await CommitAsync(s, next, change, entry, result, alsoInTransaction, afterReplay);
        }
        catch (Exception e) when (e is not CloudFranException)
        {
            // Unknown outcome (connection lost mid-commit…): reload the truth from PostgreSQL on the next call.
            _state = null;
            throw;
        }
    }

    private async Task<LedgerEntryView> CommitAsync(WalletState s, WalletState next, LedgerChange change, LedgerEntryView entry, object result,
        Func<NpgsqlConnection, NpgsqlTransaction, LedgerEntryView, Task>? alsoInTransaction, Func<Task>? afterReplay)
    {
        await using var conn = await db.Source.OpenConnectionAsync();
        await using var tx = await conn.BeginTransactionAsync();
        var inserted = await LedgerWriter.InsertAsync(conn, tx, _scope, _memberId, entry, s.Seq + 1, change.Fingerprint,
            JsonSerializer.Serialize(result, result.GetType(), Json.Options),
            """
            UPDATE loyalty_members SET points_balance = @pb, lifetime_points = @lp, wallet_balance = @wb, tier = @tier, streak_days = @streak,
                   last_checkin_date = @lcd, checkins_total = @ct, badges = @badges::jsonb, first_purchase_at = @fpa, last_activity_at = @la,
                   version = version + 1, updated_at = @now
             WHERE tenant_id = @t AND env = @e AND member_id = @acct AND version = @v
            """,
            p =>
            {
                p.AddWithValue("pb", next.Points);
                p.AddWithValue("lp", next.Lifetime);
                p.AddWithValue("wb", next.Wallet);
                p.AddWithValue("tier", next.Tier);
                p.AddWithValue("streak", next.Streak);
                p.AddWithValue("lcd", next.LastCheckin is { } d ? d : DBNull.Value);
                p.AddWithValue("ct", next.Checkins);
                p.AddWithValue("badges", JsonSerializer.Serialize(next.Badges));
                p.AddWithValue("fpa", (object?)next.FirstPurchaseAt ?? DBNull.Value);
                p.AddWithValue("la", (object?)next.LastActivity ?? DBNull.Value);
                p.AddWithValue("v", s.Version);
            });
        if (!inserted)
        {
            await tx.RollbackAsync();
            var original = await LedgerWriter.ReplayAsync<LedgerEntryView>(db, _scope, _memberId, change.IdempotencyKey, change.Fingerprint);
            if (afterReplay is not null)
            {
                await afterReplay();
            }
            return original! with { Replayed = true };
        }
        if (alsoInTransaction is not null)
        {
            await alsoInTransaction(conn, tx, entry);
        }
        await tx.CommitAsync();
        _state = next with { Version = s.Version + 1, Seq = s.Seq + 1 };
        return entry;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Auto-reload of {TenantId}/{MemberId} skipped: daily stored-value limit reached")]
    private static partial void LogReloadOverLimit(ILogger logger, string tenantId, string memberId);
}
