using CloudFran.Web.Crm;
using System.Globalization;
using CloudFran.Abstractions.Autopilot;
using CloudFran.Abstractions.Errors;
using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Platform;
using CloudFran.Abstractions.Validation;
using CloudFran.Web.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace CloudFran.Web.Autopilot;

public sealed record ProcessRequest(DateTimeOffset? AsOf, int? MaxTouches);

public sealed record CreateCampaignRequest(string? Name, string? Goal, string? AudienceSegmentId, int? Touchpoints, IReadOnlyList<int>? CadenceDays,
    string? Channel, string? Status, bool? IsDefault, string? LocationId)
{
    public CampaignInput ToInput() => new(Name, Goal, AudienceSegmentId, Touchpoints, CadenceDays, Channel, Status, IsDefault, LocationId);
}

public sealed record UpdateCampaignRequest(string? Status, string? AudienceSegmentId, IReadOnlyList<int>? CadenceDays, string? Name)
{
    public CampaignPatch ToPatch() => new(Status, AudienceSegmentId, CadenceDays, Name);
}

public sealed record EnrollLeadRequest(string? LeadId, string? Name, string? Phone, IReadOnlyList<string>? Tags, string? Email, string? Timezone)
{
    public EnrollInput ToInput() => new(LeadId, Name, Phone, Tags, Email, Timezone);
}

public sealed record AddVariantRequest(string? Name, string? Tone, string? Content, int? TrafficPercent)
{
    public VariantInput ToInput() => new(Name, Tone, Content, TrafficPercent);
}

public sealed record RecordOutcomeRequest(string? Type, decimal? Value, string? AgentId, string? CustomerId, string? IdempotencyKey)
{
    public OutcomeInput ToInput() => new(Type, Value, AgentId, CustomerId, IdempotencyKey);
}

/// <summary>Autopilot nurture campaigns (one grain each), enrollment, variants, stats, conversations, outcomes.</summary>
public static class AutopilotApi
{
    public static RouteGroupBuilder MapAutopilotApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/autopilot").WithTags("Autopilot").RequireTenant(Role.Viewer);

        group.MapPost("/campaigns", async Task<Created<CampaignView>> (CreateCampaignRequest body, HttpContext http, IGrainFactory grains) =>
            {
                var input = body.ToInput();
                CampaignRules.CheckCampaign(input);
                var campaign = await grains.GetCampaign(http.Caller().Scope, Ids.New("cmp")).CreateAsync(input);
                return TypedResults.Created($"/v1/autopilot/campaigns/{campaign.CampaignId}", campaign);
            })
            .RequireTenant(Role.Manager)
            .WithName("CreateCampaign").WithSummary("A nurture campaign: name, goal booking|sale|survey|reactivation, audienceSegmentId, touchpoints 1–10, cadenceDays e.g. [0,1,3,7], channel sms|email|both, status, isDefault.");

        group.MapGet("/campaigns", (HttpContext http, IGrainFactory grains) => grains.GetAutopilot(http.Caller().Scope).ListCampaignsAsync())
            .WithName("ListCampaigns").WithSummary("Campaigns with enrollment counts and variants.");

        group.MapGet("/campaigns/{campaignId}", (string campaignId, HttpContext http, IGrainFactory grains) =>
                Campaign(grains, http, campaignId).GetAsync())
            .WithName("GetCampaign").WithSummary("One campaign with enrollment counts by state and its variants.");

        group.MapPatch("/campaigns/{campaignId}", (string campaignId, UpdateCampaignRequest body, HttpContext http, IGrainFactory grains) =>
            {
                new Check().OneOf("status", body.Status, AutopilotNames.Statuses).Text("name", body.Name, 200).ThrowIfInvalid();
                return Campaign(grains, http, campaignId).UpdateAsync(body.ToPatch());
            })
            .RequireTenant(Role.Manager)
            .WithName("UpdateCampaign").WithSummary("Change status (active|paused|draft), audienceSegmentId (enrolls its members) or cadenceDays.");

        group.MapPost("/campaigns/{campaignId}/leads", async Task<Created<EnrollmentView>> (string campaignId, EnrollLeadRequest body, HttpContext http, IGrainFactory grains) =>
            {
                var check = new Check();
                if (body.LeadId is null)
                {
                    // A phone for SMS; email and both campaigns also take a lead with only an email address.
                    check.Required("name", body.Name, 100).Text("phone", body.Phone, 20).Phone("phone", body.Phone)
                        .Text("email", body.Email, 254).Email("email", body.Email).TimeZone("timezone", body.Timezone);
                    if (body.Phone is null && body.Email is null)
                    {
                        check.Missing("phone");
                    }
                }
                else if (!Ids.IsValid(body.LeadId, "lead"))
                {
                    check.Invalid("leadId", "leadId must be a lead id (lead_…).");
                }
                check.ThrowIfInvalid();
                var enrollment = await Campaign(grains, http, campaignId).EnrollAsync(body.ToInput());
                return TypedResults.Created($"/v1/autopilot/campaigns/{campaignId}/leads/{enrollment.LeadId}", enrollment);
            })
            .RequireTenant(Role.Agent)
            .WithName("EnrollLead").WithSummary("Enroll a lead (leadId, or name + phone + tags to create one); idempotent per lead.");

        group.MapPost("/campaigns/{campaignId}/leads/{leadId}/resume", (string campaignId, string leadId, HttpContext http, IGrainFactory grains) =>
                Campaign(grains, http, campaignId).ResumeLeadAsync(CrmApi.RequireLead(leadId)))
            .RequireTenant(Role.Agent)
            .WithName("ResumeLead").WithSummary("Resume a lead's cadence paused by a reply.");

        group.MapPost("/campaigns/{campaignId}/variants", async Task<Created<VariantView>> (string campaignId, AddVariantRequest body, HttpContext http, IGrainFactory grains) =>
            {
                var input = body.ToInput();
                CampaignRules.CheckVariant(input);
                var variant = await Campaign(grains, http, campaignId).AddVariantAsync(input);
                return TypedResults.Created($"/v1/autopilot/campaigns/{campaignId}/variants/{variant.VariantId}", variant);
            })
            .RequireTenant(Role.Manager)
            .WithName("AddVariant").WithSummary("A message variant: tone friendly|professional|urgent|casual, content with {{first_name}}, {{location_name}}, {{name}}, {{company}}; trafficPercent auto-balanced when omitted.");

        group.MapGet("/campaigns/{campaignId}/stats", (string campaignId, HttpContext http, IGrainFactory grains) =>
                Campaign(grains, http, campaignId).GetStatsAsync())
            .WithName("GetCampaignStats").WithSummary("Per-variant enrolled, sent, delivered, replied, converted, conversion rate and revenue.");

        group.MapPost("/campaigns/{campaignId}/process", (string campaignId, ProcessRequest? body, HttpContext http, IGrainFactory grains) =>
            {
                var caller = http.Caller();
                if (body?.AsOf is not null && caller.KeyType != KeyType.Test)
                {
                    throw CloudFranException.Invalid("asOf", "asOf (simulated time) is accepted from sandbox (sk_test_) keys only.");
                }
                new Check().Range("maxTouches", body?.MaxTouches, 1, 20_000).ThrowIfInvalid();
                return Campaign(grains, http, campaignId).ProcessDueAsync(body?.AsOf, body?.MaxTouches ?? 5000);
            })
            .RequireTenant(Role.Manager)
            .WithName("ProcessCampaign").WithSummary("Send the touches due now (the reminder does this every minute); sandbox keys may pass asOf to simulate time.");

        group.MapGet("/leads/{leadId}/conversation", (string leadId, HttpContext http, IGrainFactory grains) =>
                grains.GetAutopilot(http.Caller().Scope).GetConversationAsync(CrmApi.RequireLead(leadId)))
            .WithName("GetLeadConversation").WithSummary("The lead's SMS thread in both directions and the emails sent to the lead, in one timeline (channel sms|email); touches marked with campaign, variant and step.");

        routes.MapPost("/v1/billing/outcomes", async Task<Created<OutcomeView>> (RecordOutcomeRequest body, HttpContext http, IGrainFactory grains) =>
            {
                new Check().Required("type", body.Type, 20).OneOf("type", body.Type, AutopilotNames.OutcomeTypes)
                    .Required("customerId", body.CustomerId, 100).Text("agentId", body.AgentId, 100).ThrowIfInvalid();
                var outcome = await grains.GetAutopilot(http.Caller().Scope).RecordOutcomeAsync(body.ToInput());
                return TypedResults.Created($"/v1/billing/outcomes/{outcome.OutcomeId}", outcome);
            })
            .WithTags("Billing & usage").RequireTenant(Role.Agent)
            .WithName("RecordOutcome").WithSummary("A booking, sale, conversion or lead_qualified outcome (value, agentId, customerId = lead id, phone or email), attributed to the campaign and variant that last touched the lead.");

        return group;
    }

    private static IAutopilotCampaignGrain Campaign(IGrainFactory grains, HttpContext http, string campaignId) =>
        Ids.IsValid(campaignId, "cmp")
            ? grains.GetCampaign(http.Caller().Scope, campaignId)
            : throw CloudFranException.NotFound($"Campaign {campaignId}");
}
