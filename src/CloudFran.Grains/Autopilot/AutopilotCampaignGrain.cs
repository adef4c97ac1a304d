using CloudFran.Abstractions.Autopilot;
using CloudFran.Abstractions.Crm;
using CloudFran.Abstractions.Errors;
using CloudFran.Abstractions.Keys;
using CloudFran.Grains.Crm;
using CloudFran.Grains.Events;
using CloudFran.Grains.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CloudFran.Grains.Autopilot;

/// <summary>
/// See <see cref="IAutopilotCampaignGrain"/>. A one-minute Orleans reminder (stored in PostgreSQL) wakes the grain
/// while it has active enrollments; each tick sends the touches due up to the clock. A touch row
/// (UNIQUE enrollment + step) is committed before its SMS is requested with the idempotency key
/// <c>ap:{enrollment}:{step}</c>, so a replayed pass (reminder firing twice, restart mid-pass) re-requests at most the
/// same message, which the SMS outbox deduplicates — never a second text. The grain holds the surface, the cached
/// definition, the reminder and the cursor; the pass runs in <see cref="AutopilotPass"/> (decisions in
/// <see cref="TouchPlanner"/>), the rows in <see cref="CampaignRows"/>, the definition rules in <see cref="CampaignRules"/>.
/// </summary>
public sealed partial class AutopilotCampaignGrain(
    PlatformDb db,
    [FromKeyedServices(CrmClock.Key)] TimeProvider clock,
    TimeProvider platformClock,
    [PersistentState("autopilot")] IPersistentState<AutopilotCursorState> cursor,
    ILogger<AutopilotCampaignGrain> logger) : Grain, IAutopilotCampaignGrain, IRemindable
{
    public const string TickReminder = "autopilot-tick";
    private const int BatchSize = 500;

    private TenantScope _scope;
    private string _campaignId = "";
    private CampaignDefinition? _def;
    private const int TickPassSize = 500;

    private static readonly string[] StatisticsTables = ["autopilot_enrollments", "autopilot_touches", "crm_leads", "sms_messages", "sms_consent"];
    private bool _reminderOn;
    private IGrainTimer? _continuation;
    private AutopilotPass? _pass;

    private CampaignRows? _rows;

    private AutopilotPass Pass => _pass ??= new AutopilotPass(db, GrainFactory, _scope, _campaignId);
    private CampaignRows Rows => _rows ??= new CampaignRows(db, _scope, _campaignId);

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var key = ScopedKey.Parse(this.GetPrimaryKeyString());
        (_scope, _campaignId) = (key.Scope, key.Name);
        return Task.CompletedTask;
    }

    public async Task<CampaignView> CreateAsync(CampaignInput input)
    {
        if (await LoadAsync() is not null)
        {
            throw CloudFranException.Conflict("The campaign already exists.");
        }
        var cadence = CampaignRules.CheckCampaign(input);
        var now = clock.GetUtcNow();
        await Rows.InsertAsync(input, cadence, now);
        _def = null;
        var def = (await LoadAsync())!;
        if (def.SegmentId is not null)
        {
            await EnrollSegmentAsync(def.SegmentId);
        }
        await EnsureReminderAsync();
        return await ViewAsync();
    }

    public async Task<CampaignView> GetAsync()
    {
        await RequireAsync();
        return await ViewAsync();
    }

    public async Task<CampaignView> UpdateAsync(CampaignPatch patch)
    {
        var def = await RequireAsync();
        CampaignRules.CheckPatch(patch);
        if (patch.AudienceSegmentId is not null)
        {
            await GrainFactory.GetLeads(_scope).GetSegmentAsync(patch.AudienceSegmentId);
        }
        var now = clock.GetUtcNow();
        await Rows.UpdateAsync(patch, now);
        _def = null;
        def = (await LoadAsync())!;
        if (patch.AudienceSegmentId is not null)
        {
            await EnrollSegmentAsync(patch.AudienceSegmentId);
        }
        if (def.Status == "active")
        {
            await EnsureReminderAsync();
        }
        return await ViewAsync();
    }

    public async Task<EnrollmentView> EnrollAsync(EnrollInput input)
    {
        await RequireAsync();
        var leads = GrainFactory.GetLeads(_scope);
        string leadId;
        string? phone;
        string? email = input.Email;
        if (input.LeadId is not null)
        {
            var lead = await leads.GetAsync(input.LeadId);
            (leadId, phone, email) = (lead.LeadId, lead.Phone, lead.Email);
        }
        else
        {
            var normalized = LeadRules.NormalizePhone(input.Phone);
            var existing = normalized is null ? null : await db.ScalarAsync<string>(
                "SELECT lead_id FROM crm_leads WHERE tenant_id = @t AND env = @e AND phone = @p ORDER BY created_at LIMIT 1",
                ("t", _scope.TenantId), ("e", _scope.EnvName), ("p", normalized));
            if (existing is null)
            {
                var lead = await leads.CreateAsync(new LeadInput(input.Name, input.Phone, input.Email, null, null, null, input.Tags, null,
                    null, null, input.Timezone, AutoNurture: false));
                existing = lead.LeadId;
            }
            (leadId, phone) = (existing, normalized);
        }
        var def = (await LoadAsync())!;
        if (phone is null && (def.Channel == "sms" || email is null))
        {
            throw CloudFranException.Invalid("phone", def.Channel == "sms"
                ? "The lead has no phone number to send touches to."
                : "The lead has neither a phone number nor an email address to send touches to.");
        }
        var now = clock.GetUtcNow();
        var rows = await Rows.EnrollAsync(leadId, phone, now.AddDays(def.Cadence[0]), now, platformClock.GetUtcNow());
        await EnsureReminderAsync();
        return rows[0];
    }

    public async Task<VariantView> AddVariantAsync(VariantInput input)
    {
        await RequireAsync();
        CampaignRules.CheckVariant(input);
        var id = Ids.New("var");
        await Rows.AddVariantAsync(input, id, clock.GetUtcNow());
        return (await Rows.VariantsAsync()).First(v => v.VariantId == id);
    }

    public async Task<CampaignStats> GetStatsAsync()
    {
        await RequireAsync();
        var stats = await Rows.StatsAsync();
        return new CampaignStats(_campaignId, await Rows.CountsAsync(), stats);
    }

    public async Task<EnrollmentView> ResumeLeadAsync(string leadId)
    {
        await RequireAsync();
        var now = clock.GetUtcNow();
        var rows = await Rows.ResumeAsync(leadId, now, platformClock.GetUtcNow());
        if (rows.Count == 0)
        {
            var existing = await Rows.EnrollmentAsync(leadId);
            return existing is null
                ? throw CloudFranException.NotFound($"Enrollment of lead {leadId}")
                : throw CloudFranException.Conflict($"The lead's enrollment is {existing.State}, not paused.");
        }
        await EnsureReminderAsync();
        return rows[0];
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        var def = await LoadAsync();
        if (def is null || def.Status != "active")
        {
            await StopReminderAsync();
            return;
        }
        await TickAsync();
    }

    /// <summary>One bounded pass (so API calls to this grain never wait long); a backlog continues on a short timer.</summary>
    private async Task TickAsync()
    {
        var result = await ProcessDueAsync(null, TickPassSize);
        if (result.HasMore)
        {
            _continuation ??= this.RegisterGrainTimer(async () =>
            {
                _continuation?.Dispose();
                _continuation = null;
                await TickAsync();
            }, new GrainTimerCreationOptions { DueTime = TimeSpan.FromMilliseconds(200), Period = Timeout.InfiniteTimeSpan });
            return;
        }
        if (cursor.State.NextDueAt is null)
        {
            await StopReminderAsync();
        }
    }

    public async Task<ProcessResult> ProcessDueAsync(DateTimeOffset? asOf, int maxTouches)
    {
        var def = await RequireAsync();
        var now = (asOf ?? clock.GetUtcNow()).ToUniversalTime();
        int sent = 0, deferred = 0, paused = 0, exited = 0, completed = 0, suppressed = 0;
        var hasMore = false;
        if (def.Status != "active")
        {
            return new ProcessResult(now, 0, 0, 0, 0, 0, 0);
        }
        // Enrollments, touches and messages grow fast under a campaign: keep the planner's picture of them current.
        await db.RefreshStatisticsAsync(StatisticsTables);
        var variants = await Rows.VariantsAsync();
        var handled = 0;
        while (true)
        {
            var batch = await Pass.DueBatchAsync(def, now, Math.Min(BatchSize, Math.Max(1, maxTouches - handled)));
            if (batch.Count == 0)
            {
                break;
            }
            var outcome = await Pass.RunBatchAsync(def, variants, batch, now);
            sent += outcome.Sent;
            deferred += outcome.Deferred;
            paused += outcome.Paused;
            exited += outcome.Exited;
            completed += outcome.Completed;
            suppressed += outcome.Suppressed;
            handled += batch.Count;
            if (handled >= maxTouches)
            {
                hasMore = true;
                break;
            }
        }
        cursor.State.LastProcessedAt = now;
        cursor.State.TouchesSent += sent;
        cursor.State.Passes++;
        cursor.State.NextDueAt = await Rows.NextDueAsync();
        await cursor.WriteStateAsync();
        if (!hasMore && cursor.State.NextDueAt is null)
        {
            await CompleteIfDrainedAsync(def);
        }
        if (sent > 0)
        {
            LogPass(logger, _scope.ToString(), _campaignId, sent, deferred);
        }
        return new ProcessResult(now, sent, deferred, paused, exited, completed, suppressed, hasMore);
    }

    private async Task CompleteIfDrainedAsync(CampaignDefinition def)
    {
        var counts = await Rows.CountsAsync();
        var total = counts.Values.Sum();
        if (total == 0 || counts.GetValueOrDefault("active") > 0)
        {
            return;
        }
        await EventOutbox.AppendAsync(db, _scope, "campaign.completed",
            new
            {
                campaignId = _campaignId, name = def.Name, enrolled = total, completed = counts.GetValueOrDefault("completed"),
                exited = counts.GetValueOrDefault("exited"), paused = counts.GetValueOrDefault("paused"), touchesSent = cursor.State.TouchesSent,
            },
            $"campaign.completed:{_campaignId}:{total}");
    }

    private async Task EnrollSegmentAsync(string segmentId)
    {
        var segment = await GrainFactory.GetLeads(_scope).GetSegmentAsync(segmentId);
        var now = clock.GetUtcNow();
        var def = (await LoadAsync())!;
        await Rows.EnrollSegmentAsync(segment, def, now, platformClock.GetUtcNow());
    }

    private async Task<CampaignView> ViewAsync()
    {
        var d = (await LoadAsync())!;
        return new CampaignView(_campaignId, d.Name, d.Goal, d.SegmentId, d.Cadence.Length, d.Cadence, d.Channel, d.Status, d.IsDefault,
            d.LocationId, d.CreatedAt, d.UpdatedAt, await Rows.CountsAsync(), await Rows.VariantsAsync());
    }

    private async Task<CampaignDefinition?> LoadAsync() => _def ??= await Rows.DefinitionAsync();

    private async Task<CampaignDefinition> RequireAsync() =>
        await LoadAsync() ?? throw CloudFranException.NotFound($"Campaign {_campaignId}");

    private async Task EnsureReminderAsync()
    {
        if (_reminderOn || (await LoadAsync())?.Status != "active")
        {
            return;
        }
        await this.RegisterOrUpdateReminder(TickReminder, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
        _reminderOn = true;
    }

    private async Task StopReminderAsync()
    {
        var reminder = await this.GetReminder(TickReminder);
        if (reminder is not null)
        {
            await this.UnregisterReminder(reminder);
        }
        _reminderOn = false;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Autopilot {Scope}/{CampaignId}: {Sent} touches sent, {Deferred} deferred to quiet-hours end")]
    private static partial void LogPass(ILogger logger, string scope, string campaignId, int sent, int deferred);
}
