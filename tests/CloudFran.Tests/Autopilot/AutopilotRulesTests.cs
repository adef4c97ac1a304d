using CloudFran.Abstractions.Autopilot;
using CloudFran.Grains.Autopilot;
using Xunit;

namespace CloudFran.Tests.Autopilot;

/// <summary>The campaign's pure collaborators: definition rules, quiet hours, variant split, touch text and the pass's plan.</summary>
public sealed class AutopilotRulesTests
{
    private static readonly DateTimeOffset Noon = new(2026, 3, 4, 12, 0, 0, TimeSpan.Zero);

    private static CampaignInput Campaign(int? touchpoints = null, IReadOnlyList<int>? cadence = null, string? goal = "booking") =>
        new("Spring", goal, null, touchpoints, cadence, null, null, null, null);

    private static Due Due(string id, string? phone = "+15550100", string? email = null, bool optedOut = false, bool replied = false,
        string zone = "UTC", string? variant = null, int step = 0) =>
        new(id, "lead_" + id, phone, variant, step, Noon.AddDays(-1), "Ada Lovelace", "Analytical", zone, "Main St", null, optedOut, replied, email);

    [Fact]
    public void A_campaign_gets_its_cadence_or_the_default_one_for_its_touchpoints()
    {
        Assert.Equal([0, 1, 3], CampaignRules.CheckCampaign(Campaign(touchpoints: 3)));
        Assert.Equal([0, 1, 3, 7], CampaignRules.CheckCampaign(Campaign()));
        Assert.Equal([0, 2, 9], CampaignRules.CheckCampaign(Campaign(cadence: [0, 2, 9])));
    }

    [Theory]
    [InlineData(null, new[] { 0, 3, 1 })]
    [InlineData(2, new[] { 0, 1, 3 })]
    [InlineData(null, new[] { 0, 400 })]
    public void Bad_cadences_are_refused(int? touchpoints, int[] cadence)
    {
        var error = Assert.Throws<CloudFranException>(() => CampaignRules.CheckCampaign(Campaign(touchpoints, cadence)));
        Assert.Equal(ErrorKind.Invalid, error.Kind);
    }

    [Fact]
    public void Unknown_goals_and_variant_tones_are_refused()
    {
        Assert.Throws<CloudFranException>(() => CampaignRules.CheckCampaign(Campaign(goal: "spam")));
        Assert.Throws<CloudFranException>(() => CampaignRules.CheckVariant(new VariantInput("A", "angry", "Hi", null)));
        CampaignRules.CheckVariant(new VariantInput("A", "casual", "Hi", 50));
        Assert.Throws<CloudFranException>(() => CampaignRules.CheckPatch(new CampaignPatch("archived", null, null, null)));
    }

    [Fact]
    public void Quiet_hours_hold_texts_until_eight_in_the_leads_zone()
    {
        Assert.Null(TouchPlanner.QuietUntil("UTC", Noon));
        Assert.Equal(new DateTimeOffset(2026, 3, 5, 8, 0, 0, TimeSpan.Zero), TouchPlanner.QuietUntil("UTC", Noon.AddHours(10)));
        Assert.Equal(new DateTimeOffset(2026, 3, 4, 8, 0, 0, TimeSpan.Zero), TouchPlanner.QuietUntil("UTC", Noon.AddHours(-7)));
        // 12:00 UTC is 03:00 in Los Angeles (PST): the next 08:00 there is 16:00 UTC.
        Assert.Equal(new DateTimeOffset(2026, 3, 4, 16, 0, 0, TimeSpan.Zero), TouchPlanner.QuietUntil("America/Los_Angeles", Noon));
    }

    [Fact]
    public void The_variant_split_is_deterministic_and_follows_the_traffic_shares()
    {
        VariantView[] variants = [new("var_a", "A", "friendly", "a", 80, false), new("var_b", "B", "casual", "b", 20, false), new("var_c", "C", "casual", "c", 0, false)];
        var picks = Enumerable.Range(0, 1000).Select(i => TouchPlanner.PickVariant(variants, $"enr_{i:D6}")!.VariantId).ToList();
        Assert.Equal(picks, Enumerable.Range(0, 1000).Select(i => TouchPlanner.PickVariant(variants, $"enr_{i:D6}")!.VariantId));
        Assert.DoesNotContain("var_c", picks);
        Assert.InRange(picks.Count(p => p == "var_a"), 700, 900);
        Assert.Null(TouchPlanner.PickVariant([variants[2]], "enr_1"));
    }

    [Fact]
    public void Touch_text_is_rendered_from_the_lead()
    {
        Assert.Equal("Hi Ada, Main St (Analytical, Ada Lovelace)",
            TouchPlanner.Render("Hi {{first_name}}, {{location_name}} ({{company}}, {{name}})", Due("1")));
        Assert.Contains("{{first_name}}", TouchPlanner.DefaultContent("survey", 2));
        Assert.Equal(1600, TouchPlanner.Render(new string('x', 2000), Due("1")).Length);
    }

    [Fact]
    public void The_plan_exits_pauses_defers_and_touches()
    {
        var late = Noon.AddHours(11); // 23:00 UTC: quiet hours for texts
        var plan = TouchPlanner.Plan("both", "booking", [],
            [Due("out", optedOut: true), Due("replied", replied: true), Due("sms"), Due("both", email: "a@example.com"), Due("mail", phone: null, email: "b@example.com")],
            late);
        Assert.Equal([("out", "opted_out")], plan.Exits);
        Assert.Equal(["replied"], plan.Pauses);
        Assert.Equal(["sms", "both"], plan.Defers.Select(d => d.Id));
        // The text waits; the email of "both" goes now; "mail" has no phone: its SMS side is skipped.
        Assert.Equal([("both", "pending", "pending", true), ("mail", "skipped", "pending", false)],
            plan.Touches.Select(t => (t.Due.EnrollmentId, t.SmsStatus, t.EmailStatus!, t.SmsHeld)));

        var smsOnly = TouchPlanner.Plan("sms", "booking", [], [Due("nophone", phone: null), Due("day")], Noon);
        Assert.Equal([("nophone", "no_phone")], smsOnly.Exits);
        Assert.Equal([("day", "pending", (string?)null, false)], smsOnly.Touches.Select(t => (t.Due.EnrollmentId, t.SmsStatus, t.EmailStatus, t.SmsHeld)));
    }

    [Fact]
    public void A_409_from_the_backbone_is_a_suppression()
    {
        Assert.Equal("sent", TouchPlanner.SendStatus(true, null));
        Assert.Equal("suppressed", TouchPlanner.SendStatus(false, ErrorKind.Conflict));
        Assert.Equal("failed", TouchPlanner.SendStatus(false, ErrorKind.UpstreamFailed));
    }
}
