namespace CloudFran.Grains.Autopilot;

/// <summary>A campaign's definition as the grain caches it (its autopilot_campaigns row).</summary>
public sealed record CampaignDefinition(string Name, string Goal, string? SegmentId, int[] Cadence, string Channel, string Status,
    bool IsDefault, string? LocationId, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);
