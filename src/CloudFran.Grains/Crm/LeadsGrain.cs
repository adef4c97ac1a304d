using System.Text.Json;
using CloudFran.Abstractions.Autopilot;
using CloudFran.Abstractions.Crm;
using CloudFran.Abstractions.Csv;
using CloudFran.Abstractions.Errors;
using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Platform;
using CloudFran.Abstractions.TextIntelligence;
using CloudFran.Abstractions.Validation;
using CloudFran.Grains.Events;
using CloudFran.Grains.Storage;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Orleans.Concurrency;

namespace CloudFran.Grains.Crm;

/// <summary>
/// See <see cref="ILeadsGrain"/>. Leads are rows, not grain state: every call is a statement or a transaction, so
/// the grain is a stateless worker whose calls interleave (row locks order concurrent status changes). The rules
/// live apart and are unit-tested: <see cref="LeadQueries"/> (list filters, analytics), <see cref="LeadImport"/>
/// (CSV columns, rows, merges) and <see cref="LeadFields"/>; status events are written by <see cref="LeadEvents"/>.
/// </summary>
[StatelessWorker, Reentrant]
public sealed class LeadsGrain(PlatformDb db, [FromKeyedServices(CrmClock.Key)] TimeProvider clock, ITextIntelligence text) : Grain, ILeadsGrain
{
    private TenantScope Scope { get; set; }

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        Scope = ScopedKey.Parse(this.GetPrimaryKeyString()).Scope;
        return Task.CompletedTask;
    }

    public async Task<LeadView> CreateAsync(LeadInput input)
    {
        new Check().CheckInput(input, requireEmail: false).ThrowIfInvalid();
        var lead = await InsertAsync(input);
        if (input.AutoNurture ?? true)
        {
            var campaignId = await GrainFactory.GetAutopilot(Scope).EnrollInDefaultAsync(lead.LeadId);
            lead = lead with { EnrolledCampaignId = campaignId };
        }
        return lead;
    }

    private async Task<LeadView> InsertAsync(LeadInput input)
    {
        var now = clock.GetUtcNow();
        var id = Ids.New("lead");
        await using var tx = await db.BeginAsync();
        var lead = (await tx.QuerySingleAsync(
            $"""
            INSERT INTO crm_leads (tenant_id, env, lead_id, name, phone, email, company, source, status, tags, notes, owner,
                                   location_id, timezone, created_at, updated_at)
            VALUES (@t, @e, @id, @name, @phone, @email, @company, @source, @status, @tags, @notes, @owner, @loc, @tz, @now, @now)
            RETURNING {LeadSql.Columns}
            """, LeadSql.Read,
            ("t", Scope.TenantId), ("e", Scope.EnvName), ("id", id), ("name", input.Name!.Trim()),
            ("phone", LeadRules.NormalizePhone(input.Phone)), ("email", input.Email?.Trim()),
            ("company", input.Company?.Trim()), ("source", LeadNames.NormalizeSource(input.Source) ?? "website"),
            ("status", input.Status ?? "new"), ("tags", LeadFields.Tags(input.Tags)), ("notes", input.Notes),
            ("owner", input.Owner), ("loc", input.LocationId), ("tz", input.Timezone ?? LeadFields.PhoneZone(input.Phone)), ("now", now)))!;
        await EventOutbox.AppendAsync(tx, Scope, "lead.created",
            new { lead_id = lead.LeadId, name = lead.Name, email = lead.Email, phone = lead.Phone, source = lead.Source, status = lead.Status });
        await tx.CommitAsync();
        return lead;
    }

    public async Task<LeadView> GetAsync(string leadId) =>
        await db.QuerySingleAsync($"SELECT {LeadSql.Columns} FROM crm_leads WHERE tenant_id = @t AND env = @e AND lead_id = @id",
            LeadSql.Read, ("t", Scope.TenantId), ("e", Scope.EnvName), ("id", leadId))
        ?? throw CloudFranException.NotFound($"Lead {leadId}");

    public async Task<PagedList<LeadView>> ListAsync(LeadQuery q)
    {
        var (filter, args) = LeadQueries.Filter(q, Scope);
        return await db.PageAsync(
            $"SELECT {LeadSql.Columns}, count(*) OVER () AS total FROM crm_leads WHERE {filter} ORDER BY created_at DESC, lead_id",
            LeadSql.Read, q.Page, q.PageSize, args.ToArray());
    }

    public async Task<LeadView> UpdateAsync(string leadId, LeadPatch patch)
    {
        new Check().CheckPatch(patch).ThrowIfInvalid();
        var now = clock.GetUtcNow();
        await using var tx = await db.BeginAsync();
        var oldStatus = await tx.ScalarAsync<string>(
            "SELECT status FROM crm_leads WHERE tenant_id = @t AND env = @e AND lead_id = @id FOR UPDATE",
            ("t", Scope.TenantId), ("e", Scope.EnvName), ("id", leadId));
        if (oldStatus is null)
        {
            throw CloudFranException.NotFound($"Lead {leadId}");
        }
        // @tags is cast in SQL: a null array needs its type (the raw command declared it text[]).
        var lead = (await tx.QuerySingleAsync(
            $"""
            UPDATE crm_leads SET name = coalesce(@name, name), phone = coalesce(@phone, phone), email = coalesce(@email, email),
                   company = coalesce(@company, company), source = coalesce(@source, source), status = coalesce(@status, status),
                   tags = coalesce(@tags::text[], tags), notes = coalesce(@notes, notes), owner = coalesce(@owner, owner),
                   location_id = coalesce(@loc, location_id), timezone = coalesce(@tz, timezone), updated_at = @now
             WHERE tenant_id = @t AND env = @e AND lead_id = @id
            RETURNING {LeadSql.Columns}
            """, LeadSql.Read,
            ("name", patch.Name?.Trim()), ("phone", LeadRules.NormalizePhone(patch.Phone)), ("email", patch.Email),
            ("company", patch.Company), ("source", LeadNames.NormalizeSource(patch.Source)), ("status", patch.Status),
            ("notes", patch.Notes), ("owner", patch.Owner), ("loc", patch.LocationId), ("tz", patch.Timezone),
            ("now", now), ("t", Scope.TenantId), ("e", Scope.EnvName), ("id", leadId),
            ("tags", patch.Tags is null ? null : LeadFields.Tags(patch.Tags))))!;
        if (patch.Status is not null && patch.Status != oldStatus)
        {
            await LeadEvents.StatusChangedAsync(tx, Scope, lead.LeadId, oldStatus, patch.Status, patch.UpdatedBy, now);
        }
        await tx.CommitAsync();
        return lead;
    }

    public async Task DeleteAsync(string leadId)
    {
        var removed = await db.QueryAsync(
            """
            WITH gone AS (DELETE FROM crm_leads WHERE tenant_id = @t AND env = @e AND lead_id = @id RETURNING lead_id),
                 stop AS (UPDATE autopilot_enrollments SET state = 'exited', reason = 'lead_deleted', next_due_at = NULL, updated_at = @now
                           WHERE tenant_id = @t AND env = @e AND lead_id IN (SELECT lead_id FROM gone) AND state IN ('active', 'paused'))
            SELECT lead_id FROM gone
            """, r => r.GetString(0), ("t", Scope.TenantId), ("e", Scope.EnvName), ("id", leadId), ("now", clock.GetUtcNow()));
        if (removed.Count == 0)
        {
            throw CloudFranException.NotFound($"Lead {leadId}");
        }
    }

    /// <summary>From the daily rollup (kept by triggers in the same transactions as the leads): whole UTC days.</summary>
    public async Task<LeadAnalytics> AnalyticsAsync(DateTimeOffset? from, DateTimeOffset? to)
    {
        var (fromDay, toDay) = LeadQueries.Days(from, to);
        var rows = await db.QueryAsync(
            """
            SELECT CASE WHEN grouping(source) = 0 THEN 's' WHEN grouping(status) = 0 THEN 't' ELSE 'd' END,
                   coalesce(source, status, to_char(day, 'YYYY-MM-DD')), sum(n)::bigint
              FROM crm_lead_daily
             WHERE tenant_id = @t AND env = @e AND day >= @from AND day < @to
             GROUP BY GROUPING SETS ((source), (status), (day))
            HAVING sum(n) > 0
            """,
            r => (Kind: r.GetString(0), Key: r.GetString(1), Count: r.GetInt64(2)),
            ("t", Scope.TenantId), ("e", Scope.EnvName),
            ("from", fromDay), ("to", toDay));
        return LeadQueries.Analytics(rows);
    }

    public async Task<LeadSentiment> SentimentAsync(string leadId)
    {
        var lead = await GetAsync(leadId);
        var texts = new List<string>();
        if (lead.Notes is { Length: > 0 } notes)
        {
            texts.Add(notes);
        }
        if (lead.Phone is { } phone)
        {
            texts.AddRange(await db.QueryAsync(
                """
                SELECT body FROM sms_messages
                 WHERE tenant_id = @t AND env = @e AND contact_phone = @p AND direction = 'inbound'
                 ORDER BY created_at DESC LIMIT 50
                """, r => r.GetString(0), ("t", Scope.TenantId), ("e", Scope.EnvName), ("p", phone)));
        }
        var analysis = await text.AnalyzeAsync(string.Join(". ", texts));
        return new LeadSentiment(lead.LeadId, analysis.Sentiment, analysis.Confidence,
            analysis.Entities.Select(e => e.Text.ToLowerInvariant()).Distinct().ToList(), clock.GetUtcNow());
    }

    public async Task<int> GenerateAsync(int count, string? source, int spreadDays)
    {
        var now = clock.GetUtcNow();
        var generated = await db.ExecuteAsync(
            """
            INSERT INTO crm_leads (tenant_id, env, lead_id, name, phone, email, company, source, status, tags, notes, created_at, updated_at)
            SELECT @t, @e, 'lead_' || substr(md5(random()::text || clock_timestamp()::text || g::text), 1, 20),
                   'Test Lead ' || g, '+1415' || (2000000 + g % 7000000)::text, 'lead' || g || '@example.com',
                   (ARRAY['Acme Corp','Globex','Initech','Umbrella','Hooli'])[1 + g % 5],
                   coalesce(@source, (ARRAY['website','website','website','social','social','referral','email','phone'])[1 + (random() * 7)::int]),
                   (ARRAY['new','new','new','contacted','contacted','qualified','converted','lost'])[1 + (random() * 7)::int],
                   ARRAY['generated'], 'Generated test lead', ts, ts
              FROM generate_series(1, @n) g,
                   LATERAL (SELECT @now - (random() * @spread) * interval '1 day' AS ts) t
            """,
            ("t", Scope.TenantId), ("e", Scope.EnvName), ("n", count), ("source", LeadNames.NormalizeSource(source)),
            ("now", now), ("spread", (double)spreadDays));
        await db.AnalyzeAfterBulkWriteAsync("crm_leads", generated);
        return generated;
    }

    public async Task<ImportReport> ImportAsync(ImportRequest request)
    {
        var rows = CsvFiles.ReadAll(request.Csv);
        var columnOf = LeadImport.Columns(rows, request.Mapping);
        var results = new List<ImportRowResult>();
        for (var i = 1; i < rows.Count; i++)
        {
            var input = LeadImport.Input(rows[i], columnOf, request.DefaultTags);
            if (LeadImport.Errors(input) is { Count: > 0 } errors)
            {
                results.Add(new ImportRowResult(i, "error", null, errors));
                continue;
            }
            var existing = request.DuplicateStrategy == "create_new" ? null : await db.ScalarAsync<string>(
                """
                SELECT lead_id FROM crm_leads
                 WHERE tenant_id = @t AND env = @e AND ((@phone::text IS NOT NULL AND phone = @phone) OR (@email::text IS NOT NULL AND lower(email) = lower(@email)))
                 ORDER BY created_at LIMIT 1
                """, ("t", Scope.TenantId), ("e", Scope.EnvName), ("phone", LeadRules.NormalizePhone(input.Phone)), ("email", input.Email));
            if (existing is not null && request.DuplicateStrategy == "skip")
            {
                results.Add(new ImportRowResult(i, "skipped", existing, ["A lead with this phone or email exists."]));
                continue;
            }
            if (existing is not null)
            {
                await UpdateAsync(existing, LeadImport.Merge(input, (await GetAsync(existing)).Tags));
                results.Add(new ImportRowResult(i, "updated", existing, []));
                continue;
            }
            var lead = await InsertAsync(input);
            results.Add(new ImportRowResult(i, "created", lead.LeadId, []));
        }
        await db.AnalyzeAfterBulkWriteAsync("crm_leads", results.Count(r => r.Status == "created"));
        return LeadImport.Report(results);
    }

    public async Task<SegmentView> CreateSegmentAsync(SegmentInput input)
    {
        new Check().Required("name", input.Name, 200).CheckRules(input.Rules, input.CombineWith ?? "AND").ThrowIfInvalid();
        var id = Ids.New("seg");
        var combine = (input.CombineWith ?? "AND").ToUpperInvariant();
        var now = clock.GetUtcNow();
        await db.ExecuteAsync(
            """
            INSERT INTO crm_segments (tenant_id, env, segment_id, name, rules, combine_with, created_at)
            VALUES (@t, @e, @id, @name, @rules::jsonb, @combine, @now)
            """, ("t", Scope.TenantId), ("e", Scope.EnvName), ("id", id), ("name", input.Name!.Trim()),
            ("rules", JsonSerializer.Serialize(input.Rules, Json.Options)), ("combine", combine), ("now", now));
        return await GetSegmentAsync(id);
    }

    public async Task<SegmentView> GetSegmentAsync(string segmentId)
    {
        var segment = await LoadSegmentAsync(segmentId);
        var (where, args) = SegmentSql.Build(segment.Rules, segment.CombineWith, clock.GetUtcNow());
        args.Add(("t", Scope.TenantId));
        args.Add(("e", Scope.EnvName));
        var count = await db.ScalarAsync<long>($"SELECT count(*) FROM crm_leads l WHERE l.tenant_id = @t AND l.env = @e AND {where}", args.ToArray());
        return segment with { Count = count };
    }

    public async Task<IReadOnlyList<SegmentView>> ListSegmentsAsync()
    {
        var ids = await db.QueryAsync("SELECT segment_id FROM crm_segments WHERE tenant_id = @t AND env = @e ORDER BY created_at",
            r => r.GetString(0), ("t", Scope.TenantId), ("e", Scope.EnvName));
        var list = new List<SegmentView>();
        foreach (var id in ids)
        {
            list.Add(await GetSegmentAsync(id));
        }
        return list;
    }

    public async Task<SegmentPreview> PreviewSegmentAsync(string segmentId, int sample)
    {
        var segment = await GetSegmentAsync(segmentId);
        var (where, args) = SegmentSql.Build(segment.Rules, segment.CombineWith, clock.GetUtcNow());
        args.Add(("t", Scope.TenantId));
        args.Add(("e", Scope.EnvName));
        args.Add(("limit", sample));
        var leads = await db.QueryAsync(
            $"SELECT {LeadSql.Columns} FROM crm_leads l WHERE l.tenant_id = @t AND l.env = @e AND {where} ORDER BY l.created_at DESC LIMIT @limit",
            LeadSql.Read, args.ToArray());
        return new SegmentPreview(segment.SegmentId, segment.Count, leads);
    }

    private async Task<SegmentView> LoadSegmentAsync(string segmentId) =>
        await db.QuerySingleAsync(
            "SELECT segment_id, name, rules::text, combine_with, created_at FROM crm_segments WHERE tenant_id = @t AND env = @e AND segment_id = @id",
            r => new SegmentView(r.GetString(0), r.GetString(1),
                JsonSerializer.Deserialize<List<SegmentRule>>(r.GetString(2), Json.Options) ?? [], r.GetString(3), 0, r.Time("created_at")),
            ("t", Scope.TenantId), ("e", Scope.EnvName), ("id", segmentId))
        ?? throw CloudFranException.NotFound($"Segment {segmentId}");
}
