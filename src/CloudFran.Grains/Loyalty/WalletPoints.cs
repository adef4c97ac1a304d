using CloudFran.Abstractions.Errors;
using CloudFran.Abstractions.Loyalty;
using CloudFran.Grains.Storage;

namespace CloudFran.Grains.Loyalty;

/// <summary>
/// The points operations of one wallet (earn, referral bonus, redeem, refund, check-in, expiry): rules from
/// <see cref="EarnRules"/>, one ledger entry each through the grain's write path. Called only under the grain's gate.
/// </summary>
internal sealed class WalletPoints(WalletGrain wallet, PlatformDb db, TimeProvider clock)
{
    public async Task<LedgerEntryView> EarnAsync(LoyaltyProgram program, EarnRequest request)
    {
        var fp = EarnRules.Fingerprint(request);
        var s = await wallet.StateAsync();
        var now = clock.GetUtcNow();
        var (points, description) = EarnRules.Compute(program, s, request, now);

        // The referred member's first purchase completes the referral: a welcome bonus here, the referrer's bonus next.
        string? referralId = null;
        if (EarnRules.IsFirstPurchase(s, request) && s.ReferredBy is not null)
        {
            referralId = await WalletRows.JoinedReferralAsync(db, wallet.Scope, wallet.MemberId);
            if (referralId is not null && program.ReferredBonusPoints > 0)
            {
                points += program.ReferredBonusPoints;
                description += $" + {program.ReferredBonusPoints} welcome bonus";
            }
        }
        var next = EarnRules.Earn(program, s, request, points, now);
        var entry = await wallet.WriteAsync(next, new LedgerChange("earn", points, 0, request.IdempotencyKey, fp, request.Reference, request.LocationId, description),
            async (tx, e) =>
            {
                await WalletEvents.PointsEarnedAsync(tx, wallet.Scope, wallet.MemberId, e, request, next.Lifetime);
                await WalletEvents.TierChangedAsync(tx, wallet.Scope, wallet.MemberId, s.Tier, next.Tier, e.EntryId);
                if (referralId is not null)
                {
                    await WalletRows.CompleteReferralAsync(tx, wallet.Scope, referralId, now);
                    await WalletEvents.ReferralCompleteAsync(tx, wallet.Scope, referralId, s.ReferredBy, wallet.MemberId, e.EntryId);
                }
            });
        if (referralId is not null && !entry.Replayed)
        {
            // The referrer's bonus: its own idempotent entry; the recovery sweep retries it if this call is lost.
            wallet.Grains.GetWallet(wallet.Scope, s.ReferredBy!).AwardReferralAsync(referralId, program.ReferralBonusPoints).Ignore();
        }
        return entry;
    }

    public async Task<LedgerEntryView> AwardReferralAsync(string referralId, long points)
    {
        var s = await wallet.StateAsync();
        var lifetime = s.Lifetime + points;
        var program = await wallet.ProgramAsync();
        var next = s with { Points = s.Points + points, Lifetime = lifetime, Tier = program.TierFor(lifetime).Name };
        return await wallet.WriteAsync(next,
            new LedgerChange("referral_bonus", points, 0, $"referral:{referralId}", LedgerWriter.Fingerprint("referral", referralId), referralId, null,
                "Referral bonus"),
            async (tx, e) =>
            {
                await WalletRows.RewardReferralAsync(tx, wallet.Scope, referralId, clock.GetUtcNow());
                await WalletEvents.TierChangedAsync(tx, wallet.Scope, wallet.MemberId, s.Tier, next.Tier, e.EntryId);
            },
            afterReplay: () => WalletRows.RewardReferralAsync(db, wallet.Scope, referralId));
    }

    public async Task<LedgerEntryView> RedeemAsync(RedeemRequest request)
    {
        var fp = LedgerWriter.Fingerprint("redeem", request.Points, request.RewardId, request.Reference, request.LocationId);
        var program = await wallet.ProgramAsync();
        await ExpireAsync(program);
        var s = await wallet.StateAsync();
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
            return await wallet.ReplayOrThrowAsync(request.IdempotencyKey, fp, new CloudFranException(ErrorKind.Conflict, LoyaltyErrors.InsufficientPoints,
                $"The member has {s.Points} points; {points} are needed."));
        }
        var next = s with { Points = s.Points - points, LastActivity = clock.GetUtcNow() };
        return await wallet.WriteAsync(next, new LedgerChange("redeem", -points, 0, request.IdempotencyKey, fp, request.Reference, request.LocationId, description),
            (tx, e) => WalletEvents.RewardRedeemedAsync(tx, wallet.Scope, wallet.MemberId, points, request, e));
    }

    public async Task<LedgerEntryView> RefundAsync(PointsRefundRequest request)
    {
        var fp = LedgerWriter.Fingerprint("refund", request.Points, request.Reference);
        var program = await wallet.ProgramAsync();
        var s = await wallet.StateAsync();
        if (request.Points > s.Points && !program.AllowNegativeBalanceAfterRefund)
        {
            return await wallet.ReplayOrThrowAsync(request.IdempotencyKey, fp, new CloudFranException(ErrorKind.Conflict, LoyaltyErrors.InsufficientPoints,
                $"The refund would take the balance below zero ({s.Points} points); the program does not allow negative balances."));
        }
        var lifetime = Math.Max(0, s.Lifetime - request.Points);
        var next = s with { Points = s.Points - request.Points, Lifetime = lifetime, Tier = program.TierFor(lifetime).Name };
        return await wallet.WriteAsync(next, new LedgerChange("refund", -request.Points, 0, request.IdempotencyKey, fp, request.Reference, null, "Purchase refunded"),
            (tx, e) => WalletEvents.TierChangedAsync(tx, wallet.Scope, wallet.MemberId, s.Tier, next.Tier, e.EntryId));
    }

    public async Task ExpireAsync(LoyaltyProgram program)
    {
        var s = await wallet.StateAsync();
        if (!EarnRules.ExpiryDue(program, s, clock.GetUtcNow()))
        {
            return;
        }
        var last = s.LastActivity!.Value;
        await wallet.WriteAsync(s with { Points = 0 }, new LedgerChange("expire", -s.Points, 0, $"expire:{last.UtcTicks}",
            LedgerWriter.Fingerprint("expire", last.UtcTicks), null, null, $"Points expired after {program.PointsExpiryDays} days without activity"), null);
    }

    public async Task<CheckinView> CheckInAsync(string locationId, string idempotencyKey)
    {
        var program = await wallet.ProgramAsync();
        await ExpireAsync(program);
        var s = await wallet.StateAsync();
        var now = clock.GetUtcNow();
        var today = EarnRules.ProgramDay(program, now);
        // One awarded check-in per member per program day: the day is the idempotency key.
        var key = $"checkin:{today:yyyy-MM-dd}";
        var fp = LedgerWriter.Fingerprint("checkin", today);
        if (s.LastCheckin == today
            && await LedgerWriter.ReplayAsync<CheckinView>(db, wallet.Scope, wallet.MemberId, key, fp) is { } original)
        {
            return original with { AlreadyCheckedInToday = true, PointsBalance = s.Points, Streak = s.Streak, Badges = s.Badges, NewBadges = [] };
        }
        var (next, streak, newBadges) = EarnRules.CheckIn(program, s, today, now);
        CheckinView? view = null;
        var entry = await wallet.WriteAsync(next,
            new LedgerChange("checkin", program.VisitBonusPoints, 0, key, fp, idempotencyKey, locationId, $"Check-in (day {streak} of streak)"),
            async (tx, e) =>
            {
                await WalletEvents.CheckinAsync(tx, wallet.Scope, wallet.MemberId, locationId, program.VisitBonusPoints, streak, newBadges, e.EntryId);
                await WalletEvents.TierChangedAsync(tx, wallet.Scope, wallet.MemberId, s.Tier, next.Tier, e.EntryId);
            },
            shape: e => view = new CheckinView(wallet.MemberId, locationId, program.VisitBonusPoints, e.PointsBalance, streak, newBadges, next.Badges,
                e.EntryId, false));
        if (entry.Replayed)
        {
            var stored = await LedgerWriter.ReplayAsync<CheckinView>(db, wallet.Scope, wallet.MemberId, key, fp);
            return stored! with { AlreadyCheckedInToday = true };
        }
        return view!;
    }
}
