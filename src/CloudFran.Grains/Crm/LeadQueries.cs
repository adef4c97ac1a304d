using System.Globalization;
using CloudFran.Abstractions.Crm;

namespace CloudFran.Grains.Crm;

/// <summary>
/// The SQL filters of the lead list and the folding of the analytics rollup, without storage: the leads grain runs
/// the statements, these build them and read their rows.
/// </summary>
public static class LeadQueries
{
    /// <summary>The WHERE clause of <paramref name="q"/> over <c>crm_leads</c> and its parameters (tenant and env first).</summary>
    public static (string Where, List<(string, object?)> Args) Filter(LeadQuery q, TenantScope scope)
    {
        var where = new List<string> { "tenant_id = @t", "env = @e" };
        var args = new List<(string, object?)> { ("t", scope.TenantId), ("e", scope.EnvName) };
        void Add(string sql, string name, object? value)
        {
            where.Add(sql);
            args.Add((name, value));
        }
        if (q.Status is not null) Add("status = @status", "status", q.Status);
        if (q.Source is not null) Add("source = @source", "source", LeadNames.NormalizeSource(q.Source));
        if (q.Tag is not null) Add("@tag = ANY(tags)", "tag", q.Tag);
        if (q.Owner is not null) Add("owner = @owner", "owner", q.Owner);
        if (q.LocationId is not null) Add("location_id = @loc", "loc", q.LocationId);
        if (q.CreatedFrom is not null) Add("created_at >= @from", "from", q.CreatedFrom.Value.ToUniversalTime());
        if (q.CreatedTo is not null) Add("created_at < @to", "to", q.CreatedTo.Value.ToUniversalTime());
        if (q.Search is not null)
        {
            // The trigram index ix_crm_leads_search (migration 0011) is over exactly this expression.
            Add("(coalesce(name, '') || ' ' || coalesce(email, '') || ' ' || coalesce(phone, '') || ' ' || coalesce(company, '')) ILIKE @q", "q", Like(q.Search));
        }
        return (string.Join(" AND ", where), args);
    }

    /// <summary>An ILIKE pattern that finds <paramref name="search"/> anywhere, its own wildcards taken literally.</summary>
    public static string Like(string search) => "%" + search.Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_") + "%";

    /// <summary>The whole UTC days of the rollup from <paramref name="from"/> (inclusive) to <paramref name="to"/> (exclusive); open ends are unbounded.</summary>
    public static (DateOnly From, DateOnly To) Days(DateTimeOffset? from, DateTimeOffset? to) =>
        (DateOnly.FromDateTime((from ?? new DateTimeOffset(1970, 1, 1, 0, 0, 0, TimeSpan.Zero)).UtcDateTime),
         DateOnly.FromDateTime((to ?? new DateTimeOffset(9999, 1, 1, 0, 0, 0, TimeSpan.Zero)).UtcDateTime));

    /// <summary>
    /// Folds the grouping-sets rows of the rollup (kind 's' = by source, 't' = by status, 'd' = by day) into the
    /// analytics: every status listed (0 when none), sources by count, days in order, the conversion rate to 4 places.
    /// </summary>
    public static LeadAnalytics Analytics(IReadOnlyList<(string Kind, string Key, long Count)> rows)
    {
        var bySource = rows.Where(r => r.Kind == "s").OrderByDescending(r => r.Count).ThenBy(r => r.Key).ToDictionary(r => r.Key, r => r.Count);
        var byStatus = LeadNames.Statuses.ToDictionary(s => s, s => rows.FirstOrDefault(r => r.Kind == "t" && r.Key == s).Count);
        var daily = rows.Where(r => r.Kind == "d").OrderBy(r => r.Key)
            .Select(r => new DailyCount(DateOnly.ParseExact(r.Key, "yyyy-MM-dd", CultureInfo.InvariantCulture), r.Count)).ToList();
        var total = byStatus.Values.Sum();
        var rate = total == 0 ? 0 : Math.Round((double)byStatus["converted"] / total, 4);
        return new LeadAnalytics(total, rate, bySource, byStatus, daily);
    }
}
