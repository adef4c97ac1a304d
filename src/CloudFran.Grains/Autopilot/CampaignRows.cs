using CloudFran.Abstractions.Autopilot;
using CloudFran.Abstractions.Crm;
using CloudFran.Abstractions.Errors;
using CloudFran.Abstractions.Keys;
using CloudFran.Grains.Crm;
using CloudFran.Grains.Storage;
using Npgsql;

namespace CloudFran.Grains.Autopilot;

/// <summary>The rows of one campaign: its definition, variants, enrollments and their counts and stats (autopilot_* tables).</summary>
internal sealed class CampaignRows(PlatformDb db, TenantScope scope, string campaignId)
{
    private const string EnrollmentColumns = "enrollment_id, campaign_id, lead_id, state, reason, next_step, next_due_at, variant_id, enrolled_at";

    private static EnrollmentView ReadEnrollment(NpgsqlDataReader r) => new(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3),
        r.NullableString("reason"), r.GetInt32(5), r.NullableTime("next_due_at"), r.NullableString("variant_id"), r.Time("enrolled_at"));

    public async Task<IReadOnlyDictionary<string, long>> CountsAsync()
    {
        var rows = await db.QueryAsync(
            "SELECT state, count(*) FROM autopilot_enrollments WHERE tenant_id = @t AND env = @e AND campaign_id = @c GROUP BY state",
            r => (r.GetString(0), r.GetInt64(1)), ("t", scope.TenantId), ("e", scope.EnvName), ("c", campaignId));
        var counts = new Dictionary<string, long> { ["active"] = 0, ["paused"] = 0, ["completed"] = 0, ["exited"] = 0 };
        foreach (var (state, n) in rows)
        {
            counts[state] = n;
        }
        return counts;
    }

    public Task<List<VariantView>> VariantsAsync() => db.QueryAsync(
        """
        SELECT variant_id, name, tone, content, traffic_percent, auto_balanced FROM autopilot_variants
         WHERE tenant_id = @t AND env = @e AND campaign_id = @c ORDER BY created_at, variant_id
        """,
        r => new VariantView(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetInt32(4), r.GetBoolean(5)),
        ("t", scope.TenantId), ("e", scope.EnvName), ("c", campaignId));

    public Task<CampaignDefinition?> DefinitionAsync() =>
db.QuerySingleAsync(
            """
            SELECT name, goal, segment_id, cadence_days, channel, status, is_default, location_id, created_at, updated_at
              FROM autopilot_campaigns WHERE tenant_id = @t AND env = @e AND campaign_id = @c
            """,
            r => new CampaignDefinition(r.GetString(0), r.GetString(1), r.NullableString("segment_id"), r.GetFieldValue<int[]>(3), r.GetString(4),
                r.GetString(5), r.GetBoolean(6), r.NullableString("location_id"), r.Time("created_at"), r.Time("updated_at")),
            ("t", scope.TenantId), ("e", scope.EnvName), ("c", campaignId));

    /// <summary>Status, segment, cadence, name; steps not yet sent follow a new cadence.</summary>
    public async Task UpdateAsync(CampaignPatch patch, DateTimeOffset now)
    {
        await using var tx = await db.BeginAsync();
        // @cadence is cast in SQL: a null cadence (no change) has no CLR type to infer int[] from.
        await tx.ExecuteAsync(
            """
            UPDATE autopilot_campaigns SET status = coalesce(@status, status), segment_id = coalesce(@seg, segment_id),
                   cadence_days = coalesce(@cadence::int[], cadence_days), name = coalesce(@name, name), updated_at = @now
             WHERE tenant_id = @t AND env = @e AND campaign_id = @id
            """,
            ("status", patch.Status), ("seg", patch.AudienceSegmentId), ("name", patch.Name?.Trim()), ("now", now),
            ("t", scope.TenantId), ("e", scope.EnvName), ("id", campaignId), ("cadence", patch.CadenceDays?.ToArray()));
        if (patch.CadenceDays is { } cadence)
        {
            // Steps not yet sent follow the new cadence (offsets stay relative to each lead's enrollment).
            await tx.ExecuteAsync(
                """
                UPDATE autopilot_enrollments
                   SET next_due_at = CASE WHEN next_step < @n THEN enrolled_at + (@cadence)[next_step + 1] * interval '1 day' END,
                       state = CASE WHEN next_step < @n THEN state ELSE 'completed' END, updated_at = @now
                 WHERE tenant_id = @t AND env = @e AND campaign_id = @id AND state IN ('active', 'paused')
                """,
                ("n", cadence.Count), ("cadence", cadence.ToArray()), ("now", now),
                ("t", scope.TenantId), ("e", scope.EnvName), ("id", campaignId));
        }
        await tx.CommitAsync();
    }

    /// <summary>A variant, and the traffic of auto-balanced variants rebalanced, in one transaction.</summary>
    public async Task AddVariantAsync(VariantInput input, string id, DateTimeOffset now)
    {
        await using var tx = await db.BeginAsync();
        // Serialise variant changes of this campaign (the grain already does; the lock guards a second activation).
        await tx.ExecuteAsync(
            "SELECT 1 FROM autopilot_campaigns WHERE tenant_id = @t AND env = @e AND campaign_id = @c FOR UPDATE",
            ("t", scope.TenantId), ("e", scope.EnvName), ("c", campaignId));
        var fixedTotal = await tx.ScalarAsync<int>(
            "SELECT coalesce(sum(traffic_percent), 0)::int FROM autopilot_variants WHERE tenant_id = @t AND env = @e AND campaign_id = @c AND NOT auto_balanced",
            ("t", scope.TenantId), ("e", scope.EnvName), ("c", campaignId));
        if (input.TrafficPercent is { } pct && fixedTotal + pct > 100)
        {
            throw CloudFranException.Invalid("trafficPercent", $"Fixed traffic shares would total {fixedTotal + pct}% (at most 100%).");
        }
        await tx.ExecuteAsync(
            """
            INSERT INTO autopilot_variants (tenant_id, env, campaign_id, variant_id, name, tone, content, traffic_percent, auto_balanced, created_at)
            VALUES (@t, @e, @c, @id, @name, @tone, @content, @pct, @auto, @now)
            """,
            ("t", scope.TenantId), ("e", scope.EnvName), ("c", campaignId), ("id", id), ("name", input.Name!.Trim()),
            ("tone", input.Tone), ("content", input.Content), ("pct", input.TrafficPercent ?? 0),
            ("auto", input.TrafficPercent is null), ("now", now));
        // Auto-balanced variants share what fixed ones leave, evenly; the first ones absorb the remainder.
        await tx.ExecuteAsync(
            """
            WITH fixed AS (SELECT coalesce(sum(traffic_percent), 0) AS total FROM autopilot_variants
                            WHERE tenant_id = @t AND env = @e AND campaign_id = @c AND NOT auto_balanced),
                 auto AS (SELECT variant_id, row_number() OVER (ORDER BY created_at, variant_id) - 1 AS i, count(*) OVER () AS n
                            FROM autopilot_variants WHERE tenant_id = @t AND env = @e AND campaign_id = @c AND auto_balanced)
            UPDATE autopilot_variants v
               SET traffic_percent = ((100 - fixed.total) / auto.n + CASE WHEN auto.i < (100 - fixed.total) % auto.n THEN 1 ELSE 0 END)::int
              FROM auto, fixed
             WHERE v.tenant_id = @t AND v.env = @e AND v.campaign_id = @c AND v.variant_id = auto.variant_id
            """,
            ("t", scope.TenantId), ("e", scope.EnvName), ("c", campaignId));
        await tx.CommitAsync();
    }

    public async Task<List<VariantStats>> StatsAsync()
    {
        var args = new (string, object?)[] { ("t", scope.TenantId), ("e", scope.EnvName), ("c", campaignId) };
        return await db.QueryAsync(
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
    }

    /// <summary>Enrolls the lead (idempotent per lead): the new enrollment or the existing one.</summary>
    public Task<List<EnrollmentView>> EnrollAsync(string leadId, string? phone, DateTimeOffset due, DateTimeOffset now, DateTimeOffset heard) =>
        db.InsertOrGetAsync(
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
            ("t", scope.TenantId), ("e", scope.EnvName), ("id", Ids.New("enr", 20)), ("c", campaignId), ("lead", leadId),
            ("phone", phone), ("due", due), ("now", now), ("heard", heard));

    /// <summary>Resumes a paused enrollment; empty when it was not paused.</summary>
    public Task<List<EnrollmentView>> ResumeAsync(string leadId, DateTimeOffset now, DateTimeOffset heard) =>
        db.QueryAsync(
            $"""
            UPDATE autopilot_enrollments SET state = 'active', reason = NULL, reply_watermark = @heard, updated_at = @now,
                   next_due_at = greatest(next_due_at, @now)
             WHERE tenant_id = @t AND env = @e AND campaign_id = @c AND lead_id = @lead AND state = 'paused'
            RETURNING {EnrollmentColumns}
            """, ReadEnrollment, ("now", now), ("heard", heard), ("t", scope.TenantId), ("e", scope.EnvName),
            ("c", campaignId), ("lead", leadId));

    public Task<EnrollmentView?> EnrollmentAsync(string leadId) =>
        db.QuerySingleAsync(
            $"SELECT {EnrollmentColumns} FROM autopilot_enrollments WHERE tenant_id = @t AND env = @e AND campaign_id = @c AND lead_id = @lead",
            ReadEnrollment, ("t", scope.TenantId), ("e", scope.EnvName), ("c", campaignId), ("lead", leadId));

    /// <summary>Enrolls every lead of the segment that has a way to be reached.</summary>
    public async Task EnrollSegmentAsync(SegmentView segment, CampaignDefinition def, DateTimeOffset now, DateTimeOffset heard)
    {
        var (where, args) = SegmentSql.Build(segment.Rules, segment.CombineWith, now);
        args.AddRange([("t", scope.TenantId), ("e", scope.EnvName), ("c", campaignId), ("now", now), ("due", now.AddDays(def.Cadence[0])), ("heard", heard), ("channel", def.Channel)]);
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

    /// <summary>The campaign's row; 409 when the tenant already has a default campaign.</summary>
    public async Task InsertAsync(CampaignInput input, int[] cadence, DateTimeOffset now)
    {
        try
        {
            await db.ExecuteAsync(
                """
                INSERT INTO autopilot_campaigns (tenant_id, env, campaign_id, name, goal, segment_id, cadence_days, channel, status,
                                                 is_default, location_id, created_at, updated_at)
                VALUES (@t, @e, @id, @name, @goal, @seg, @cadence, @channel, @status, @default, @loc, @now, @now)
                """,
                ("t", scope.TenantId), ("e", scope.EnvName), ("id", campaignId), ("name", input.Name!.Trim()), ("goal", input.Goal),
                ("seg", input.AudienceSegmentId), ("cadence", cadence), ("channel", input.Channel ?? "sms"), ("status", input.Status ?? "active"),
                ("default", input.IsDefault ?? false), ("loc", input.LocationId), ("now", now));
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw CloudFranException.Conflict("The tenant already has a default campaign.");
        }
    }

    /// <summary>When the next active enrollment is due, or null.</summary>
    public async Task<DateTimeOffset?> NextDueAsync() =>
        await db.ScalarAsync<DateTime?>(
            "SELECT min(next_due_at) FROM autopilot_enrollments WHERE tenant_id = @t AND env = @e AND campaign_id = @c AND state = 'active'",
            ("t", scope.TenantId), ("e", scope.EnvName), ("c", campaignId)) is { } next ? new DateTimeOffset(next, TimeSpan.Zero) : null;
}
