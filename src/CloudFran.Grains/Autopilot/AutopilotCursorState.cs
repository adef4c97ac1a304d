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
