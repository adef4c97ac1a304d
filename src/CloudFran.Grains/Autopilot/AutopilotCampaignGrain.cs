using System.Globalization;
using CloudFran.Abstractions.Autopilot;
using CloudFran.Abstractions.Crm;
using CloudFran.Abstractions.Errors;
using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Email;
using CloudFran.Abstractions.Messaging;
using CloudFran.Abstractions.Webhooks;
using CloudFran.Abstractions.Validation;
using CloudFran.Grains.Crm;
using CloudFran.Grains.Events;
using CloudFran.Grains.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace CloudFran.Grains.Autopilot;

/// <summary>The campaign grain's own small state: the processing cursor and counters (enrollments live in PostgreSQL).</summary>
[GenerateSerializer, Alias("cf.AutopilotCursorState")]
public sealed class AutopilotCursorState
{
    [Id(0)] public DateTimeOffset? LastProcessedAt { get; set; }
    [Id(1)] public DateTimeOffset? NextDueAt { get; set; }
    [Id(2)] public long TouchesSent { get; set; }
    [Id(3)] public long Passes { get; set; }
}

/// <summary>
/// See <see cref="IAutopilotCampaignGrain"/>. A one-minute Orleans reminder (stored in PostgreSQL) wakes the grain
/// while it has active enrollments; each tick sends the touches due up to the clock. A touch row
/// (UNIQUE enrollment + step) is committed before its SMS is requested with the idempotency key
/// <c>ap:{enrollment}:{step}</c>, so a replayed pass (reminder firing twice, restart mid-pass) re-requests at most the
/// same message, which the SMS outbox deduplicates — never a second text.
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
    private const int QuietStartHour = 8;
    private const int QuietEndHour = 21;

    private TenantScope _scope;
    private string _campaignId = "";
    private CampaignRow? _def;
    private const int TickPassSize = 500;

    private static readonly string[] StatisticsTables = ["autopilot_enrollments", "autopilot_touches", "crm_leads", "sms_messages", "sms_consent"];
    private bool _reminderOn;
    private IGrainTimer? _continuation;

    private sealed record CampaignRow(string Name, string Goal, string? SegmentId, int[] Cadence, string Channel, string Status,
        bool IsDefault, string? LocationId, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var key = this.GetPrimaryKeyString();
        var cut = key.LastIndexOf('/');
        _scope = TenantScope.Parse(key[..cut]);
        _campaignId = key[(cut + 1)..];
        return Task.CompletedTask;
    }

    public async Task<CampaignView> CreateAsync(CampaignInput input)
    {
        if (await LoadAsync() is not null)
        {
            throw CloudFranException.Conflict("The campaign already exists.");
        }
        var cadence = CheckCampaign(input);
        var now = clock.GetUtcNow();
        try
        {
            await db.ExecuteAsync(
                """
                INSERT INTO autopilot_campaigns (tenant_id, env, campaign_id, name, goal, segment_id, cadence_days, channel, status,
                                                 is_default, location_id, created_at, updated_at)
                VALUES (@t, @e, @id, @name, @goal, @seg, @cadence, @channel, @status, @default, @loc, @now, @now)
                """,
                ("t", _scope.TenantId), ("e", _scope.EnvName), ("id", _campaignId), ("name", input.Name!.Trim()), ("goal", input.Goal),
                ("seg", input.AudienceSegmentId), ("cadence", cadence), ("channel", input.Channel ?? "sms"), ("status", input.Status ?? "active"),
                ("default", input.IsDefault ?? false), ("loc", input.LocationId), ("now", now));
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw CloudFranException.Conflict("The tenant already has a default campaign.");
        }
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
        var check = new Check().OneOf("status", patch.Status, AutopilotNames.Statuses).Text("name", patch.Name, 200);
        if (patch.AudienceSegmentId is not null && !Ids.IsValid(patch.AudienceSegmentId, "seg"))
        {
            check.Invalid("audienceSegmentId", "audienceSegmentId must be a segment id (seg_…).");
        }
        CheckCadence(check, patch.CadenceDays, null);
        check.ThrowIfInvalid();
        if (patch.AudienceSegmentId is not null)
        {
            await GrainFactory.GetLeads(_scope).GetSegmentAsync(patch.AudienceSegmentId);
        }
        var now = clock.GetUtcNow();
        await using (var conn = await db.Source.OpenConnectionAsync())
        await using (var tx = await conn.BeginTransactionAsync())
        {
            await using (var cmd = new NpgsqlCommand(
                """
                UPDATE autopilot_campaigns SET status = coalesce(@status, status), segment_id = coalesce(@seg, segment_id),
                       cadence_days = coalesce(@cadence, cadence_days), name = coalesce(@name, name), updated_at = @now
                 WHERE tenant_id = @t AND env = @e AND campaign_id = @id
                """, conn, tx))
            {
                cmd.Add("status", patch.Status).Add("seg", patch.AudienceSegmentId).Add("name", patch.Name?.Trim()).Add("now", now)
                    .Add("t", _scope.TenantId).Add("e", _scope.EnvName).Add("id", _campaignId);
                cmd.Parameters.Add(new NpgsqlParameter("cadence", NpgsqlDbType.Array | NpgsqlDbType.Integer)
                {
                    Value = patch.CadenceDays is null ? DBNull.Value : patch.CadenceDays.ToArray(),
                });
                await cmd.ExecuteNonQueryAsync();
            }
            if (patch.CadenceDays is { } cadence)
            {
                // Steps not yet sent follow the new cadence (offsets stay relative to each lead's enrollment).
                await using var move = new NpgsqlCommand(
                    """
                    UPDATE autopilot_enrollments
                       SET next_due_at = CASE WHEN next_step < @n THEN enrolled_at + (@cadence)[next_step + 1] * interval '1 day' END,
                           state = CASE WHEN next_step < @n THEN state ELSE 'completed' END, updated_at = @now
                     WHERE tenant_id = @t AND env = @e AND campaign_id = @id AND state IN ('active', 'paused')
                    """, conn, tx);
                move.Add("n", cadence.Count).Add("cadence", cadence.ToArray()).Add("now", now)
                    .Add("t", _scope.TenantId).Add("e", _scope.EnvName).Add("id", _campaignId);
                await move.ExecuteNonQueryAsync();
            }
            await tx.CommitAsync();
        }
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
        var rows = await db.InsertOrGetAsync(
            $"""
            WITH ins AS (
                INSERT INTO autopilot_enrollments (tenant_id, env, enrollment_id, campaign_id, lead_id, phone, state, next_step,
                                                   next_due_at, enrolled_at, reply_watermark, updated_at)
                VALUES (@t, @e, @id, @c, @lead, @phone, 'active', 0, @due, @now, @heard, @now)
                ON CONFLICT (tenant_id, env, campaign_id, lead_id) DO NOTHING
                RETURNING {EnrollmentColumns})
            SELECT * FROM ins
            UNION ALL
            SELECT {EnrollmentColumns} FROM autopilot_enrollments
             WHERE tenant_id = @t AND env = @e AND campaign_id = @c AND lead_id = @lead AND NOT EXISTS (SELECT 1 FROM ins)
            """, ReadEnrollment,
            ("t", _scope.TenantId), ("e", _scope.EnvName), ("id", Ids.New("enr", 20)), ("c", _campaignId), ("lead", leadId),
            ("phone", phone), ("due", now.AddDays(def.Cadence[0])), ("now", now), ("heard", platformClock.GetUtcNow()));
        await EnsureReminderAsync();
        return rows[0];
    }

    public async Task<VariantView> AddVariantAsync(VariantInput input)
    {
        await RequireAsync();
        new Check().Required("name", input.Name, 100).Required("tone", input.Tone, 12).OneOf("tone", input.Tone, AutopilotNames.Tones)
            .Required("content", input.Content, 1600).Range("trafficPercent", input.TrafficPercent, 0, 100).ThrowIfInvalid();
        var id = Ids.New("var");
        await using var conn = await db.Source.OpenConnectionAsync();
        await using var tx = await conn.BeginTransactionAsync();
        // Serialise variant changes of this campaign (the grain already does; the lock guards a second activation).
        await using (var lockCmd = new NpgsqlCommand(
            "SELECT 1 FROM autopilot_campaigns WHERE tenant_id = @t AND env = @e AND campaign_id = @c FOR UPDATE", conn, tx))
        {
            await lockCmd.Add("t", _scope.TenantId).Add("e", _scope.EnvName).Add("c", _campaignId).ExecuteNonQueryAsync();
        }
        var fixedTotal = 0;
        await using (var sum = new NpgsqlCommand(
            "SELECT coalesce(sum(traffic_percent), 0)::int FROM autopilot_variants WHERE tenant_id = @t AND env = @e AND campaign_id = @c AND NOT auto_balanced", conn, tx))
        {
            fixedTotal = (int)(await sum.Add("t", _scope.TenantId).Add("e", _scope.EnvName).Add("c", _campaignId).ExecuteScalarAsync())!;
        }
        if (input.TrafficPercent is { } pct && fixedTotal + pct > 100)
        {
            throw CloudFranException.Invalid("trafficPercent", $"Fixed traffic shares would total {fixedTotal + pct}% (at most 100%).");
        }
        await using (var insert = new NpgsqlCommand(
            """
            INSERT INTO autopilot_variants (tenant_id, env, campaign_id, variant_id, name, tone, content, traffic_percent, auto_balanced, created_at)
            VALUES (@t, @e, @c, @id, @name, @tone, @content, @pct, @auto, @now)
            """, conn, tx))
        {
            await insert.Add("t", _scope.TenantId).Add("e", _scope.EnvName).Add("c", _campaignId).Add("id", id).Add("name", input.Name!.Trim())
                .Add("tone", input.Tone).Add("content", input.Content).Add("pct", input.TrafficPercent ?? 0)
                .Add("auto", input.TrafficPercent is null).Add("now", clock.GetUtcNow()).ExecuteNonQueryAsync();
        }
        // Auto-balanced variants share what fixed ones leave, evenly; the first ones absorb the remainder.
        await using (var balance = new NpgsqlCommand(
            """
            WITH fixed AS (SELECT coalesce(sum(traffic_percent), 0) AS total FROM autopilot_variants
                            WHERE tenant_id = @t AND env = @e AND campaign_id = @c AND NOT auto_balanced),
                 auto AS (SELECT variant_id, row_number() OVER (ORDER BY created_at, variant_id) - 1 AS i, count(*) OVER () AS n
                            FROM autopilot_variants WHERE tenant_id = @t AND env = @e AND campaign_id = @c AND auto_balanced)
            UPDATE autopilot_variants v
               SET traffic_percent = ((100 - fixed.total) / auto.n + CASE WHEN auto.i < (100 - fixed.total) % auto.n THEN 1 ELSE 0 END)::int
              FROM auto, fixed
             WHERE v.tenant_id = @t AND v.env = @e AND v.campaign_id = @c AND v.variant_id = auto.variant_id
            """, conn, tx))
        {
            await balance.Add("t", _scope.TenantId).Add("e", _scope.EnvName).Add("c", _campaignId).ExecuteNonQueryAsync();
        }
        await tx.CommitAsync();
        return (await VariantsAsync()).First(v => v.VariantId == id);
    }

    public async Task<CampaignStats> GetStatsAsync()
    {
        await RequireAsync();
        var args = new (string, object?)[] { ("t", _scope.TenantId), ("e", _scope.EnvName), ("c", _campaignId) };
        var stats = await db.QueryAsync(
            """
            WITH en AS (SELECT variant_id, count(*) AS enrolled, count(*) FILTER (WHERE reason = 'replied') AS replied
                          FROM autopilot_enrollments WHERE tenant_id = @t AND env = @e AND campaign_id = @c GROUP BY variant_id),
                 tc AS (SELECT t.variant_id, count(*) FILTER (WHERE t.status = 'sent' OR t.email_status = 'sent') AS sent,
                               count(*) FILTER (WHERE m.status = 'delivered') AS delivered
                          FROM autopilot_touches t
                          LEFT JOIN sms_messages m ON m.message_id = t.message_id
                         WHERE t.tenant_id = @t AND t.env = @e AND t.campaign_id = @c GROUP BY t.variant_id),
                 oc AS (SELECT variant_id, count(DISTINCT lead_id) FILTER (WHERE type IN ('booking', 'sale', 'conversion')) AS converted,
                               coalesce(sum(value), 0) AS revenue
                          FROM autopilot_outcomes WHERE tenant_id = @t AND env = @e AND campaign_id = @c GROUP BY variant_id),
                 keys AS (SELECT variant_id FROM en UNION SELECT variant_id FROM tc UNION SELECT variant_id FROM oc)
            SELECT k.variant_id, coalesce(en.enrolled, 0), coalesce(tc.sent, 0), coalesce(tc.delivered, 0), coalesce(en.replied, 0),
                   coalesce(oc.converted, 0), coalesce(oc.revenue, 0)
              FROM keys k
              LEFT JOIN en ON en.variant_id IS NOT DISTINCT FROM k.variant_id
              LEFT JOIN tc ON tc.variant_id IS NOT DISTINCT FROM k.variant_id
              LEFT JOIN oc ON oc.variant_id IS NOT DISTINCT FROM k.variant_id
             ORDER BY k.variant_id NULLS FIRST
            """,
            r =>
            {
                var enrolled = r.GetInt64(1);
                var converted = r.GetInt64(5);
                return new VariantStats(r.IsDBNull(0) ? null : r.GetString(0), enrolled, r.GetInt64(2), r.GetInt64(3), r.GetInt64(4),
                    converted, enrolled == 0 ? 0 : Math.Round((double)converted / enrolled, 4), r.GetDecimal(6));
            }, args);
        return new CampaignStats(_campaignId, await CountsAsync(), stats);
    }

    public async Task<EnrollmentView> ResumeLeadAsync(string leadId)
    {
        await RequireAsync();
        var now = clock.GetUtcNow();
        var rows = await db.QueryAsync(
            $"""
            UPDATE autopilot_enrollments SET state = 'active', reason = NULL, reply_watermark = @heard, updated_at = @now,
                   next_due_at = greatest(next_due_at, @now)
             WHERE tenant_id = @t AND env = @e AND campaign_id = @c AND lead_id = @lead AND state = 'paused'
            RETURNING {EnrollmentColumns}
            """, ReadEnrollment, ("now", now), ("heard", platformClock.GetUtcNow()), ("t", _scope.TenantId), ("e", _scope.EnvName),
            ("c", _campaignId), ("lead", leadId));
        if (rows.Count == 0)
        {
            var existing = await db.QuerySingleAsync(
                $"SELECT {EnrollmentColumns} FROM autopilot_enrollments WHERE tenant_id = @t AND env = @e AND campaign_id = @c AND lead_id = @lead",
                ReadEnrollment, ("t", _scope.TenantId), ("e", _scope.EnvName), ("c", _campaignId), ("lead", leadId));
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
        var variants = await VariantsAsync();
        var handled = 0;
        while (true)
        {
            var batch = await DueBatchAsync(def, now, Math.Min(BatchSize, Math.Max(1, maxTouches - handled)));
            if (batch.Count == 0)
            {
                break;
            }
            var outcome = await HandleBatchAsync(def, variants, batch, now);
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
        cursor.State.NextDueAt = await db.ScalarAsync<DateTime?>(
            "SELECT min(next_due_at) FROM autopilot_enrollments WHERE tenant_id = @t AND env = @e AND campaign_id = @c AND state = 'active'",
            ("t", _scope.TenantId), ("e", _scope.EnvName), ("c", _campaignId)) is { } next ? new DateTimeOffset(next, TimeSpan.Zero) : null;
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

    /// <summary>
    /// Records each touch's outcome (only rows still pending change) and, in the same transaction, moves leads
    /// that are still <c>new</c> and were just sent a touch to <c>contacted</c> with their lead.status_updated
    /// events; the status guards make a replayed pass change nothing.
    /// </summary>
    private async Task RecordOutcomesAsync(IReadOnlyList<(string Id, int Step, string Status, string? MessageId)> outcomes,
        IReadOnlyList<(string Id, int Step, string Status, string? MessageId)> emailOutcomes, IReadOnlyList<Touch> touches, DateTimeOffset now)
    {
        if (outcomes.Count == 0 && emailOutcomes.Count == 0)
        {
            return;
        }
        var sent = outcomes.Concat(emailOutcomes).Where(o => o.Status == "sent").Select(o => (o.Id, o.Step)).ToHashSet();
        var leadIds = touches.Where(t => sent.Contains((t.Due.EnrollmentId, t.Due.Step))).Select(t => t.Due.LeadId).Distinct().ToArray();
        await using var conn = await db.Source.OpenConnectionAsync();
        await using var tx = await conn.BeginTransactionAsync();
        await using (var record = new NpgsqlCommand(
            """
            UPDATE autopilot_touches t SET status = x.status, message_id = x.msg, sent_at = coalesce(t.sent_at, CASE WHEN x.status = 'sent' THEN @now END)
              FROM unnest(@enr::text[], @step::int[], @status::text[], @msg::text[]) AS x(enr, step, status, msg)
             WHERE t.tenant_id = @t AND t.env = @e AND t.enrollment_id = x.enr AND t.step = x.step AND t.status = 'pending'
            """, conn, tx))
        {
            record.Add("t", _scope.TenantId).Add("e", _scope.EnvName).Add("now", now)
                .Add("enr", outcomes.Select(o => o.Id).ToArray()).Add("step", outcomes.Select(o => o.Step).ToArray())
                .Add("status", outcomes.Select(o => o.Status).ToArray()).Add("msg", outcomes.Select(o => o.MessageId).ToArray());
            await record.ExecuteNonQueryAsync();
        }
        if (emailOutcomes.Count > 0)
        {
            await using var recordEmail = new NpgsqlCommand(
                """
                UPDATE autopilot_touches t SET email_status = x.status, email_message_id = x.msg,
                       sent_at = coalesce(t.sent_at, CASE WHEN x.status = 'sent' THEN @now END)
                  FROM unnest(@enr::text[], @step::int[], @status::text[], @msg::text[]) AS x(enr, step, status, msg)
                 WHERE t.tenant_id = @t AND t.env = @e AND t.enrollment_id = x.enr AND t.step = x.step AND t.email_status = 'pending'
                """, conn, tx);
            recordEmail.Add("t", _scope.TenantId).Add("e", _scope.EnvName).Add("now", now)
                .Add("enr", emailOutcomes.Select(o => o.Id).ToArray()).Add("step", emailOutcomes.Select(o => o.Step).ToArray())
                .Add("status", emailOutcomes.Select(o => o.Status).ToArray()).Add("msg", emailOutcomes.Select(o => o.MessageId).ToArray());
            await recordEmail.ExecuteNonQueryAsync();
        }
        var moved = new List<string>();
        await using (var cmd = new NpgsqlCommand(
            """
            UPDATE crm_leads SET status = 'contacted', updated_at = @now
             WHERE tenant_id = @t AND env = @e AND lead_id = ANY(@ids) AND status = 'new'
            RETURNING lead_id
            """, conn, tx))
        {
            cmd.Add("t", _scope.TenantId).Add("e", _scope.EnvName).Add("ids", leadIds).Add("now", now);
            await using var reader = await cmd.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                moved.Add(reader.GetString(0));
            }
        }
        await EventOutbox.AppendManyAsync(conn, tx, _scope, "lead.status_updated",
            moved.Select(id => (object)new { lead_id = id, old_status = "new", new_status = "contacted", updated_by = "autopilot", at = now }).ToList());
        await tx.CommitAsync();
    }

    private sealed record Due(string EnrollmentId, string LeadId, string? Phone, string? VariantId, int Step, DateTimeOffset EnrolledAt,
        string Name, string? Company, string Zone, string LocationName, string? LocationId, bool OptedOut, bool Replied, string? Email);

    /// <summary>
    /// One step's touch. <paramref name="SmsStatus"/>/<paramref name="EmailStatus"/> are the initial channel statuses
    /// (pending, skipped; null email = SMS-only campaign). <paramref name="SmsHeld"/>: quiet hours hold the SMS, the
    /// email goes now and the enrollment stays on this step until the window opens.
    /// </summary>
    private sealed record Touch(Due Due, string? VariantId, string Body, string SmsStatus = "pending", string? EmailStatus = null, bool SmsHeld = false);

    private sealed record BatchOutcome(int Sent, int Deferred, int Paused, int Exited, int Completed, int Suppressed);

    private Task<List<Due>> DueBatchAsync(CampaignRow def, DateTimeOffset now, int limit) => db.QueryAsync(
        """
        SELECT e.enrollment_id, e.lead_id, e.phone, e.variant_id, e.next_step, e.enrolled_at, l.name, l.company,
               coalesce(l.timezone, loc.doc->>'timezone', t.timezone, 'UTC'), coalesce(loc.name, t.business_name),
               coalesce(l.location_id, @loc),
               EXISTS (SELECT 1 FROM sms_consent c WHERE c.tenant_id = e.tenant_id AND c.env = e.env AND c.phone = e.phone
                          AND c.status = 'opted_out'),
               EXISTS (SELECT 1 FROM sms_messages m WHERE m.tenant_id = e.tenant_id AND m.env = e.env AND m.contact_phone = e.phone
                          AND m.direction = 'inbound' AND m.created_at > e.reply_watermark),
               l.email
          FROM autopilot_enrollments e
          JOIN crm_leads l ON l.tenant_id = e.tenant_id AND l.env = e.env AND l.lead_id = e.lead_id
          JOIN tenants t ON t.tenant_id = e.tenant_id
          LEFT JOIN locations loc ON loc.tenant_id = e.tenant_id AND loc.env = e.env AND loc.location_id = coalesce(l.location_id, @loc)
         WHERE e.tenant_id = @t AND e.env = @e AND e.campaign_id = @c AND e.state = 'active' AND e.next_due_at <= @now
         ORDER BY e.next_due_at
         LIMIT @limit
        """,
        r => new Due(r.GetString(0), r.GetString(1), r.NullableString("phone"), r.NullableString("variant_id"), r.GetInt32(4),
            r.Time("enrolled_at"), r.GetString(6), r.NullableString("company"), r.GetString(8), r.GetString(9),
            r.IsDBNull(10) ? null : r.GetString(10), r.GetBoolean(11), r.GetBoolean(12), r.NullableString("email")),
        ("t", _scope.TenantId), ("e", _scope.EnvName), ("c", _campaignId), ("now", now), ("limit", limit), ("loc", def.LocationId));

    private async Task<BatchOutcome> HandleBatchAsync(CampaignRow def, IReadOnlyList<VariantView> variants, List<Due> batch, DateTimeOffset now)
    {
        var exits = new List<(string Id, string Reason)>();
        var pauses = new List<string>();
        var defers = new List<(string Id, DateTimeOffset At)>();
        var touches = new List<Touch>();
        var wantsSms = def.Channel is "sms" or "both";
        var wantsEmail = def.Channel is "email" or "both";
        foreach (var due in batch)
        {
            if (due.OptedOut)
            {
                exits.Add((due.EnrollmentId, "opted_out"));
            }
            else if (due.Replied)
            {
                pauses.Add(due.EnrollmentId);
            }
            else if (!wantsEmail && due.Phone is null)
            {
                exits.Add((due.EnrollmentId, "no_phone"));
            }
            else
            {
                var sms = wantsSms && due.Phone is not null;
                var email = wantsEmail && due.Email is not null;
                // Quiet hours hold SMS only: an email goes out at any hour.
                var wait = sms ? QuietUntil(due.Zone, now) : null;
                if (wait is not null)
                {
                    defers.Add((due.EnrollmentId, wait.Value));
                    if (!email)
                    {
                        continue;
                    }
                }
                var variant = due.VariantId is not null ? variants.FirstOrDefault(v => v.VariantId == due.VariantId) : PickVariant(variants, due.EnrollmentId);
                var content = variant?.Content ?? DefaultContent(def.Goal, due.Step);
                touches.Add(new Touch(due, variant?.VariantId ?? due.VariantId, Render(content, due), sms ? "pending" : "skipped",
                    !wantsEmail ? null : email ? "pending" : "skipped", SmsHeld: wait is not null));
            }
        }

        // 1. Record every touch before asking for its SMS (a replay finds the row and re-requests the same message).
        if (touches.Count > 0)
        {
            await db.ExecuteAsync(
                """
                INSERT INTO autopilot_touches (tenant_id, env, enrollment_id, step, campaign_id, variant_id, lead_id, body, status, email_status, created_at)
                SELECT @t, @e, x.enr, x.step, @c, x.variant, x.lead, x.body, x.status, x.email_status, @now
                  FROM unnest(@enr::text[], @step::int[], @variant::text[], @lead::text[], @body::text[], @status::text[], @estatus::text[])
                       AS x(enr, step, variant, lead, body, status, email_status)
                ON CONFLICT (tenant_id, env, enrollment_id, step) DO NOTHING
                """,
                ("t", _scope.TenantId), ("e", _scope.EnvName), ("c", _campaignId), ("now", now),
                ("enr", touches.Select(x => x.Due.EnrollmentId).ToArray()), ("step", touches.Select(x => x.Due.Step).ToArray()),
                ("variant", touches.Select(x => x.VariantId).ToArray()), ("lead", touches.Select(x => x.Due.LeadId).ToArray()),
                ("body", touches.Select(x => x.Body).ToArray()), ("status", touches.Select(x => x.SmsStatus).ToArray()),
                ("estatus", touches.Select(x => x.EmailStatus).ToArray()));
        }
        // The stored row decides what is still owed on each channel (a replayed pass finds it already done).
        var stored = touches.Count == 0 ? [] : (await db.QueryAsync(
            """
            SELECT enrollment_id, step, body, status, email_status FROM autopilot_touches
             WHERE tenant_id = @t AND env = @e AND (status = 'pending' OR email_status = 'pending')
               AND (enrollment_id, step) IN (SELECT * FROM unnest(@enr::text[], @step::int[]))
            """, r => (Id: r.GetString(0), Step: r.GetInt32(1), Body: r.GetString(2), Sms: r.GetString(3) == "pending",
                Email: !r.IsDBNull(4) && r.GetString(4) == "pending"),
            ("t", _scope.TenantId), ("e", _scope.EnvName),
            ("enr", touches.Select(x => x.Due.EnrollmentId).ToArray()), ("step", touches.Select(x => x.Due.Step).ToArray())))
            .ToDictionary(p => (p.Id, p.Step));
        var pending = stored.Where(p => p.Value.Sms).ToDictionary(p => p.Key, p => p.Value);

        // 2. Request the SMS through the messaging backbone (opt-out enforced there), one batch call per pass.
        var sender = GrainFactory.GetSmsSender(_scope);
        var toSend = touches.Where(x => !x.SmsHeld && pending.ContainsKey((x.Due.EnrollmentId, x.Due.Step))).ToList();
        var sendResults = toSend.Count == 0 ? [] : await sender.SendManyAsync(toSend.Select(touch => new SmsSendRequest(
            touch.Due.Phone!, pending[(touch.Due.EnrollmentId, touch.Due.Step)].Body, null,
            touch.Due.LocationId is { } loc && Ids.IsValid(loc, "loc") ? loc : null,
            $"ap:{touch.Due.EnrollmentId}:{touch.Due.Step}", "marketing")).ToList());
        var results = toSend.Zip(sendResults, (touch, r) => (Id: touch.Due.EnrollmentId, touch.Due.Step,
            Status: r.Message is not null ? "sent" : r.ErrorKind == ErrorKind.Conflict ? "suppressed" : "failed", MessageId: r.Message?.MessageId));
        var outcomes = results.ToList();

        // 2b. The email side, through the email backbone (unsubscribes enforced there), key ap:{enrollment}:{step}:email.
        var emailSend = touches.Where(x => x.Due.Email is not null && stored.TryGetValue((x.Due.EnrollmentId, x.Due.Step), out var row) && row.Email).ToList();
        var emailResults = emailSend.Count == 0 ? [] : await GrainFactory.GetEmailSender(_scope).SendManyAsync(emailSend.Select(touch => new EmailSendRequest(
            touch.Due.Email!, def.Name, stored[(touch.Due.EnrollmentId, touch.Due.Step)].Body, "marketing",
            $"ap:{touch.Due.EnrollmentId}:{touch.Due.Step}:email",
            touch.Due.LocationId is { } loc && Ids.IsValid(loc, "loc") ? loc : null)).ToList());
        var emailOutcomes = emailSend.Zip(emailResults, (touch, r) => (Id: touch.Due.EnrollmentId, touch.Due.Step,
            Status: r.Message is not null ? "sent" : r.ErrorKind == ErrorKind.Conflict ? "suppressed" : "failed", MessageId: r.Message?.MessageId)).ToList();

        await RecordOutcomesAsync(outcomes, emailOutcomes, touches, now);
        var suppressedIds = outcomes.Where(o => o.Status == "suppressed").Select(o => o.Id).ToHashSet();
        exits.AddRange(suppressedIds.Select(id => (id, "opted_out")));
        if (def.Channel == "email")
        {
            // An address that unsubscribed ends an email-only cadence (this campaign only).
            var unsubscribed = emailOutcomes.Where(o => o.Status == "suppressed").Select(o => o.Id).ToHashSet();
            exits.AddRange(unsubscribed.Select(id => (id, "email_opted_out")));
            suppressedIds.UnionWith(unsubscribed);
        }

        // 3. Advance: every recorded touch (sent, failed, skipped, or found already done) moves its enrollment to the
        // next step; one whose SMS waits for quiet hours to end stays on its step.
        var advance = touches.Where(t => !t.SmsHeld && !suppressedIds.Contains(t.Due.EnrollmentId)).ToList();
        var completedCount = advance.Count(t => t.Due.Step + 1 >= def.Cadence.Length);
        if (advance.Count > 0)
        {
            await db.ExecuteAsync(
                """
                UPDATE autopilot_enrollments e
                   SET next_step = x.step + 1, variant_id = coalesce(e.variant_id, x.variant),
                       state = CASE WHEN x.step + 1 >= cardinality(@cadence::int[]) THEN 'completed' ELSE 'active' END,
                       reason = CASE WHEN x.step + 1 >= cardinality(@cadence::int[]) THEN 'cadence_finished' END,
                       next_due_at = CASE WHEN x.step + 1 < cardinality(@cadence::int[])
                                          THEN e.enrolled_at + (@cadence::int[])[x.step + 2] * interval '1 day' END,
                       updated_at = @now
                  FROM unnest(@enr::text[], @step::int[], @variant::text[]) AS x(enr, step, variant)
                 WHERE e.tenant_id = @t AND e.env = @e AND e.enrollment_id = x.enr AND e.next_step = x.step
                """,
                ("t", _scope.TenantId), ("e", _scope.EnvName), ("now", now), ("cadence", def.Cadence),
                ("enr", advance.Select(a => a.Due.EnrollmentId).ToArray()), ("step", advance.Select(a => a.Due.Step).ToArray()),
                ("variant", advance.Select(a => a.VariantId).ToArray()));
        }
        if (defers.Count > 0)
        {
            await db.ExecuteAsync(
                """
                UPDATE autopilot_enrollments e SET next_due_at = x.at, updated_at = @now
                  FROM unnest(@enr::text[], @at::timestamptz[]) AS x(enr, at)
                 WHERE e.tenant_id = @t AND e.env = @e AND e.enrollment_id = x.enr
                """,
                ("t", _scope.TenantId), ("e", _scope.EnvName), ("now", now),
                ("enr", defers.Select(d => d.Id).ToArray()), ("at", defers.Select(d => d.At.UtcDateTime).ToArray()));
        }
        if (pauses.Count > 0)
        {
            await db.ExecuteAsync(
                """
                UPDATE autopilot_enrollments SET state = 'paused', reason = 'replied', updated_at = @now
                 WHERE tenant_id = @t AND env = @e AND enrollment_id = ANY(@enr) AND state = 'active'
                """, ("t", _scope.TenantId), ("e", _scope.EnvName), ("now", now), ("enr", pauses.ToArray()));
        }
        if (exits.Count > 0)
        {
            // STOP removes the lead from every campaign of the tenant, not only this one.
            await db.ExecuteAsync(
                """
                UPDATE autopilot_enrollments e SET state = 'exited', reason = x.reason, next_due_at = NULL, updated_at = @now
                  FROM unnest(@enr::text[], @reason::text[]) AS x(enr, reason)
                  JOIN autopilot_enrollments src ON src.tenant_id = @t AND src.env = @e AND src.enrollment_id = x.enr
                 WHERE e.tenant_id = @t AND e.env = @e AND e.state IN ('active', 'paused')
                   AND (e.enrollment_id = x.enr OR (x.reason = 'opted_out' AND e.phone = src.phone))
                """, ("t", _scope.TenantId), ("e", _scope.EnvName), ("now", now),
                ("enr", exits.Select(x => x.Id).ToArray()), ("reason", exits.Select(x => x.Reason).ToArray()));
        }
        var sentCount = outcomes.Concat(emailOutcomes).Where(o => o.Status == "sent").Select(o => (o.Id, o.Step)).Distinct().Count();
        return new BatchOutcome(sentCount, defers.Count, pauses.Count, exits.Count, completedCount, suppressedIds.Count);
    }

    /// <summary>Null when <paramref name="now"/> is inside 08:00–21:00 in the zone; else the next 08:00 there.</summary>
    public static DateTimeOffset? QuietUntil(string zone, DateTimeOffset now)
    {
        if (!TimeZoneInfo.TryFindSystemTimeZoneById(zone, out var tz))
        {
            tz = TimeZoneInfo.Utc;
        }
        var local = TimeZoneInfo.ConvertTime(now, tz);
        if (local.Hour >= QuietStartHour && local.Hour < QuietEndHour)
        {
            return null;
        }
        var day = local.Hour >= QuietEndHour ? local.Date.AddDays(1) : local.Date;
        var opening = day.AddHours(QuietStartHour);
        return new DateTimeOffset(opening, tz.GetUtcOffset(opening)).ToUniversalTime();
    }

    /// <summary>Deterministic weighted split: the enrollment id's hash picks a percentile bucket.</summary>
    private static VariantView? PickVariant(IReadOnlyList<VariantView> variants, string enrollmentId)
    {
        var live = variants.Where(v => v.TrafficPercent > 0).ToList();
        if (live.Count == 0)
        {
            return null;
        }
        var hash = 2166136261u; // FNV-1a: stable across processes and versions
        foreach (var c in enrollmentId)
        {
            hash = (hash ^ c) * 16777619u;
        }
        var total = live.Sum(v => v.TrafficPercent);
        var bucket = (int)(hash % (uint)total);
        foreach (var v in live)
        {
            if (bucket < v.TrafficPercent)
            {
                return v;
            }
            bucket -= v.TrafficPercent;
        }
        return live[^1];
    }

    private static string DefaultContent(string goal, int step) => (goal, step) switch
    {
        ("booking", 0) => "Hi {{first_name}}, thanks for your interest in {{location_name}}! Reply here and we'll find you a time.",
        ("booking", _) => "Hi {{first_name}}, {{location_name}} still has openings this week. Want us to save you a spot?",
        ("sale", 0) => "Hi {{first_name}}, thanks for reaching out to {{location_name}}! Any questions we can answer for you?",
        ("sale", _) => "Hi {{first_name}}, just checking in from {{location_name}}. Is now a good time to talk about your order?",
        ("survey", _) => "Hi {{first_name}}, how was your experience with {{location_name}}? Reply 1-5, we read every answer.",
        _ => "Hi {{first_name}}, we miss you at {{location_name}}! Reply to hear about this month's offer.",
    };

    private static string Render(string content, Due due)
    {
        var first = due.Name.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? due.Name;
        var body = content.Replace("{{first_name}}", first).Replace("{{name}}", due.Name)
            .Replace("{{location_name}}", due.LocationName).Replace("{{company}}", due.Company ?? "");
        return body.Length > 1600 ? body[..1600] : body;
    }

    private async Task CompleteIfDrainedAsync(CampaignRow def)
    {
        var counts = await CountsAsync();
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
        var (where, args) = SegmentSql.Build(segment.Rules, segment.CombineWith, now);
        args.AddRange([("t", _scope.TenantId), ("e", _scope.EnvName), ("c", _campaignId), ("now", now), ("due", now.AddDays(def.Cadence[0])), ("heard", platformClock.GetUtcNow()), ("channel", def.Channel)]);
        var enrolled = await db.ExecuteAsync(
            $"""
            INSERT INTO autopilot_enrollments (tenant_id, env, enrollment_id, campaign_id, lead_id, phone, state, next_step, next_due_at,
                                               enrolled_at, reply_watermark, updated_at)
            SELECT @t, @e, 'enr_' || substr(md5(random()::text || l.lead_id || clock_timestamp()::text), 1, 20), @c, l.lead_id, l.phone,
                   'active', 0, @due, @now, @heard, @now
              FROM crm_leads l
             WHERE l.tenant_id = @t AND l.env = @e AND (l.phone IS NOT NULL OR (@channel <> 'sms' AND l.email IS NOT NULL)) AND {where}
            ON CONFLICT (tenant_id, env, campaign_id, lead_id) DO NOTHING
            """, args.ToArray());
        await db.AnalyzeAfterBulkWriteAsync("autopilot_enrollments", enrolled);
    }

    private const string EnrollmentColumns = "enrollment_id, campaign_id, lead_id, state, reason, next_step, next_due_at, variant_id, enrolled_at";

    private static EnrollmentView ReadEnrollment(NpgsqlDataReader r) => new(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3),
        r.NullableString("reason"), r.GetInt32(5), r.NullableTime("next_due_at"), r.NullableString("variant_id"), r.Time("enrolled_at"));

    private async Task<IReadOnlyDictionary<string, long>> CountsAsync()
    {
        var rows = await db.QueryAsync(
            "SELECT state, count(*) FROM autopilot_enrollments WHERE tenant_id = @t AND env = @e AND campaign_id = @c GROUP BY state",
            r => (r.GetString(0), r.GetInt64(1)), ("t", _scope.TenantId), ("e", _scope.EnvName), ("c", _campaignId));
        var counts = new Dictionary<string, long> { ["active"] = 0, ["paused"] = 0, ["completed"] = 0, ["exited"] = 0 };
        foreach (var (state, n) in rows)
        {
            counts[state] = n;
        }
        return counts;
    }

    private Task<List<VariantView>> VariantsAsync() => db.QueryAsync(
        """
        SELECT variant_id, name, tone, content, traffic_percent, auto_balanced FROM autopilot_variants
         WHERE tenant_id = @t AND env = @e AND campaign_id = @c ORDER BY created_at, variant_id
        """,
        r => new VariantView(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetInt32(4), r.GetBoolean(5)),
        ("t", _scope.TenantId), ("e", _scope.EnvName), ("c", _campaignId));

    private async Task<CampaignView> ViewAsync()
    {
        var d = (await LoadAsync())!;
        return new CampaignView(_campaignId, d.Name, d.Goal, d.SegmentId, d.Cadence.Length, d.Cadence, d.Channel, d.Status, d.IsDefault,
            d.LocationId, d.CreatedAt, d.UpdatedAt, await CountsAsync(), await VariantsAsync());
    }

    private async Task<CampaignRow?> LoadAsync() =>
        _def ??= await db.QuerySingleAsync(
            """
            SELECT name, goal, segment_id, cadence_days, channel, status, is_default, location_id, created_at, updated_at
              FROM autopilot_campaigns WHERE tenant_id = @t AND env = @e AND campaign_id = @c
            """,
            r => new CampaignRow(r.GetString(0), r.GetString(1), r.NullableString("segment_id"), r.GetFieldValue<int[]>(3), r.GetString(4),
                r.GetString(5), r.GetBoolean(6), r.NullableString("location_id"), r.Time("created_at"), r.Time("updated_at")),
            ("t", _scope.TenantId), ("e", _scope.EnvName), ("c", _campaignId));

    private async Task<CampaignRow> RequireAsync() =>
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

    public static int[] CheckCampaign(CampaignInput input)
    {
        var check = new Check().Required("name", input.Name, 200).Required("goal", input.Goal, 20).OneOf("goal", input.Goal, AutopilotNames.Goals)
            .OneOf("channel", input.Channel, AutopilotNames.Channels).OneOf("status", input.Status, AutopilotNames.Statuses)
            .Range("touchpoints", input.Touchpoints, 1, 10);
        if (input.AudienceSegmentId is not null && !Ids.IsValid(input.AudienceSegmentId, "seg"))
        {
            check.Invalid("audienceSegmentId", "audienceSegmentId must be a segment id (seg_…).");
        }
        if (input.LocationId is not null && !Ids.IsValid(input.LocationId, "loc"))
        {
            check.Invalid("locationId", "locationId must be a location id (loc_…).");
        }
        CheckCadence(check, input.CadenceDays, input.Touchpoints);
        check.ThrowIfInvalid();
        return input.CadenceDays?.ToArray() ?? AutopilotNames.DefaultCadence[..(input.Touchpoints ?? 4)];
    }

    private static void CheckCadence(Check check, IReadOnlyList<int>? cadence, int? touchpoints)
    {
        if (cadence is null)
        {
            return;
        }
        if (cadence.Count is < 1 or > 10)
        {
            check.Invalid("cadenceDays", "cadenceDays has 1 to 10 entries (one per touchpoint).");
            return;
        }
        if (touchpoints is { } n && n != cadence.Count)
        {
            check.Invalid("touchpoints", "touchpoints must equal the number of cadenceDays entries.");
        }
        for (var i = 0; i < cadence.Count; i++)
        {
            if (cadence[i] is < 0 or > 365 || i > 0 && cadence[i] < cadence[i - 1])
            {
                check.Invalid("cadenceDays", "cadenceDays are ascending day offsets between 0 and 365, e.g. [0,1,3,7].");
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Autopilot {Scope}/{CampaignId}: {Sent} touches sent, {Deferred} deferred to quiet-hours end")]
    private static partial void LogPass(ILogger logger, string scope, string campaignId, int sent, int deferred);
}
