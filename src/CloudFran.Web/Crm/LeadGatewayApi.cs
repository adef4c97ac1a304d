using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using CloudFran.Abstractions.Crm;
using CloudFran.Abstractions.Errors;
using CloudFran.Abstractions.Platform;
using CloudFran.Abstractions.TextIntelligence;
using CloudFran.Abstractions.Validation;
using CloudFran.Web.Crm;
using CloudFran.Web.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace CloudFran.Web.Crm;

public sealed record GatewayLeadRequest(string? Name, string? Email, string? Phone, string? Company, string? Source, string? Notes,
    string? Status, IReadOnlyList<string>? Tags, bool? AutoNurture);

public sealed record GatewayAnalyzeRequest(string? Text, string? AnalysisType, string? Source);

public sealed record GatewayClassifyRequest(string? LeadId, string? TextContent, Dictionary<string, JsonElement>? Context);

public sealed record GatewayGenerateRequest(int? Count, string? Source, int? SpreadDays);

/// <summary>
/// The lead gateway (<c>/api/…</c>): the external lead-capture and analytics contract with snake_case bodies, its
/// own error codes (VALIDATION_ERROR 422, UNAUTHORIZED 401, …) in the platform's envelope shape, X-API-Key or
/// RS256 JWT auth, and per-endpoint limits: /api/leads 100/min, /api/analytics/* 50/min, /api/analyze 20/min.
/// </summary>
public static class LeadGatewayApi
{
    public static readonly JsonSerializerOptions Snake = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.Strict,
    };

    private static readonly string[] ReadScopes = ["read:leads", "read:analytics"];
    private static readonly string[] AnalyzeScopes = ["write:analytics", "read:analytics"];
    private static readonly string[] WriteLeadScopes = ["write:leads"];

    public static RouteGroupBuilder MapLeadGatewayApi(this IEndpointRouteBuilder routes)
    {
        var auth = ActivatorUtilities.CreateInstance<LeadGatewayAuth>(routes.ServiceProvider);
        var group = routes.MapGroup("/api").WithTags("Lead gateway");
        group.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            try
            {
                if (http.GetEndpoint()?.Metadata.GetMetadata<GatewayAccess>() is { } access)
                {
                    http.Items[nameof(GatewayCaller)] = await auth.AuthenticateAsync(http, access);
                }
                return await next(context);
            }
            catch (CloudFranException e)
            {
                await Errors.WriteAsync(http, GatewayErrors.Map(e));
                return TypedResults.Empty;
            }
        });

        group.MapPost("/leads", async (HttpContext http, IGrainFactory grains) =>
            {
                var body = await ReadAsync<GatewayLeadRequest>(http);
                var input = new LeadInput(body.Name, body.Phone, body.Email, body.Company, body.Source ?? "website", body.Status, body.Tags,
                    body.Notes, null, null, null, body.AutoNurture);
                new Check().CheckInput(input, requireEmail: true).ThrowIfInvalid();
                var lead = await grains.GetLeads(Caller(http).Scope).CreateAsync(input);
                return TypedResults.Json(new Dictionary<string, object?>
                {
                    ["id"] = lead.LeadId, ["status"] = lead.Status, ["created_at"] = lead.CreatedAt, ["message"] = "Lead created successfully",
                }, Snake, statusCode: 201);
            })
            .WithMetadata(new GatewayAccess(Role.Agent, WriteLeadScopes, "leads", 100))
            .WithName("GatewayCreateLead").WithSummary("Capture a lead (name, email, phone, company, source, notes); 201 with its lead_… id.");

        group.MapGet("/leads/{leadId}", async (string leadId, HttpContext http, IGrainFactory grains) =>
            {
                RequireLeadId(leadId);
                return TypedResults.Json(LeadJson(await grains.GetLeads(Caller(http).Scope).GetAsync(leadId)), Snake);
            })
            .WithMetadata(new GatewayAccess(Role.Viewer, ReadScopes, "leads", 100))
            .WithName("GatewayGetLead").WithSummary("One lead in the gateway's lead schema.");

        group.MapGet("/analytics/leads", async (HttpContext http, IGrainFactory grains) =>
            {
                var check = new Check();
                var from = Date(check, http, "date_from");
                var to = Date(check, http, "date_to");
                if (from is not null && to is not null && from > to)
                {
                    check.Invalid("date_to", "date_to must not be before date_from.");
                }
                check.ThrowIfInvalid();
                var a = await grains.GetLeads(Caller(http).Scope).AnalyticsAsync(
                    from is null ? null : new DateTimeOffset(from.Value.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero),
                    to is null ? null : new DateTimeOffset(to.Value.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero));
                return TypedResults.Json(new Dictionary<string, object?>
                {
                    ["total_leads"] = a.TotalLeads, ["conversion_rate"] = a.ConversionRate, ["leads_by_source"] = a.BySource,
                    ["leads_by_status"] = a.ByStatus,
                    ["trends"] = new { daily = a.Daily.Select(d => new { date = d.Date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), count = d.Count }) },
                }, Snake);
            })
            .WithMetadata(new GatewayAccess(Role.Viewer, ReadScopes, "analytics", 50))
            .WithName("GatewayLeadAnalytics").WithSummary("Leads between date_from and date_to (inclusive, UTC days): totals, conversion rate, by source, by status, daily trend.");

        group.MapGet("/analytics/sentiment", async (HttpContext http, IGrainFactory grains) =>
            {
                var leadId = http.Request.Query["lead_id"].ToString();
                if (leadId.Length == 0)
                {
                    new Check().Missing("lead_id").ThrowIfInvalid();
                }
                RequireLeadId(leadId);
                var s = await grains.GetLeads(Caller(http).Scope).SentimentAsync(leadId);
                return TypedResults.Json(new Dictionary<string, object?>
                {
                    ["lead_id"] = s.LeadId, ["sentiment"] = s.Sentiment, ["confidence"] = s.Confidence, ["entities"] = s.Entities,
                    ["analysis_date"] = s.AnalysisDate,
                }, Snake);
            })
            .WithMetadata(new GatewayAccess(Role.Viewer, ReadScopes, "analytics", 50))
            .WithName("GatewayLeadSentiment").WithSummary("Sentiment of a lead's notes and replies.");

        group.MapPost("/analyze", async (HttpContext http, ITextIntelligence text) =>
            {
                var body = await ReadAsync<GatewayAnalyzeRequest>(http);
                new Check().Required("text", body.Text, 10_000)
                    .OneOf("analysis_type", body.AnalysisType, ["sentiment", "entities", "summary", "full"])
                    .OneOf("source", body.Source, ["sms", "review", "ticket", "transcript"]).ThrowIfInvalid();
                var a = await text.AnalyzeAsync(body.Text!, http.RequestAborted);
                var result = new Dictionary<string, object?>();
                var type = body.AnalysisType ?? "full";
                if (type is "sentiment" or "full")
                {
                    result["sentiment"] = a.Sentiment;
                    result["confidence"] = a.Confidence;
                    result["score"] = a.Score;
                }
                result["entities"] = a.Entities.Select(e => new { text = e.Text, type = e.Type, confidence = e.Confidence });
                result["summary"] = a.Summary;
                result["engine"] = a.Engine;
                return TypedResults.Json(result, Snake);
            })
            .WithMetadata(new GatewayAccess(Role.Viewer, AnalyzeScopes, "analyze", 20))
            .WithName("GatewayAnalyzeText").WithSummary("Sentiment, entities and summary of a text (≤ 10,000 characters).");

        group.MapPost("/classify-lead", async (HttpContext http, IGrainFactory grains, ITextIntelligence text) =>
            {
                var body = await ReadAsync<GatewayClassifyRequest>(http);
                new Check().Required("text_content", body.TextContent, 10_000).ThrowIfInvalid();
                if (body.LeadId is not null)
                {
                    RequireLeadId(body.LeadId);
                    await grains.GetLeads(Caller(http).Scope).GetAsync(body.LeadId);
                }
                var context = body.Context?.Where(kv => kv.Value.ValueKind is JsonValueKind.String or JsonValueKind.Number)
                    .ToDictionary(kv => kv.Key, kv => kv.Value.ToString());
                var c = await text.ClassifyAsync(body.TextContent!, context, http.RequestAborted);
                return TypedResults.Json(new Dictionary<string, object?>
                {
                    ["lead_id"] = body.LeadId, ["classification"] = c.Classification, ["confidence"] = c.Confidence, ["priority"] = c.Priority,
                    ["recommended_action"] = c.RecommendedAction, ["tags"] = c.Tags, ["engine"] = c.Engine,
                }, Snake);
            })
            .WithMetadata(new GatewayAccess(Role.Viewer, AnalyzeScopes, "analyze", 20))
            .WithName("GatewayClassifyLead").WithSummary("Lead classification with confidence, priority and recommended action (rule-based, or the model when configured).");

        group.MapPost("/test/generate-leads", async (HttpContext http, IGrainFactory grains) =>
            {
                var body = await ReadAsync<GatewayGenerateRequest>(http);
                var check = new Check().Range("count", body.Count, 1, 10_000).Range("spread_days", body.SpreadDays, 0, 3650)
                    .OneOf("source", LeadNames.NormalizeSource(body.Source), LeadNames.Sources);
                if (body.Count is null) check.Missing("count");
                check.ThrowIfInvalid();
                var created = await grains.GetLeads(Caller(http).Scope).GenerateAsync(body.Count!.Value, body.Source, body.SpreadDays ?? 30);
                return TypedResults.Json(new Dictionary<string, object?>
                {
                    ["generated"] = created, ["source"] = LeadNames.NormalizeSource(body.Source) ?? "mixed", ["message"] = "Test leads generated",
                }, Snake, statusCode: 201);
            })
            .WithMetadata(new GatewayAccess(Role.Agent, WriteLeadScopes, "leads", 100, SandboxOnly: true))
            .WithName("GatewayGenerateLeads").WithSummary("Sandbox only: generate test leads (count ≤ 10,000, optional source).");

        group.MapGet("/test/mock-analytics", () => TypedResults.Json(new Dictionary<string, object?>
            {
                ["total_leads"] = 1000, ["conversion_rate"] = 0.12,
                ["leads_by_source"] = new Dictionary<string, int> { ["website"] = 600, ["social"] = 250, ["referral"] = 150 },
            }, Snake))
            .WithMetadata(new GatewayAccess(Role.Viewer, [], "analytics", 50))
            .WithName("GatewayMockAnalytics").WithSummary("A fixed analytics response for client testing.");

        return group;
    }

    private static GatewayCaller Caller(HttpContext http) => (GatewayCaller)http.Items[nameof(GatewayCaller)]!;

    private static Dictionary<string, object?> LeadJson(LeadView l) => new()
    {
        ["id"] = l.LeadId, ["name"] = l.Name, ["email"] = l.Email, ["phone"] = l.Phone, ["company"] = l.Company, ["source"] = l.Source,
        ["status"] = l.Status, ["notes"] = l.Notes, ["tags"] = l.Tags, ["created_at"] = l.CreatedAt, ["updated_at"] = l.UpdatedAt,
    };

    private static void RequireLeadId(string leadId)
    {
        if (!LeadRules.IsLeadId(leadId))
        {
            throw new CloudFranException(ErrorKind.NotFound, GatewayErrors.NotFound, $"Lead {leadId} was not found.");
        }
    }

    private static async Task<T> ReadAsync<T>(HttpContext http) where T : class
    {
        if (!(http.Request.ContentType?.Contains("json", StringComparison.OrdinalIgnoreCase) ?? false))
        {
            throw new CloudFranException(ErrorKind.Invalid, GatewayErrors.BadRequest, "Send the body as application/json.");
        }
        try
        {
            return await JsonSerializer.DeserializeAsync<T>(http.Request.Body, Snake)
                   ?? throw new CloudFranException(ErrorKind.Invalid, GatewayErrors.BadRequest, "A JSON object body is required.");
        }
        catch (JsonException e)
        {
            var field = e.Path is null or "$" ? "body" : e.Path.TrimStart('$', '.');
            throw new CloudFranException(ErrorKind.Invalid, GatewayErrors.BadRequest,
                field == "body" ? "The body is not valid JSON." : $"'{field}' has the wrong type or format.", [new FieldError(field, "Invalid value.")]);
        }
    }

    private static DateOnly? Date(Check check, HttpContext http, string name)
    {
        var raw = http.Request.Query[name].ToString();
        if (raw.Length == 0)
        {
            return null;
        }
        if (DateOnly.TryParseExact(raw, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d))
        {
            return d;
        }
        check.Invalid(name, $"{name} must be a date (YYYY-MM-DD).");
        return null;
    }
}
