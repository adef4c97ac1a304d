using System.Globalization;
using System.Text.Json;
using CloudFran.Abstractions.Crm;
using CloudFran.Abstractions.Errors;
using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Platform;
using CloudFran.Abstractions.TextIntelligence;
using CloudFran.Abstractions.Validation;
using CloudFran.Web.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace CloudFran.Web.Crm;

/// <summary>POST /v1/crm/leads.</summary>
public sealed record LeadRequest(string? Name, string? Phone, string? Email, string? Company, string? Source, string? Status,
    IReadOnlyList<string>? Tags, string? Notes, string? Owner, string? LocationId, string? Timezone, bool? AutoNurture)
{
    public LeadInput ToInput() => new(Name, Phone, Email, Company, Source, Status, Tags, Notes, Owner, LocationId, Timezone, AutoNurture);
}

/// <summary>PATCH /v1/crm/leads/{leadId}. <c>updatedBy</c> is accepted as it always was and ignored: the caller's key id is recorded.</summary>
public sealed record LeadPatchRequest(string? Name, string? Phone, string? Email, string? Company, string? Source, string? Status,
    IReadOnlyList<string>? Tags, string? Notes, string? Owner, string? LocationId, string? Timezone, string? UpdatedBy = null)
{
    public LeadPatch ToPatch(string? updatedBy) =>
        new(Name, Phone, Email, Company, Source, Status, Tags, Notes, Owner, LocationId, Timezone, updatedBy);
}

/// <summary>POST /v1/crm/segments.</summary>
public sealed record SegmentRequest(string? Name, IReadOnlyList<SegmentRule>? Rules, string? CombineWith)
{
    public SegmentInput ToInput() => new(Name, Rules, CombineWith);
}

public sealed record SentimentRequest(string? Text, string? Source);

public sealed record ReplySuggestionRequest(string? Message);

/// <summary>An incoming message's intent and sentiment with suggested replies, and the engine that answered.</summary>
public sealed record ReplySuggestionsView(string Intent, string Sentiment, IReadOnlyList<string> Suggestions, string Engine);

/// <summary>CRM: leads (CRUD, filters, search, paging), smart segments, CSV contact import. The lead gateway (/api)
/// and Autopilot (/v1/autopilot, /v1/billing/outcomes) share the lead model and are mapped beside it.</summary>
public static class CrmApi
{
    public static RouteGroupBuilder MapCrmApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/crm").WithTags("CRM").RequireTenant(Role.Viewer);

        group.MapPost("/leads", async Task<Created<LeadView>> (LeadRequest body, HttpContext http, IGrainFactory grains) =>
            {
                var input = body.ToInput();
                new Check().CheckInput(input, requireEmail: false).ThrowIfInvalid();
                var lead = await grains.GetLeads(http.Caller().Scope).CreateAsync(input);
                return TypedResults.Created($"/v1/crm/leads/{lead.LeadId}", lead);
            })
            .RequireTenant(Role.Agent)
            .WithName("CreateLead").WithSummary("A lead: name, phone and/or email, company, source, status, tags, notes, owner, locationId; autoNurture (default true) enrolls it in the default Autopilot campaign.");

        group.MapGet("/leads", (HttpContext http, IGrainFactory grains) =>
            {
                var check = new Check();
                var status = check.Enum(http, "status", LeadNames.Statuses);
                var source = LeadNames.NormalizeSource(check.Text(http, "source", 20));
                check.OneOf("source", source, LeadNames.Sources);
                var tag = check.Text(http, "tag", 50);
                var search = check.Text(http, "q", 100);
                var owner = check.Text(http, "owner", 100);
                var locationId = check.Text(http, "locationId", 40);
                if (locationId is not null && !Ids.IsValid(locationId, "loc")) check.Invalid("locationId", "locationId must be a location id (loc_…).");
                var from = check.Time(http, "createdFrom", "an ISO 8601 date or date-time");
                var to = check.Time(http, "createdTo", "an ISO 8601 date or date-time");
                var page = check.Int(http, "page", 1, 1, 100_000);
                var pageSize = check.Int(http, "pageSize", 50, 1, 200);
                check.ThrowIfInvalid();
                return grains.GetLeads(http.Caller().Scope).ListAsync(new LeadQuery(status, source, tag, search, owner, locationId, from, to, page, pageSize));
            })
            .WithName("ListLeads").WithSummary("Leads filtered by status, source, tag, owner, locationId, createdFrom/createdTo; q searches name, email, phone, company; paged.");

        group.MapGet("/leads/{leadId}", (string leadId, HttpContext http, IGrainFactory grains) =>
                grains.GetLeads(http.Caller().Scope).GetAsync(RequireLead(leadId)))
            .WithName("GetLead").WithSummary("One lead.");

        group.MapPatch("/leads/{leadId}", (string leadId, LeadPatchRequest body, HttpContext http, IGrainFactory grains) =>
            {
                RequireLead(leadId);
                var patch = body.ToPatch(http.Caller().KeyId);
                new Check().CheckPatch(patch).ThrowIfInvalid();
                return grains.GetLeads(http.Caller().Scope).UpdateAsync(leadId, patch);
            })
            .RequireTenant(Role.Agent)
            .WithName("UpdateLead").WithSummary("Change fields; a status change emits lead.status_updated (and lead.qualified / lead.converted).");

        group.MapDelete("/leads/{leadId}", async Task<NoContent> (string leadId, HttpContext http, IGrainFactory grains) =>
            {
                await grains.GetLeads(http.Caller().Scope).DeleteAsync(RequireLead(leadId));
                return TypedResults.NoContent();
            })
            .RequireTenant(Role.Manager)
            .WithName("DeleteLead").WithSummary("Delete a lead; its Autopilot enrollments end.");

        group.MapPost("/segments", async Task<Created<SegmentView>> (SegmentRequest body, HttpContext http, IGrainFactory grains) =>
            {
                new Check().Required("name", body.Name, 200).CheckRules(body.Rules, body.CombineWith ?? "AND").ThrowIfInvalid();
                var segment = await grains.GetLeads(http.Caller().Scope).CreateSegmentAsync(body.ToInput());
                return TypedResults.Created($"/v1/crm/segments/{segment.SegmentId}", segment);
            })
            .RequireTenant(Role.Manager)
            .WithName("CreateSegment").WithSummary("A smart segment: rules [{field, operator, value}] combined with AND | OR, evaluated in SQL; answers with the member count.");

        group.MapGet("/segments", (HttpContext http, IGrainFactory grains) => grains.GetLeads(http.Caller().Scope).ListSegmentsAsync())
            .WithName("ListSegments").WithSummary("Segments with their current member counts.");

        group.MapGet("/segments/{segmentId}", (string segmentId, HttpContext http, IGrainFactory grains) =>
                grains.GetLeads(http.Caller().Scope).GetSegmentAsync(RequireSegment(segmentId)))
            .WithName("GetSegment").WithSummary("One segment with its current member count.");

        group.MapGet("/segments/{segmentId}/preview", (string segmentId, HttpContext http, IGrainFactory grains) =>
            {
                var check = new Check();
                var sample = check.Int(http, "limit", 20, 1, 100);
                check.ThrowIfInvalid();
                return grains.GetLeads(http.Caller().Scope).PreviewSegmentAsync(RequireSegment(segmentId), sample);
            })
            .WithName("PreviewSegment").WithSummary("Member count and the newest members (limit ≤ 100).");

        group.MapPost("/import", async (HttpContext http, IGrainFactory grains) =>
            {
                if (!http.Request.HasFormContentType)
                {
                    throw CloudFranException.Invalid("file", "Send multipart/form-data with a CSV 'file' part.");
                }
                var form = await http.Request.ReadFormAsync();
                var file = form.Files.GetFile("file");
                var check = new Check();
                if (file is null || file.Length == 0) check.Missing("file");
                var strategy = form["duplicateStrategy"].ToString() is { Length: > 0 } s ? s : "skip";
                check.OneOf("duplicateStrategy", strategy, ["skip", "update", "create_new"]);
                Dictionary<string, string>? mapping = null;
                if (form["mapping"].ToString() is { Length: > 0 } rawMapping)
                {
                    try
                    {
                        mapping = JsonSerializer.Deserialize<Dictionary<string, string>>(rawMapping);
                    }
                    catch (JsonException)
                    {
                        check.Invalid("mapping", "mapping must be a JSON object of lead field → CSV column.");
                    }
                }
                var defaultTags = form["defaultTags"].ToString().Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
                if (defaultTags.Any(t => t.Length > 50) || defaultTags.Length > 20) check.Invalid("defaultTags", "At most 20 tags of 1–50 characters.");
                check.ThrowIfInvalid();
                string csv;
                using (var reader = new StreamReader(file!.OpenReadStream()))
                {
                    csv = await reader.ReadToEndAsync();
                }
                return await grains.GetLeads(http.Caller().Scope).ImportAsync(new ImportRequest(csv, mapping, strategy, defaultTags));
            })
            .RequireTenant(Role.Manager)
            .DisableAntiforgery()
            .WithName("ImportContacts").WithSummary("CSV contact import (multipart: file, mapping JSON, duplicateStrategy skip|update|create_new, defaultTags comma-separated) with a per-row report.");

        group.MapPost("/sentiment", async (SentimentRequest body, ITextIntelligence text, HttpContext http) =>
            {
                new Check().Required("text", body.Text, 10_000).OneOf("source", body.Source, ["sms", "review", "ticket", "transcript"]).ThrowIfInvalid();
                return await text.AnalyzeAsync(body.Text!, http.RequestAborted);
            })
            .WithName("AnalyzeSentiment").WithSummary("Sentiment agent: text ≤ 10,000 characters, source sms|review|ticket|transcript → sentiment, confidence, score, entities, summary.");

        group.MapPost("/reply-suggestions", async (ReplySuggestionRequest body, ITextIntelligence text, HttpContext http) =>
            {
                new Check().Required("message", body.Message, 1600).ThrowIfInvalid();
                var analysis = text.AnalyzeAsync(body.Message!, http.RequestAborted).AsTask();
                var suggestion = await text.SuggestRepliesAsync(body.Message!, http.RequestAborted);
                return new ReplySuggestionsView(suggestion.Intent, (await analysis).Sentiment, suggestion.Suggestions, suggestion.Engine);
            })
            .WithName("SuggestReplies").WithSummary("Response intelligence: the intent and sentiment of an incoming message and suggested replies.");

        return group;
    }

    public static string RequireLead(string leadId) =>
        LeadRules.IsLeadId(leadId) ? leadId : throw CloudFranException.NotFound($"Lead {leadId}");

    private static string RequireSegment(string segmentId) =>
        Ids.IsValid(segmentId, "seg") ? segmentId : throw CloudFranException.NotFound($"Segment {segmentId}");

}
