using CloudFran.Abstractions.Autopilot;
using CloudFran.Abstractions.Crm;
using CloudFran.Abstractions.Errors;
using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Validation;
using CloudFran.Grains.Crm;
using CloudFran.Grains.Storage;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Orleans.Concurrency;

namespace CloudFran.Grains.Autopilot;

/// <summary>See <see cref="IAutopilotDirectoryGrain"/>: reads and cross-campaign writes as SQL (stateless).</summary>
[StatelessWorker, Reentrant]
public sealed class AutopilotDirectoryGrain(PlatformDb db, [FromKeyedServices(CrmClock.Key)] TimeProvider clock) : Grain, IAutopilotDirectoryGrain
{
    private TenantScope Scope { get; set; }

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        Scope = ScopedKey.Parse(this.GetPrimaryKeyString()).Scope;
        return Task.CompletedTask;
    }

    public async Task<IReadOnlyList<CampaignView>> ListCampaignsAsync()
    {
        var ids = await db.QueryAsync(
            "SELECT campaign_id FROM autopilot_campaigns WHERE tenant_id = @t AND env = @e ORDER BY created_at, campaign_id LIMIT 200",
            r => r.GetString(0), ("t", Scope.TenantId), ("e", Scope.EnvName));
        var views = await Task.WhenAll(ids.Select(id => GrainFactory.GetCampaign(Scope, id).GetAsync()));
        return views;
    }

    public async Task<ConversationView> GetConversationAsync(string leadId)
    {
        var lead = await GrainFactory.GetLeads(Scope).GetAsync(leadId);
        var enrollments = await db.QueryAsync(
            """
            SELECT enrollment_id, campaign_id, lead_id, state, reason, next_step, next_due_at, variant_id, enrolled_at
              FROM autopilot_enrollments WHERE tenant_id = @t AND env = @e AND lead_id = @lead ORDER BY enrolled_at
            """,
            r => new EnrollmentView(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.NullableString("reason"), r.GetInt32(5),
                r.NullableTime("next_due_at"), r.NullableString("variant_id"), r.Time("enrolled_at")),
            ("t", Scope.TenantId), ("e", Scope.EnvName), ("lead", leadId));
        // Both channels in one timeline: the SMS thread with the lead's phone (both directions) and the emails sent to
        // the lead's address; touches (found through the lead's own touch rows) tag each with campaign, variant, step.
        var messages = lead.Phone is null && lead.Email is null ? [] : await db.QueryAsync(
            """
            WITH t AS (SELECT campaign_id, variant_id, step, message_id, email_message_id FROM autopilot_touches
                        WHERE tenant_id = @t AND env = @e AND lead_id = @lead),
            thread AS (
                SELECT m.message_id, m.direction, m.body, m.status, m.created_at, t.campaign_id, t.variant_id, t.step,
                       'sms' AS channel, NULL::text AS subject
                  FROM sms_messages m LEFT JOIN t ON t.message_id = m.message_id
                 WHERE @p::text IS NOT NULL AND m.tenant_id = @t AND m.env = @e AND m.contact_phone = @p
                UNION ALL
                SELECT m.message_id, 'outbound', m.text_body, m.status, m.created_at, t.campaign_id, t.variant_id, t.step,
                       'email', m.subject::text
                  FROM email_messages m LEFT JOIN t ON t.email_message_id = m.message_id
                 WHERE @mail::text IS NOT NULL AND m.tenant_id = @t AND m.env = @e AND m.to_address = @mail)
            SELECT * FROM thread ORDER BY created_at, message_id LIMIT 500
            """,
            r => new ConversationMessage(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.Time("created_at"),
                r.NullableString("campaign_id"), r.NullableString("variant_id"), r.IsDBNull(7) ? null : r.GetInt32(7),
                r.GetString(8), r.NullableString("subject")),
            ("t", Scope.TenantId), ("e", Scope.EnvName), ("lead", leadId), ("p", lead.Phone), ("mail", lead.Email?.Trim().ToLowerInvariant()));
        return new ConversationView(lead.LeadId, lead.Phone, enrollments, messages);
    }

    public async Task<OutcomeView> RecordOutcomeAsync(OutcomeInput input)
    {
        new Check().Required("type", input.Type, 20).OneOf("type", input.Type, AutopilotNames.OutcomeTypes)
            .Required("customerId", input.CustomerId, 100).Text("agentId", input.AgentId, 100).Text("idempotencyKey", input.IdempotencyKey, 200)
            .ThrowIfInvalid();
        if (input.Value is < 0 or > 100_000_000)
        {
            throw CloudFranException.Invalid("value", "value must be between 0 and 100000000.");
        }
        var now = clock.GetUtcNow();
        await using var tx = await db.BeginAsync();
        // The customer is a lead id, or a phone / email that identifies one.
        var found = await tx.QuerySingleAsync(
            """
            SELECT lead_id, status FROM crm_leads
             WHERE tenant_id = @t AND env = @e AND (lead_id = @c OR phone = @c OR lower(email) = lower(@c))
             ORDER BY (lead_id = @c) DESC, created_at LIMIT 1 FOR UPDATE
            """,
            r => Tuple.Create(r.GetString(0), r.GetString(1)),
            ("t", Scope.TenantId), ("e", Scope.EnvName), ("c", input.CustomerId!.Trim()));
        var (leadId, oldStatus) = (found?.Item1, found?.Item2);
        string? campaignId = null, variantId = null;
        if (leadId is not null)
        {
            var last = await tx.QuerySingleAsync(
                """
                SELECT campaign_id, variant_id FROM autopilot_touches
                 WHERE tenant_id = @t AND env = @e AND lead_id = @lead AND (status = 'sent' OR email_status = 'sent')
                 ORDER BY sent_at DESC NULLS LAST, created_at DESC LIMIT 1
                """,
                r => Tuple.Create(r.GetString(0), r.IsDBNull(1) ? null : r.GetString(1)),
                ("t", Scope.TenantId), ("e", Scope.EnvName), ("lead", leadId));
            (campaignId, variantId) = (last?.Item1, last?.Item2);
        }
        const string insertSql =
            """
            WITH ins AS (
                INSERT INTO autopilot_outcomes (tenant_id, env, outcome_id, type, value, agent_id, customer_id, lead_id, campaign_id, variant_id,
                                                idempotency_key, created_at)
                VALUES (@t, @e, @id, @type, @value, @agent, @customer, @lead, @campaign, @variant, @key, @now)
                ON CONFLICT (tenant_id, env, idempotency_key) DO NOTHING
                RETURNING outcome_id, type, value, agent_id, customer_id, lead_id, campaign_id, variant_id, created_at, true AS fresh)
            SELECT * FROM ins
            UNION ALL
            SELECT outcome_id, type, value, agent_id, customer_id, lead_id, campaign_id, variant_id, created_at, false FROM autopilot_outcomes
             WHERE tenant_id = @t AND env = @e AND idempotency_key = @key AND NOT EXISTS (SELECT 1 FROM ins)
            """;
        (string, object?)[] insertArgs =
        [
            ("t", Scope.TenantId), ("e", Scope.EnvName), ("id", Ids.New("out")), ("type", input.Type), ("value", input.Value ?? 0m),
            ("agent", input.AgentId), ("customer", input.CustomerId.Trim()), ("lead", leadId), ("campaign", campaignId),
            ("variant", variantId), ("key", input.IdempotencyKey), ("now", now),
        ];
        Func<NpgsqlDataReader, Tuple<OutcomeView, bool>> readOutcome = reader => Tuple.Create(
            new OutcomeView(reader.GetString(0), reader.GetString(1), reader.GetDecimal(2), reader.NullableString("agent_id"),
                reader.GetString(4), reader.NullableString("lead_id"), reader.NullableString("campaign_id"), reader.NullableString("variant_id"),
                reader.Time("created_at")),
            reader.GetBoolean(9));
        // The same key was committed by a concurrent request while this statement waited: a new statement sees it.
        var (view, fresh) = await tx.QuerySingleAsync(insertSql, readOutcome, insertArgs)
                            ?? await tx.QuerySingleAsync(insertSql, readOutcome, insertArgs)
                            ?? throw new InvalidOperationException($"Outcome with key {input.IdempotencyKey} neither inserted nor found.");
        if (!fresh)
        {
            await tx.CommitAsync();
            return view;
        }
        if (leadId is not null)
        {
            // A booking, sale or conversion ends the lead's sequences; the lead's status follows the outcome.
            if (input.Type is "booking" or "sale" or "conversion")
            {
                await tx.ExecuteAsync(
                    """
                    UPDATE autopilot_enrollments SET state = 'exited', reason = @reason, next_due_at = NULL, updated_at = @now
                     WHERE tenant_id = @t AND env = @e AND lead_id = @lead AND state IN ('active', 'paused')
                    """,
                    ("reason", "outcome_" + input.Type), ("now", now), ("t", Scope.TenantId), ("e", Scope.EnvName), ("lead", leadId));
            }
            var newStatus = input.Type == "lead_qualified" ? "qualified" : "converted";
            if (oldStatus != newStatus && oldStatus != "converted")
            {
                await tx.ExecuteAsync(
                    "UPDATE crm_leads SET status = @s, updated_at = @now WHERE tenant_id = @t AND env = @e AND lead_id = @lead",
                    ("s", newStatus), ("now", now), ("t", Scope.TenantId), ("e", Scope.EnvName), ("lead", leadId));
                // LeadsGrain (Crm) still takes the connection and transaction.
                await LeadEvents.StatusChangedAsync(tx, Scope, leadId, oldStatus!, newStatus, input.AgentId ?? "outcome", now);
            }
        }
        await tx.CommitAsync();
        return view;
    }

    public async Task<string?> EnrollInDefaultAsync(string leadId)
    {
        var campaignId = await db.ScalarAsync<string>(
            "SELECT campaign_id FROM autopilot_campaigns WHERE tenant_id = @t AND env = @e AND is_default AND status = 'active'",
            ("t", Scope.TenantId), ("e", Scope.EnvName));
        if (campaignId is null)
        {
            return null;
        }
        var lead = await GrainFactory.GetLeads(Scope).GetAsync(leadId);
        if (lead.Phone is null)
        {
            return null;
        }
        await GrainFactory.GetCampaign(Scope, campaignId).EnrollAsync(new EnrollInput(leadId, null, null, null, null, null));
        return campaignId;
    }
}
