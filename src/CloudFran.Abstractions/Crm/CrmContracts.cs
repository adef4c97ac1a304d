using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Platform;

namespace CloudFran.Abstractions.Crm;

/// <summary>Lead vocabulary shared by the CRM API and the lead gateway.</summary>
public static class LeadNames
{
    /// <summary>One source set: the gateway's five plus the franchise sources partner and walk_in
    /// (aliases: web → website, walk-in → walk_in).</summary>
    public static readonly string[] Sources = ["website", "social", "referral", "email", "phone", "partner", "walk_in"];
    public static readonly string[] Statuses = ["new", "contacted", "qualified", "converted", "lost"];

    public static string? NormalizeSource(string? source) => source?.Trim().ToLowerInvariant() switch
    {
        null => null,
        "web" => "website",
        "walk-in" or "walkin" => "walk_in",
        var s => s,
    };
}

[GenerateSerializer, Immutable, Alias("cf.LeadInput")]
public sealed record LeadInput(
    [property: Id(0)] string? Name,
    [property: Id(1)] string? Phone,
    [property: Id(2)] string? Email,
    [property: Id(3)] string? Company,
    [property: Id(4)] string? Source,
    [property: Id(5)] string? Status,
    [property: Id(6)] IReadOnlyList<string>? Tags,
    [property: Id(7)] string? Notes,
    [property: Id(8)] string? Owner,
    [property: Id(9)] string? LocationId,
    [property: Id(10)] string? Timezone,
    [property: Id(11)] bool? AutoNurture);

/// <summary>A partial update: null leaves a field as it is.</summary>
[GenerateSerializer, Immutable, Alias("cf.LeadPatch")]
public sealed record LeadPatch(
    [property: Id(0)] string? Name,
    [property: Id(1)] string? Phone,
    [property: Id(2)] string? Email,
    [property: Id(3)] string? Company,
    [property: Id(4)] string? Source,
    [property: Id(5)] string? Status,
    [property: Id(6)] IReadOnlyList<string>? Tags,
    [property: Id(7)] string? Notes,
    [property: Id(8)] string? Owner,
    [property: Id(9)] string? LocationId,
    [property: Id(10)] string? Timezone,
    [property: Id(11)] string? UpdatedBy = null);

[GenerateSerializer, Immutable, Alias("cf.LeadView")]
public sealed record LeadView(
    [property: Id(0)] string LeadId,
    [property: Id(1)] string Name,
    [property: Id(2)] string? Phone,
    [property: Id(3)] string? Email,
    [property: Id(4)] string? Company,
    [property: Id(5)] string Source,
    [property: Id(6)] string Status,
    [property: Id(7)] IReadOnlyList<string> Tags,
    [property: Id(8)] string? Notes,
    [property: Id(9)] string? Owner,
    [property: Id(10)] string? LocationId,
    [property: Id(11)] string? Timezone,
    [property: Id(12)] DateTimeOffset CreatedAt,
    [property: Id(13)] DateTimeOffset UpdatedAt,
    [property: Id(14)] string? EnrolledCampaignId = null);

[GenerateSerializer, Immutable, Alias("cf.LeadQuery")]
public sealed record LeadQuery(
    [property: Id(0)] string? Status,
    [property: Id(1)] string? Source,
    [property: Id(2)] string? Tag,
    [property: Id(3)] string? Search,
    [property: Id(4)] string? Owner,
    [property: Id(5)] string? LocationId,
    [property: Id(6)] DateTimeOffset? CreatedFrom,
    [property: Id(7)] DateTimeOffset? CreatedTo,
    [property: Id(8)] int Page,
    [property: Id(9)] int PageSize);

[GenerateSerializer, Immutable, Alias("cf.DailyCount")]
public sealed record DailyCount([property: Id(0)] DateOnly Date, [property: Id(1)] long Count);

[GenerateSerializer, Immutable, Alias("cf.LeadAnalytics")]
public sealed record LeadAnalytics(
    [property: Id(0)] long TotalLeads,
    [property: Id(1)] double ConversionRate,
    [property: Id(2)] IReadOnlyDictionary<string, long> BySource,
    [property: Id(3)] IReadOnlyDictionary<string, long> ByStatus,
    [property: Id(4)] IReadOnlyList<DailyCount> Daily);

[GenerateSerializer, Immutable, Alias("cf.SegmentRule")]
public sealed record SegmentRule(
    [property: Id(0)] string? Field,
    [property: Id(1)] string? Operator,
    [property: Id(2)] string? Value);

[GenerateSerializer, Immutable, Alias("cf.SegmentInput")]
public sealed record SegmentInput(
    [property: Id(0)] string? Name,
    [property: Id(1)] IReadOnlyList<SegmentRule>? Rules,
    [property: Id(2)] string? CombineWith);

[GenerateSerializer, Immutable, Alias("cf.SegmentView")]
public sealed record SegmentView(
    [property: Id(0)] string SegmentId,
    [property: Id(1)] string Name,
    [property: Id(2)] IReadOnlyList<SegmentRule> Rules,
    [property: Id(3)] string CombineWith,
    [property: Id(4)] long Count,
    [property: Id(5)] DateTimeOffset CreatedAt);

[GenerateSerializer, Immutable, Alias("cf.SegmentPreview")]
public sealed record SegmentPreview(
    [property: Id(0)] string SegmentId,
    [property: Id(1)] long Count,
    [property: Id(2)] IReadOnlyList<LeadView> Sample);

[GenerateSerializer, Immutable, Alias("cf.ImportRequest")]
public sealed record ImportRequest(
    [property: Id(0)] string Csv,
    /// <summary>Lead field → CSV column header (name, phone, email, company, source, status, tags, notes, owner).</summary>
    [property: Id(1)] IReadOnlyDictionary<string, string>? Mapping,
    [property: Id(2)] string DuplicateStrategy,
    [property: Id(3)] IReadOnlyList<string> DefaultTags);

[GenerateSerializer, Immutable, Alias("cf.ImportRowResult")]
public sealed record ImportRowResult(
    [property: Id(0)] int Row,
    [property: Id(1)] string Status,
    [property: Id(2)] string? LeadId,
    [property: Id(3)] IReadOnlyList<string> Errors);

[GenerateSerializer, Immutable, Alias("cf.ImportReport")]
public sealed record ImportReport(
    [property: Id(0)] int TotalRows,
    [property: Id(1)] int Created,
    [property: Id(2)] int Updated,
    [property: Id(3)] int Skipped,
    [property: Id(4)] int Failed,
    [property: Id(5)] IReadOnlyList<ImportRowResult> Rows);

[GenerateSerializer, Immutable, Alias("cf.LeadSentiment")]
public sealed record LeadSentiment(
    [property: Id(0)] string LeadId,
    [property: Id(1)] string Sentiment,
    [property: Id(2)] double Confidence,
    [property: Id(3)] IReadOnlyList<string> Entities,
    [property: Id(4)] DateTimeOffset AnalysisDate);

/// <summary>Leads of one tenant partition: rows in PostgreSQL (stateless, reentrant). Key: <c>tn_…/live|test/leads</c>.</summary>
public interface ILeadsGrain : IGrainWithStringKey
{
    Task<LeadView> CreateAsync(LeadInput input);
    Task<LeadView> GetAsync(string leadId);
    Task<PagedList<LeadView>> ListAsync(LeadQuery query);
    Task<LeadView> UpdateAsync(string leadId, LeadPatch patch);
    Task DeleteAsync(string leadId);
    Task<LeadAnalytics> AnalyticsAsync(DateTimeOffset? from, DateTimeOffset? to);
    Task<LeadSentiment> SentimentAsync(string leadId);

    /// <summary>Sandbox test data: <paramref name="count"/> generated leads in one statement.</summary>
    Task<int> GenerateAsync(int count, string? source, int spreadDays);
    Task<ImportReport> ImportAsync(ImportRequest request);
    Task<SegmentView> CreateSegmentAsync(SegmentInput input);
    Task<SegmentView> GetSegmentAsync(string segmentId);
    Task<IReadOnlyList<SegmentView>> ListSegmentsAsync();
    Task<SegmentPreview> PreviewSegmentAsync(string segmentId, int sample);
}

public static class CrmGrainFactoryExtensions
{
    public static ILeadsGrain GetLeads(this IGrainFactory factory, TenantScope scope) =>
        factory.GetGrain<ILeadsGrain>(new ScopedKey(scope, "leads").ToString());
}

[GenerateSerializer, Immutable, Alias("cf.GatewayRateDecision")]
public sealed record GatewayRateDecision(
    [property: Id(0)] bool Allowed,
    [property: Id(1)] int Limit,
    [property: Id(2)] int Remaining,
    [property: Id(3)] long ResetUnixSeconds);

/// <summary>One fixed one-minute window for one credential on one gateway endpoint class.
/// Key: <c>tn_…/gwrl/{bucket}/{credential hash}</c>.</summary>
public interface IGatewayRateGrain : IGrainWithStringKey
{
    Task<GatewayRateDecision> HitAsync(int limit);
}

public static class GatewayGrainFactoryExtensions
{
    public static IGatewayRateGrain GetGatewayRate(this IGrainFactory factory, string tenantId, string bucket, string credentialHash) =>
        Ids.IsValid(tenantId, "tn")
            ? factory.GetGrain<IGatewayRateGrain>($"{tenantId}/gwrl/{bucket}/{credentialHash}")
            : throw new ArgumentException($"'{tenantId}' is not a tenant id.");
}
