using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Platform;

namespace CloudFran.Grains.Platform;

[GenerateSerializer, Alias("cf.UsageState")]
public sealed class UsageState
{
    /// <summary>Calls per month ("YYYY-MM") and key type ("live" / "test"); the last 24 months are kept.</summary>
    [Id(0)] public Dictionary<string, Dictionary<string, long>> Months { get; set; } = [];
}

/// <summary>
/// Counts a tenant's calls per month. Counting happens in memory and is written to PostgreSQL at most every
/// two seconds and on deactivation, so a hard crash can forget at most the last two seconds of counts
/// (documented trade-off: usage counting is not an acknowledged client write).
/// </summary>
public sealed class TenantUsageGrain(
    [PersistentState("usage", "platform")] IPersistentState<UsageState> state,
    TimeProvider clock) : Grain, ITenantUsageGrain
{
    private string _tenantId = "";
    private bool _dirty;
    private IGrainTimer? _timer;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _tenantId = GrainKeyTenancy.TenantOf(this.GetPrimaryKeyString())!;
        return Task.CompletedTask;
    }

    public Task<QuotaDecision> TryConsumeAsync(KeyType type, long monthlyLimit)
    {
        var month = Month(clock.GetUtcNow());
        var used = Get(month, "live");
        if (type == KeyType.Live && monthlyLimit > 0 && used >= monthlyLimit)
        {
            return Task.FromResult(new QuotaDecision(false, used));
        }
        Add(month, type, 1);
        return Task.FromResult(new QuotaDecision(true, used + (type == KeyType.Live ? 1 : 0)));
    }

    public Task AddAsync(KeyType type, long count)
    {
        if (count > 0)
        {
            Add(Month(clock.GetUtcNow()), type, count);
        }
        return Task.CompletedTask;
    }

    public Task<UsageView> GetAsync(string month, long? monthlyLimit)
    {
        var live = Get(month, "live");
        var test = Get(month, "test");
        long? remaining = monthlyLimit is > 0 ? Math.Max(0, monthlyLimit.Value - live) : null;
        return Task.FromResult(new UsageView(_tenantId, month,
            live + test, live, test, monthlyLimit is > 0 ? monthlyLimit : null, remaining));
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        await FlushAsync();
    }

    public static string Month(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM", System.Globalization.CultureInfo.InvariantCulture);

    private long Get(string month, string type) =>
        state.State.Months.TryGetValue(month, out var byType) && byType.TryGetValue(type, out var n) ? n : 0;

    private void Add(string month, KeyType type, long count)
    {
        if (!state.State.Months.TryGetValue(month, out var byType))
        {
            byType = [];
            state.State.Months[month] = byType;
            foreach (var old in state.State.Months.Keys.OrderDescending().Skip(24).ToList())
            {
                state.State.Months.Remove(old);
            }
        }
        var name = type == KeyType.Test ? "test" : "live";
        byType[name] = (byType.TryGetValue(name, out var n) ? n : 0) + count;
        _dirty = true;
        _timer ??= this.RegisterGrainTimer(FlushAsync, new GrainTimerCreationOptions
        {
            DueTime = TimeSpan.FromSeconds(2),
            Period = TimeSpan.FromSeconds(2),
        });
    }

    private async Task FlushAsync()
    {
        if (!_dirty)
        {
            return;
        }
        _dirty = false;
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            _dirty = true;
            throw;
        }
    }
}
