using CloudFran.Abstractions.Errors;
using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Platform;
using CloudFran.Abstractions.Validation;
using CloudFran.Web.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace CloudFran.Web.Platform;

public sealed record CreateTenantRequest(string? BusinessName, string? Plan, string? Status, string? Timezone,
    string? NotificationEmail, string? AdminEmail);

public sealed record AdminTenantPatchRequest(string? Plan, CustomQuotas? CustomQuotas, string? Status);

/// <summary>SuperAdmin platform APIs (sk_admin_ keys only).</summary>
public static class AdminApi
{
    public static RouteGroupBuilder MapAdminApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/admin").WithTags("SuperAdmin").RequirePlatformAdmin();

        group.MapGet("/tenants", (HttpContext http, IGrainFactory grains) =>
            {
                var check = new Check();
                var status = check.Enum(http, "status", AccessNames.TenantStatuses);
                var plan = check.Enum(http, "plan", AccessNames.Plans);
                var page = check.Int(http, "page", 1, 1, 100_000);
                var pageSize = check.Int(http, "pageSize", 50, 1, 200);
                check.ThrowIfInvalid();
                return grains.GetPlatformAdmin().ListTenantsAsync(status, plan, page, pageSize);
            })
            .WithName("AdminListTenants").WithSummary("Tenants filtered by status (active, suspended, trial, cancelled) and plan (starter, pro, enterprise).");

        group.MapGet("/tenants/{tenantId}", (string tenantId, IGrainFactory grains) =>
                grains.GetTenant(RequireTenantId(tenantId)).GetAsync())
            .WithName("AdminGetTenant").WithSummary("One tenant.");

        group.MapPost("/tenants", async Task<Created<CreatedTenant>> (CreateTenantRequest body, IGrainFactory grains) =>
            {
                new Check()
                    .Required("businessName", body.BusinessName, 200)
                    .OneOf("plan", body.Plan, AccessNames.Plans)
                    .OneOf("status", body.Status, ["active", "trial"])
                    .TimeZone("timezone", body.Timezone)
                    .Email("notificationEmail", body.NotificationEmail)
                    .Email("adminEmail", body.AdminEmail)
                    .ThrowIfInvalid();
                var created = await grains.GetPlatformAdmin().CreateTenantAsync(new NewTenant(
                    body.BusinessName!.Trim(), body.Plan ?? "starter", body.Status ?? "active", body.Timezone ?? "UTC",
                    body.NotificationEmail, body.AdminEmail));
                return TypedResults.Created($"/v1/admin/tenants/{created.Tenant.TenantId}", created);
            })
            .WithName("AdminCreateTenant").WithSummary("Create a tenant; returns it with its first admin keys (live and test), shown once.");

        group.MapPatch("/tenants/{tenantId}", (string tenantId, AdminTenantPatchRequest body, IGrainFactory grains) =>
            {
                var check = new Check()
                    .OneOf("plan", body.Plan, AccessNames.Plans)
                    .OneOf("status", body.Status, AccessNames.TenantStatuses);
                if (body.CustomQuotas is { } q)
                {
                    check.Range("customQuotas.requestsPerMinute", q.RequestsPerMinute, 1, 1_000_000)
                        .Range("customQuotas.monthlyCalls", q.MonthlyCalls, 0, 10_000_000_000);
                }
                check.ThrowIfInvalid();
                return grains.GetTenant(RequireTenantId(tenantId))
                    .ApplyAdminPatchAsync(new TenantAdminPatch(body.Plan, body.CustomQuotas, body.Status));
            })
            .WithName("AdminUpdateTenant").WithSummary("Change plan, customQuotas {requestsPerMinute, monthlyCalls (0 = unlimited)} or status.");

        return group;
    }

    private static string RequireTenantId(string tenantId) =>
        Ids.IsValid(tenantId, "tn") ? tenantId : throw CloudFranException.NotFound("Tenant");
}
