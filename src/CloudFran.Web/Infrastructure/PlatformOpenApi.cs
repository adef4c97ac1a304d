using System.Text.Json.Nodes;
using CloudFran.Abstractions.Platform;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace CloudFran.Web.Infrastructure;

/// <summary>
/// Adds what the endpoint metadata knows to the OpenAPI document: Bearer auth, the X-Tenant-Id header, the
/// least role per operation and the error envelope on every error response.
/// </summary>
public sealed class PlatformOpenApi : IOpenApiDocumentTransformer, IOpenApiOperationTransformer
{
    private const string Scheme = "bearer";
    private const string Envelope = "ErrorEnvelope";

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info.Title = "CloudFran Agents API";
        document.Info.Description =
            "Multi-tenant franchise platform API. Authenticate with `Authorization: Bearer sk_live_…|sk_test_…` and send " +
            "`X-Tenant-Id` on tenant routes; SuperAdmin routes take `sk_admin_` keys. Every error answers with the " +
            "ErrorEnvelope; every response carries X-Request-Id and, when authenticated, X-RateLimit-* headers.";
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[Scheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            Description = "API key: sk_live_ (production), sk_test_ (sandbox) or sk_admin_ (platform).",
        };
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        document.Components.Schemas[Envelope] = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Required = new HashSet<string> { "error" },
            Properties = new Dictionary<string, IOpenApiSchema>
            {
                ["error"] = new OpenApiSchema
                {
                    Type = JsonSchemaType.Object,
                    Required = new HashSet<string> { "code", "message", "details", "timestamp", "request_id" },
                    Properties = new Dictionary<string, IOpenApiSchema>
                    {
                        ["code"] = new OpenApiSchema
                        {
                            Type = JsonSchemaType.String,
                            Enum = new List<JsonNode>
                            {
                                "INVALID_INPUT", "MISSING_FIELD", "INVALID_KEY", "EXPIRED_KEY", "INSUFFICIENT_ROLE",
                                "TENANT_MISMATCH", "TENANT_SUSPENDED", "RESOURCE_NOT_FOUND", "CONFLICT", "QUOTA_EXCEEDED",
                                "RATE_LIMITED", "INTERNAL_ERROR", "SERVICE_UNAVAILABLE",
                            },
                        },
                        ["message"] = new OpenApiSchema { Type = JsonSchemaType.String },
                        ["details"] = new OpenApiSchema
                        {
                            Type = JsonSchemaType.Array,
                            Items = new OpenApiSchema
                            {
                                Type = JsonSchemaType.Object,
                                Properties = new Dictionary<string, IOpenApiSchema>
                                {
                                    ["field"] = new OpenApiSchema { Type = JsonSchemaType.String },
                                    ["message"] = new OpenApiSchema { Type = JsonSchemaType.String },
                                },
                            },
                        },
                        ["timestamp"] = new OpenApiSchema { Type = JsonSchemaType.String, Format = "date-time" },
                        ["request_id"] = new OpenApiSchema { Type = JsonSchemaType.String },
                    },
                },
            },
        };
        return Task.CompletedTask;
    }

    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        var tenant = metadata.OfType<TenantAccess>().LastOrDefault();
        var platform = metadata.OfType<PlatformAccess>().LastOrDefault();
        var document = context.Document;
        operation.Responses ??= new OpenApiResponses();

        if (tenant is not null || platform is not null)
        {
            operation.Security ??= [];
            operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(Scheme, document)] = [] });
            var access = platform is not null
                ? "Requires an sk_admin_ key."
                : $"Requires role {tenant!.MinRole.Name()} or higher{(tenant.LiveOnly ? " and an sk_live_ key" : "")}.";
            operation.Description = string.IsNullOrEmpty(operation.Description) ? access : operation.Description + " " + access;
        }
        if (tenant is not null)
        {
            operation.Parameters ??= [];
            operation.Parameters.Add(new OpenApiParameter
            {
                Name = "X-Tenant-Id",
                In = ParameterLocation.Header,
                Required = true,
                Description = "The tenant of the API key (tn_…); a different value answers 403 TENANT_MISMATCH.",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String },
            });
        }

        var errors = new List<(string Status, string Description)> { ("400", "Invalid input (INVALID_INPUT, MISSING_FIELD)") };
        if (tenant is not null || platform is not null)
        {
            errors.Add(("401", "Missing, unknown, revoked or expired key (INVALID_KEY, EXPIRED_KEY)"));
            errors.Add(("403", "INSUFFICIENT_ROLE, TENANT_MISMATCH or TENANT_SUSPENDED"));
            errors.Add(("429", "RATE_LIMITED (per minute, see Retry-After) or QUOTA_EXCEEDED (monthly)"));
        }
        if (context.Description.RelativePath?.Contains('{') == true)
        {
            errors.Add(("404", "RESOURCE_NOT_FOUND (also for another tenant's objects)"));
        }
        errors.Add(("500", "INTERNAL_ERROR"));
        errors.Add(("503", "SERVICE_UNAVAILABLE: a backing service is down; retry"));
        foreach (var (status, description) in errors)
        {
            if (operation.Responses.ContainsKey(status))
            {
                continue;
            }
            operation.Responses[status] = new OpenApiResponse
            {
                Description = description,
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    ["application/json"] = new() { Schema = new OpenApiSchemaReference(Envelope, document) },
                },
            };
        }
        return Task.CompletedTask;
    }
}
