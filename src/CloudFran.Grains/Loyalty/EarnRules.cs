using System.Globalization;
using CloudFran.Abstractions.Loyalty;

namespace CloudFran.Grains.Loyalty;

/// <summary>
/// Points rules of the wallet, without I/O: how many points a purchase earns (tier and category multipliers,
/// promotions active now), what an earn, a check-in or an expiry does to the member's state.
/// </summary>
public static class EarnRules
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

    public static string Fingerprint(EarnRequest r) =>
        LedgerWriter.Fingerprint("earn", r.Amount, r.Points, r.Category, r.Reference, r.LocationId);

    /// <summary>Points and ledger description of one earn, for a member with <paramref name="s"/>'s lifetime points.</summary>
    public static (long Points, string Description) Compute(LoyaltyProgram program, WalletState s, EarnRequest request, DateTimeOffset now)
    {
        if (request.Points is { } direct)
        {
            return (direct, "Points added");
        }
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
        var points = (long)Math.Floor(amount * program.PointsPerCurrencyUnit * multiplier) + bonus;
        var description = promos.Count == 0
            ? $"Purchase of {amount.ToString("0.00", CultureInfo.InvariantCulture)}"
            : $"Purchase of {amount.ToString("0.00", CultureInfo.InvariantCulture)} ({string.Join(", ", promos)})";
        return (points, description);
    }

    public static IEnumerable<LoyaltyPromotion> ActivePromotions(LoyaltyProgram program, DateTimeOffset now, string? category, string? locationId)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(program.Timezone);
        var day = TimeZoneInfo.ConvertTime(now, zone).DayOfWeek.ToString().ToLowerInvariant();
        return program.Promotions.Where(p =>
            (p.StartsAt is null || p.StartsAt <= now) && (p.EndsAt is null || now < p.EndsAt)
            && (p.DaysOfWeek is not { Count: > 0 } days || days.Contains(day))
            && (p.Categories is not { Count: > 0 } cats || (category is not null && cats.Contains(category, StringComparer.OrdinalIgnoreCase)))
            && (p.LocationIds is not { Count: > 0 } locs || (locationId is not null && locs.Contains(locationId))));
    }

    /// <summary>True when this earn is the member's first purchase (an amount, no earlier purchase).</summary>
    public static bool IsFirstPurchase(WalletState s, EarnRequest request) => request.Amount is not null && s.FirstPurchaseAt is null;

    /// <summary>The state after earning <paramref name="points"/>: balance, lifetime, tier, activity, first purchase.</summary>
    public static WalletState Earn(LoyaltyProgram program, WalletState s, EarnRequest request, long points, DateTimeOffset now)
    {
        var lifetime = s.Lifetime + Math.Max(0, points);
        return s with
        {
            Points = s.Points + points, Lifetime = lifetime, Tier = program.TierFor(lifetime).Name, LastActivity = now,
            FirstPurchaseAt = IsFirstPurchase(s, request) ? now : s.FirstPurchaseAt,
        };
    }

    /// <summary>The program day of <paramref name="now"/> (the program's time zone): one awarded check-in per day.</summary>
    public static DateOnly ProgramDay(LoyaltyProgram program, DateTimeOffset now) =>
        DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, TimeZoneInfo.FindSystemTimeZoneById(program.Timezone)).DateTime);

    /// <summary>A check-in on <paramref name="today"/>: visit bonus, streak (consecutive days), tier and newly earned badges.</summary>
    public static (WalletState Next, int Streak, IReadOnlyList<string> NewBadges) CheckIn(LoyaltyProgram program, WalletState s, DateOnly today,
        DateTimeOffset now)
    {
        var streak = s.LastCheckin == today.AddDays(-1) ? s.Streak + 1 : 1;
        var next = s with
        {
            Points = s.Points + program.VisitBonusPoints, Lifetime = s.Lifetime + program.VisitBonusPoints, Streak = streak,
            LastCheckin = today, Checkins = s.Checkins + 1, LastActivity = now,
        };
        next = next with { Tier = program.TierFor(next.Lifetime).Name };
        var newBadges = BadgeRules.Where(b => !s.Badges.Contains(b.Badge) && b.Earned(next)).Select(b => b.Badge).ToList();
        return (next with { Badges = [.. s.Badges, .. newBadges] }, streak, newBadges);
    }

    /// <summary>True when the member has points and has been inactive for the program's expiry period.</summary>
    public static bool ExpiryDue(LoyaltyProgram program, WalletState s, DateTimeOffset now) =>
        program.PointsExpiryDays is { } days && s.Points > 0 && s.LastActivity is { } last && last.AddDays(days) <= now;
}
