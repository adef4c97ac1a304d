using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Validation;

namespace CloudFran.Abstractions.Autopilot;

/// <summary>
/// What makes a campaign definition, a change to it and a variant valid (shared by Web, which answers 400 before
/// calling a grain, and the campaign grain, which checks again). Each check throws one 400 listing every bad field.
/// </summary>
public static class CampaignRules
{
    /// <summary>Checks a new campaign and returns its cadence (day offsets): the given one, else the default for its touchpoints.</summary>
    public static int[] CheckCampaign(CampaignInput input)
    {
        var check = new Check().Required("name", input.Name, 200).Required("goal", input.Goal, 20).OneOf("goal", input.Goal, AutopilotNames.Goals)
            .OneOf("channel", input.Channel, AutopilotNames.Channels).OneOf("status", input.Status, AutopilotNames.Statuses)
            .Range("touchpoints", input.Touchpoints, 1, 10);
        if (input.AudienceSegmentId is not null && !Ids.IsValid(input.AudienceSegmentId, "seg"))
        {
            check.Invalid("audienceSegmentId", "audienceSegmentId must be a segment id (seg_…).");
        }
        if (input.LocationId is not null && !Ids.IsValid(input.LocationId, "loc"))
        {
            check.Invalid("locationId", "locationId must be a location id (loc_…).");
        }
        CheckCadence(check, input.CadenceDays, input.Touchpoints);
        check.ThrowIfInvalid();
        return input.CadenceDays?.ToArray() ?? AutopilotNames.DefaultCadence[..(input.Touchpoints ?? 4)];
    }

    public static void CheckPatch(CampaignPatch patch)
    {
        var check = new Check().OneOf("status", patch.Status, AutopilotNames.Statuses).Text("name", patch.Name, 200);
        if (patch.AudienceSegmentId is not null && !Ids.IsValid(patch.AudienceSegmentId, "seg"))
        {
            check.Invalid("audienceSegmentId", "audienceSegmentId must be a segment id (seg_…).");
        }
        CheckCadence(check, patch.CadenceDays, null);
        check.ThrowIfInvalid();
    }

    public static void CheckVariant(VariantInput input) =>
        new Check().Required("name", input.Name, 100).Required("tone", input.Tone, 12).OneOf("tone", input.Tone, AutopilotNames.Tones)
            .Required("content", input.Content, 1600).Range("trafficPercent", input.TrafficPercent, 0, 100).ThrowIfInvalid();

    /// <summary>1 to 10 ascending day offsets between 0 and 365, one per touchpoint.</summary>
    public static void CheckCadence(Check check, IReadOnlyList<int>? cadence, int? touchpoints)
    {
        if (cadence is null)
        {
            return;
        }
        if (cadence.Count is < 1 or > 10)
        {
            check.Invalid("cadenceDays", "cadenceDays has 1 to 10 entries (one per touchpoint).");
            return;
        }
        if (touchpoints is { } n && n != cadence.Count)
        {
            check.Invalid("touchpoints", "touchpoints must equal the number of cadenceDays entries.");
        }
        for (var i = 0; i < cadence.Count; i++)
        {
            if (cadence[i] is < 0 or > 365 || i > 0 && cadence[i] < cadence[i - 1])
            {
                check.Invalid("cadenceDays", "cadenceDays are ascending day offsets between 0 and 365, e.g. [0,1,3,7].");
                return;
            }
        }
    }
}
