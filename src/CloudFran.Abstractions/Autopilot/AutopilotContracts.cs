using CloudFran.Abstractions.Keys;

namespace CloudFran.Abstractions.Autopilot;

public static class AutopilotNames
{
    public static readonly string[] Goals = ["booking", "sale", "survey", "reactivation"];
    public static readonly string[] Channels = ["sms", "email", "both"];
    public static readonly string[] Statuses = ["draft", "active", "paused"];
    public static readonly string[] Tones = ["friendly", "professional", "urgent", "casual"];
    public static readonly string[] OutcomeTypes = ["booking", "sale", "conversion", "lead_qualified"];

    /// <summary>Cadence used when only a number of touchpoints is given.</summary>
    public static readonly int[] DefaultCadence = [0, 1, 3, 7, 14, 21, 30, 45, 60, 90];
}

[GenerateSerializer, Immutable, Alias("cf.CampaignInput")]
public sealed record CampaignInput(
    [property: Id(0)] string? Name,
    [property: Id(1)] string? Goal,
    [property: Id(2)] string? AudienceSegmentId,
    [property: Id(3)] int? Touchpoints,
    [property: Id(4)] IReadOnlyList<int>? CadenceDays,
    [property: Id(5)] string? Channel,
    [property: Id(6)] string? Status,
    [property: Id(7)] bool? IsDefault,
    [property: Id(8)] string? LocationId);

[GenerateSerializer, Immutable, Alias("cf.CampaignPatch")]
public sealed record CampaignPatch(
    [property: Id(0)] string? Status,
    [property: Id(1)] string? AudienceSegmentId,
    [property: Id(2)] IReadOnlyList<int>? CadenceDays,
    [property: Id(3)] string? Name);

[GenerateSerializer, Immutable, Alias("cf.CampaignView")]
public sealed record CampaignView(
    [property: Id(0)] string CampaignId,
    [property: Id(1)] string Name,
    [property: Id(2)] string Goal,
    [property: Id(3)] string? AudienceSegmentId,
    [property: Id(4)] int Touchpoints,
    [property: Id(5)] IReadOnlyList<int> CadenceDays,
    [property: Id(6)] string Channel,
    [property: Id(7)] string Status,
    [property: Id(8)] bool IsDefault,
    [property: Id(9)] string? LocationId,
    [property: Id(10)] DateTimeOffset CreatedAt,
    [property: Id(11)] DateTimeOffset UpdatedAt,
    [property: Id(12)] IReadOnlyDictionary<string, long> Enrollments,
    [property: Id(13)] IReadOnlyList<VariantView> Variants);

[GenerateSerializer, Immutable, Alias("cf.EnrollInput")]
public sealed record EnrollInput(
    [property: Id(0)] string? LeadId,
    [property: Id(1)] string? Name,
    [property: Id(2)] string? Phone,
    [property: Id(3)] IReadOnlyList<string>? Tags,
    [property: Id(4)] string? Email,
    [property: Id(5)] string? Timezone);

[GenerateSerializer, Immutable, Alias("cf.EnrollmentView")]
public sealed record EnrollmentView(
    [property: Id(0)] string EnrollmentId,
    [property: Id(1)] string CampaignId,
    [property: Id(2)] string LeadId,
    [property: Id(3)] string State,
    [property: Id(4)] string? Reason,
    [property: Id(5)] int NextStep,
    [property: Id(6)] DateTimeOffset? NextDueAt,
    [property: Id(7)] string? VariantId,
    [property: Id(8)] DateTimeOffset EnrolledAt);

[GenerateSerializer, Immutable, Alias("cf.VariantInput")]
public sealed record VariantInput(
    [property: Id(0)] string? Name,
    [property: Id(1)] string? Tone,
    [property: Id(2)] string? Content,
    [property: Id(3)] int? TrafficPercent);

[GenerateSerializer, Immutable, Alias("cf.VariantView")]
public sealed record VariantView(
    [property: Id(0)] string VariantId,
    [property: Id(1)] string Name,
    [property: Id(2)] string Tone,
    [property: Id(3)] string Content,
    [property: Id(4)] int TrafficPercent,
    [property: Id(5)] bool AutoBalanced);

[GenerateSerializer, Immutable, Alias("cf.VariantStats")]
public sealed record VariantStats(
    [property: Id(0)] string? VariantId,
    [property: Id(1)] long Enrolled,
    [property: Id(2)] long Sent,
    [property: Id(3)] long Delivered,
    [property: Id(4)] long Replied,
    [property: Id(5)] long Converted,
    [property: Id(6)] double ConversionRate,
    [property: Id(7)] decimal Revenue);

[GenerateSerializer, Immutable, Alias("cf.CampaignStats")]
public sealed record CampaignStats(
    [property: Id(0)] string CampaignId,
    [property: Id(1)] IReadOnlyDictionary<string, long> Enrollments,
    [property: Id(2)] IReadOnlyList<VariantStats> Variants);

/// <summary>What one processing pass did.</summary>
[GenerateSerializer, Immutable, Alias("cf.ProcessResult")]
public sealed record ProcessResult(
    [property: Id(0)] DateTimeOffset AsOf,
    [property: Id(1)] int Sent,
    [property: Id(2)] int Deferred,
    [property: Id(3)] int Paused,
    [property: Id(4)] int Exited,
    [property: Id(5)] int Completed,
    [property: Id(6)] int Suppressed,
    /// <summary>True when the pass stopped at its size limit with more touches already due.</summary>
    [property: Id(7)] bool HasMore = false);

[GenerateSerializer, Immutable, Alias("cf.OutcomeInput")]
public sealed record OutcomeInput(
    [property: Id(0)] string? Type,
    [property: Id(1)] decimal? Value,
    [property: Id(2)] string? AgentId,
    [property: Id(3)] string? CustomerId,
    [property: Id(4)] string? IdempotencyKey);

[GenerateSerializer, Immutable, Alias("cf.OutcomeView")]
public sealed record OutcomeView(
    [property: Id(0)] string OutcomeId,
    [property: Id(1)] string Type,
    [property: Id(2)] decimal Value,
    [property: Id(3)] string? AgentId,
    [property: Id(4)] string CustomerId,
    [property: Id(5)] string? LeadId,
    [property: Id(6)] string? CampaignId,
    [property: Id(7)] string? VariantId,
    [property: Id(8)] DateTimeOffset CreatedAt);

[GenerateSerializer, Immutable, Alias("cf.ConversationMessage")]
public sealed record ConversationMessage(
    [property: Id(0)] string MessageId,
    [property: Id(1)] string Direction,
    [property: Id(2)] string Body,
    [property: Id(3)] string Status,
    [property: Id(4)] DateTimeOffset At,
    [property: Id(5)] string? CampaignId,
    [property: Id(6)] string? VariantId,
    [property: Id(7)] int? Step,
    [property: Id(8)] string Channel = "sms",
    [property: Id(9)] string? Subject = null);

[GenerateSerializer, Immutable, Alias("cf.ConversationView")]
public sealed record ConversationView(
    [property: Id(0)] string LeadId,
    [property: Id(1)] string? Phone,
    [property: Id(2)] IReadOnlyList<EnrollmentView> Enrollments,
    [property: Id(3)] IReadOnlyList<ConversationMessage> Messages);

/// <summary>
/// One Autopilot campaign. Enrollments live in PostgreSQL; the grain owns the definition cache, the tick reminder
/// and the processing cursor. Key: <c>tn_…/live|test/cmp_…</c>.
/// </summary>
public interface IAutopilotCampaignGrain : IGrainWithStringKey
{
    Task<CampaignView> CreateAsync(CampaignInput input);
    Task<CampaignView> GetAsync();
    Task<CampaignView> UpdateAsync(CampaignPatch patch);
    Task<EnrollmentView> EnrollAsync(EnrollInput input);
    Task<VariantView> AddVariantAsync(VariantInput input);
    Task<CampaignStats> GetStatsAsync();

    /// <summary>Sends every touch due up to <paramref name="asOf"/> (the clock when null). Safe to run twice.</summary>
    Task<ProcessResult> ProcessDueAsync(DateTimeOffset? asOf, int maxTouches);
    Task<EnrollmentView> ResumeLeadAsync(string leadId);
}

/// <summary>Tenant-wide Autopilot reads and cross-campaign actions (stateless). Key: <c>tn_…/live|test/autopilot</c>.</summary>
public interface IAutopilotDirectoryGrain : IGrainWithStringKey
{
    Task<IReadOnlyList<CampaignView>> ListCampaignsAsync();
    Task<ConversationView> GetConversationAsync(string leadId);
    Task<OutcomeView> RecordOutcomeAsync(OutcomeInput input);

    /// <summary>Enrolls a new lead in the default campaign, if the tenant has an active one; returns its id.</summary>
    Task<string?> EnrollInDefaultAsync(string leadId);
}

public static class AutopilotGrainFactoryExtensions
{
    public static IAutopilotCampaignGrain GetCampaign(this IGrainFactory factory, TenantScope scope, string campaignId) =>
        Ids.IsValid(campaignId, "cmp")
            ? factory.GetGrain<IAutopilotCampaignGrain>(new ScopedKey(scope, campaignId).ToString())
            : throw new ArgumentException($"'{campaignId}' is not a campaign id.");

    public static IAutopilotDirectoryGrain GetAutopilot(this IGrainFactory factory, TenantScope scope) =>
        factory.GetGrain<IAutopilotDirectoryGrain>(new ScopedKey(scope, "autopilot").ToString());
}
