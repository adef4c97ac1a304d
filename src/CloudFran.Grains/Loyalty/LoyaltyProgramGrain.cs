using System.Text.Json;
using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Loyalty;
using CloudFran.Abstractions.Validation;
using CloudFran.Grains.Storage;

namespace CloudFran.Grains.Loyalty;

/// <summary>See <see cref="ILoyaltyProgramGrain"/>. Rules live in <c>loyalty_programs</c> and are cached here.</summary>
public sealed class LoyaltyProgramGrain(PlatformDb db, TimeProvider clock) : Grain, ILoyaltyProgramGrain
{
    public static readonly string[] Weekdays = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
    private TenantScope _scope;
    private LoyaltyProgram? _program;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _scope = ScopedKey.Parse(this.GetPrimaryKeyString()).Scope;
        return Task.CompletedTask;
    }

    public async Task<LoyaltyProgram> GetAsync()
    {
        if (_program is not null)
        {
            return _program;
        }
        var json = await db.ScalarAsync<string>("SELECT rules::text FROM loyalty_programs WHERE tenant_id = @t AND env = @e",
            ("t", _scope.TenantId), ("e", _scope.EnvName));
        _program = json is null ? LoyaltyProgram.Default : JsonSerializer.Deserialize<LoyaltyProgram>(json, Json.Options)!;
        return _program;
    }

    public async Task<LoyaltyProgram> UpdateAsync(LoyaltyProgramPatch patch)
    {
        Validate(patch);
        var current = await GetAsync();
        var next = current with
        {
            PointsPerCurrencyUnit = patch.PointsPerCurrencyUnit ?? current.PointsPerCurrencyUnit,
            VisitBonusPoints = patch.VisitBonusPoints ?? current.VisitBonusPoints,
            CategoryMultipliers = patch.CategoryMultipliers?.ToDictionary(kv => kv.Key.ToLowerInvariant(), kv => kv.Value) ?? current.CategoryMultipliers,
            Promotions = patch.Promotions ?? current.Promotions,
            Tiers = patch.Tiers?.OrderBy(t => t.MinLifetimePoints).ToList() ?? current.Tiers,
            PointsExpiryDays = patch.ClearPointsExpiry ? null : patch.PointsExpiryDays ?? current.PointsExpiryDays,
            DailyStoredValueLimit = patch.DailyStoredValueLimit ?? current.DailyStoredValueLimit,
            AllowNegativeBalanceAfterRefund = patch.AllowNegativeBalanceAfterRefund ?? current.AllowNegativeBalanceAfterRefund,
            Rewards = patch.Rewards ?? current.Rewards,
            ReferralBonusPoints = patch.ReferralBonusPoints ?? current.ReferralBonusPoints,
            ReferredBonusPoints = patch.ReferredBonusPoints ?? current.ReferredBonusPoints,
            Timezone = patch.Timezone ?? current.Timezone,
            Version = current.Version + 1,
        };
        await db.ExecuteAsync(
            """
            INSERT INTO loyalty_programs (tenant_id, env, rules, version, updated_at) VALUES (@t, @e, @rules::jsonb, @v, @now)
            ON CONFLICT (tenant_id, env) DO UPDATE SET rules = excluded.rules, version = excluded.version, updated_at = excluded.updated_at
            """,
            ("t", _scope.TenantId), ("e", _scope.EnvName), ("rules", JsonSerializer.Serialize(next, Json.Options)), ("v", next.Version),
            ("now", clock.GetUtcNow()));
        _program = next;
        return next;
    }

    private static void Validate(LoyaltyProgramPatch p)
    {
        var check = new Check();
        if (p.PointsPerCurrencyUnit is < 0 or > 1000) check.Invalid("pointsPerCurrencyUnit", "pointsPerCurrencyUnit must be between 0 and 1000.");
        check.Range("visitBonusPoints", p.VisitBonusPoints, 0, 100_000)
            .Range("pointsExpiryDays", p.PointsExpiryDays, 1, 3650)
            .Range("referralBonusPoints", p.ReferralBonusPoints, 0, 1_000_000)
            .Range("referredBonusPoints", p.ReferredBonusPoints, 0, 1_000_000)
            .TimeZone("timezone", p.Timezone);
        if (p.DailyStoredValueLimit is { } limit && (limit <= 0 || limit > 1_000_000 || decimal.Round(limit, 2) != limit))
        {
            check.Invalid("dailyStoredValueLimit", "dailyStoredValueLimit must be a positive amount with at most two decimals (≤ 1,000,000).");
        }
        foreach (var (category, multiplier) in p.CategoryMultipliers ?? new Dictionary<string, decimal>())
        {
            check.Text("categoryMultipliers", category, 50);
            if (multiplier is < 0 or > 100) check.Invalid($"categoryMultipliers.{category}", "Multipliers must be between 0 and 100.");
        }
        if (p.CategoryMultipliers is { Count: > 100 }) check.Invalid("categoryMultipliers", "At most 100 categories.");
        var promos = p.Promotions ?? [];
        if (promos.Count > 50) check.Invalid("promotions", "At most 50 promotions.");
        for (var i = 0; i < promos.Count; i++)
        {
            var promo = promos[i];
            check.Required($"promotions[{i}].name", promo.Name, 100);
            if (promo.Multiplier is < 0 or > 100) check.Invalid($"promotions[{i}].multiplier", "multiplier must be between 0 and 100.");
            check.Range($"promotions[{i}].bonusPoints", promo.BonusPoints, 0, 1_000_000);
            if (promo.StartsAt is { } s && promo.EndsAt is { } e && e <= s) check.Invalid($"promotions[{i}].endsAt", "endsAt must be after startsAt.");
            foreach (var day in promo.DaysOfWeek ?? []) check.OneOf($"promotions[{i}].daysOfWeek", day, Weekdays);
            foreach (var loc in promo.LocationIds ?? [])
            {
                if (!Ids.IsValid(loc, "loc")) check.Invalid($"promotions[{i}].locationIds", "locationIds must be location ids (loc_…).");
            }
        }
        var tiers = p.Tiers ?? [];
        if (p.Tiers is not null && (tiers.Count == 0 || tiers.Count > 20)) check.Invalid("tiers", "Between 1 and 20 tiers.");
        if (p.Tiers is not null && tiers.All(t => t.MinLifetimePoints != 0)) check.Invalid("tiers", "One tier must start at 0 lifetime points.");
        if (tiers.Select(t => t.Name).Distinct().Count() != tiers.Count) check.Invalid("tiers", "Tier names must be unique.");
        for (var i = 0; i < tiers.Count; i++)
        {
            check.Required($"tiers[{i}].name", tiers[i].Name, 40).Range($"tiers[{i}].minLifetimePoints", tiers[i].MinLifetimePoints, 0, 1_000_000_000);
            if (tiers[i].EarnMultiplier is < 0 or > 100) check.Invalid($"tiers[{i}].earnMultiplier", "earnMultiplier must be between 0 and 100.");
        }
        var rewards = p.Rewards ?? [];
        if (rewards.Count > 200) check.Invalid("rewards", "At most 200 rewards.");
        if (rewards.Select(r => r.RewardId).Distinct().Count() != rewards.Count) check.Invalid("rewards", "rewardId values must be unique.");
        for (var i = 0; i < rewards.Count; i++)
        {
            check.Required($"rewards[{i}].rewardId", rewards[i].RewardId, 40).Required($"rewards[{i}].name", rewards[i].Name, 100)
                .Range($"rewards[{i}].points", rewards[i].Points, 1, 100_000_000);
        }
        check.ThrowIfInvalid();
    }
}
