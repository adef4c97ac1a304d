using CloudFran.Abstractions.Crm;
using CloudFran.Grains.Crm;
using Xunit;

namespace CloudFran.Tests.Crm;

/// <summary>The leads grain's query building and rollup folding, without storage.</summary>
public sealed class LeadQueriesTests
{
    private static readonly TenantScope Scope = new("tn_abcd1234", DataEnv.Test);

    [Fact]
    public void An_empty_query_filters_by_tenant_and_env_only()
    {
        var (where, args) = LeadQueries.Filter(new LeadQuery(null, null, null, null, null, null, null, null, 1, 20), Scope);
        Assert.Equal("tenant_id = @t AND env = @e", where);
        Assert.Equal(new List<(string, object?)> { ("t", Scope.TenantId), ("e", Scope.EnvName) }, args);
    }

    [Fact]
    public void Every_given_filter_adds_its_clause_and_parameter()
    {
        var from = new DateTimeOffset(2026, 1, 1, 1, 0, 0, TimeSpan.FromHours(1));
        var (where, args) = LeadQueries.Filter(new LeadQuery("new", "Website", "vip", "ann", "bob", "loc_1", from, null, 2, 20), Scope);
        Assert.Contains("status = @status", where);
        Assert.Contains("@tag = ANY(tags)", where);
        Assert.Contains("owner = @owner", where);
        Assert.Contains("location_id = @loc", where);
        Assert.Contains("created_at >= @from", where);
        Assert.DoesNotContain("@to", where);
        Assert.Contains("ILIKE @q", where);
        Assert.Equal(LeadNames.NormalizeSource("Website"), args.Single(a => a.Item1 == "source").Item2);
        Assert.Equal(TimeSpan.Zero, ((DateTimeOffset)args.Single(a => a.Item1 == "from").Item2!).Offset);
        Assert.Equal("%ann%", args.Single(a => a.Item1 == "q").Item2);
    }

    [Fact]
    public void Search_takes_wildcards_literally() =>
        Assert.Equal(@"%50\%\_off\\%", LeadQueries.Like(@"50%_off\"));

    [Fact]
    public void Open_ends_of_the_analytics_range_are_unbounded_days()
    {
        var (from, to) = LeadQueries.Days(null, new DateTimeOffset(2026, 3, 2, 23, 30, 0, TimeSpan.FromHours(-5)));
        Assert.Equal(new DateOnly(1970, 1, 1), from);
        Assert.Equal(new DateOnly(2026, 3, 3), to); // the UTC day
        Assert.Equal(new DateOnly(9999, 1, 1), LeadQueries.Days(null, null).To);
    }

    [Fact]
    public void The_rollup_folds_into_sources_statuses_days_and_a_rate()
    {
        var analytics = LeadQueries.Analytics([
            ("s", "website", 3), ("s", "referral", 5), ("t", "new", 6), ("t", "converted", 2),
            ("d", "2026-03-02", 5), ("d", "2026-03-01", 3),
        ]);
        Assert.Equal(8, analytics.TotalLeads);
        Assert.Equal(0.25, analytics.ConversionRate);
        Assert.Equal(["referral", "website"], analytics.BySource.Keys);
        Assert.Equal(LeadNames.Statuses, analytics.ByStatus.Keys);
        Assert.Equal(0, analytics.ByStatus["lost"]);
        Assert.Equal([new DateOnly(2026, 3, 1), new DateOnly(2026, 3, 2)], analytics.Daily.Select(d => d.Date));
        Assert.Equal(0, LeadQueries.Analytics([]).ConversionRate);
    }
}
