using CloudFran.Abstractions.Autopilot;
using CloudFran.Abstractions.Email;
using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Messaging;
using CloudFran.Grains.Crm;
using CloudFran.Grains.Events;
using CloudFran.Grains.Storage;
using Npgsql;

namespace CloudFran.Grains.Autopilot;

/// <summary>What one batch of a pass did.</summary>
public sealed record BatchOutcome(int Sent, int Deferred, int Paused, int Exited, int Completed, int Suppressed);

/// <summary>
/// One campaign's pass over its due enrollments, batch by batch: read what is due, let <see cref="TouchPlanner"/>
/// decide, record every touch before asking the SMS and email backbones for it (idempotency key
/// <c>ap:{enrollment}:{step}</c>), record the outcomes and advance, pause, defer or exit the enrollments.
/// Run by the campaign grain, one pass at a time.
/// </summary>
internal sealed class AutopilotPass(PlatformDb db, IGrainFactory grains, TenantScope scope, string campaignId)
{
    public Task<List<Due>> DueBatchAsync(CampaignDefinition def, DateTimeOffset now, int limit) => db.QueryAsync(
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
        ("t", scope.TenantId), ("e", scope.EnvName), ("c", campaignId), ("now", now), ("limit", limit), ("loc", def.LocationId));

    public async Task<BatchOutcome> RunBatchAsync(CampaignDefinition def, IReadOnlyList<VariantView> variants, List<Due> batch, DateTimeOffset now)
    {
        var (touches, exits, pauses, defers) = TouchPlanner.Plan(def.Channel, def.Goal, variants, batch, now);

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
                ("t", scope.TenantId), ("e", scope.EnvName), ("c", campaignId), ("now", now),
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
            ("t", scope.TenantId), ("e", scope.EnvName),
            ("enr", touches.Select(x => x.Due.EnrollmentId).ToArray()), ("step", touches.Select(x => x.Due.Step).ToArray())))
            .ToDictionary(p => (p.Id, p.Step));
        var pending = stored.Where(p => p.Value.Sms).ToDictionary(p => p.Key, p => p.Value);

        // 2. Request the SMS through the messaging backbone (opt-out enforced there), one batch call per pass.
        var sender = grains.GetSmsSender(scope);
        var toSend = touches.Where(x => !x.SmsHeld && pending.ContainsKey((x.Due.EnrollmentId, x.Due.Step))).ToList();
        var sendResults = toSend.Count == 0 ? [] : await sender.SendManyAsync(toSend.Select(touch => new SmsSendRequest(
            touch.Due.Phone!, pending[(touch.Due.EnrollmentId, touch.Due.Step)].Body, null,
            touch.Due.LocationId is { } loc && Ids.IsValid(loc, "loc") ? loc : null,
            $"ap:{touch.Due.EnrollmentId}:{touch.Due.Step}", "marketing")).ToList());
        var results = toSend.Zip(sendResults, (touch, r) => (Id: touch.Due.EnrollmentId, touch.Due.Step,
            Status: TouchPlanner.SendStatus(r.Message is not null, r.ErrorKind), MessageId: r.Message?.MessageId));
        var outcomes = results.ToList();

        // 2b. The email side, through the email backbone (unsubscribes enforced there), key ap:{enrollment}:{step}:email.
        var emailSend = touches.Where(x => x.Due.Email is not null && stored.TryGetValue((x.Due.EnrollmentId, x.Due.Step), out var row) && row.Email).ToList();
        var emailResults = emailSend.Count == 0 ? [] : await grains.GetEmailSender(scope).SendManyAsync(emailSend.Select(touch => new EmailSendRequest(
            touch.Due.Email!, def.Name, stored[(touch.Due.EnrollmentId, touch.Due.Step)].Body, "marketing",
            $"ap:{touch.Due.EnrollmentId}:{touch.Due.Step}:email",
            touch.Due.LocationId is { } loc && Ids.IsValid(loc, "loc") ? loc : null)).ToList());
        var emailOutcomes = emailSend.Zip(emailResults, (touch, r) => (Id: touch.Due.EnrollmentId, touch.Due.Step,
            Status: TouchPlanner.SendStatus(r.Message is not null, r.ErrorKind), MessageId: r.Message?.MessageId)).ToList();

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
                ("t", scope.TenantId), ("e", scope.EnvName), ("now", now), ("cadence", def.Cadence),
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
                ("t", scope.TenantId), ("e", scope.EnvName), ("now", now),
                ("enr", defers.Select(d => d.Id).ToArray()), ("at", defers.Select(d => d.At.UtcDateTime).ToArray()));
        }
        if (pauses.Count > 0)
        {
            await db.ExecuteAsync(
                """
                UPDATE autopilot_enrollments SET state = 'paused', reason = 'replied', updated_at = @now
                 WHERE tenant_id = @t AND env = @e AND enrollment_id = ANY(@enr) AND state = 'active'
                """, ("t", scope.TenantId), ("e", scope.EnvName), ("now", now), ("enr", pauses.ToArray()));
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
                """, ("t", scope.TenantId), ("e", scope.EnvName), ("now", now),
                ("enr", exits.Select(x => x.Id).ToArray()), ("reason", exits.Select(x => x.Reason).ToArray()));
        }
        var sentCount = outcomes.Concat(emailOutcomes).Where(o => o.Status == "sent").Select(o => (o.Id, o.Step)).Distinct().Count();
        return new BatchOutcome(sentCount, defers.Count, pauses.Count, exits.Count, completedCount, suppressedIds.Count);
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
        await using var tx = await db.BeginAsync();
        await tx.ExecuteAsync(
            """
            UPDATE autopilot_touches t SET status = x.status, message_id = x.msg, sent_at = coalesce(t.sent_at, CASE WHEN x.status = 'sent' THEN @now END)
              FROM unnest(@enr::text[], @step::int[], @status::text[], @msg::text[]) AS x(enr, step, status, msg)
             WHERE t.tenant_id = @t AND t.env = @e AND t.enrollment_id = x.enr AND t.step = x.step AND t.status = 'pending'
            """,
            ("t", scope.TenantId), ("e", scope.EnvName), ("now", now),
            ("enr", outcomes.Select(o => o.Id).ToArray()), ("step", outcomes.Select(o => o.Step).ToArray()),
            ("status", outcomes.Select(o => o.Status).ToArray()), ("msg", outcomes.Select(o => o.MessageId).ToArray()));
        if (emailOutcomes.Count > 0)
        {
            await tx.ExecuteAsync(
                """
                UPDATE autopilot_touches t SET email_status = x.status, email_message_id = x.msg,
                       sent_at = coalesce(t.sent_at, CASE WHEN x.status = 'sent' THEN @now END)
                  FROM unnest(@enr::text[], @step::int[], @status::text[], @msg::text[]) AS x(enr, step, status, msg)
                 WHERE t.tenant_id = @t AND t.env = @e AND t.enrollment_id = x.enr AND t.step = x.step AND t.email_status = 'pending'
                """,
                ("t", scope.TenantId), ("e", scope.EnvName), ("now", now),
                ("enr", emailOutcomes.Select(o => o.Id).ToArray()), ("step", emailOutcomes.Select(o => o.Step).ToArray()),
                ("status", emailOutcomes.Select(o => o.Status).ToArray()), ("msg", emailOutcomes.Select(o => o.MessageId).ToArray()));
        }
        var moved = await tx.QueryAsync(
            """
            UPDATE crm_leads SET status = 'contacted', updated_at = @now
             WHERE tenant_id = @t AND env = @e AND lead_id = ANY(@ids) AND status = 'new'
            RETURNING lead_id
            """,
            r => r.GetString(0), ("t", scope.TenantId), ("e", scope.EnvName), ("ids", leadIds), ("now", now));
        await EventOutbox.AppendManyAsync(tx, scope, "lead.status_updated",
            moved.Select(id => (object)new { lead_id = id, old_status = "new", new_status = "contacted", updated_by = "autopilot", at = now }).ToList());
        await tx.CommitAsync();
    }
}
