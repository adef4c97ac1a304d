using System.Globalization;
using CloudFran.Abstractions.Errors;
using CloudFran.Abstractions.Platform;
using CloudFran.Web.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace CloudFran.Web.Platform;

/// <summary>Billing &amp; Usage: API calls per month by key type.</summary>
public static class BillingApi
{
    public static RouteGroupBuilder MapBillingApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/billing").WithTags("Billing & usage").RequireTenant(Role.Manager);

        group.MapGet("/usage", async (HttpContext http, IGrainFactory grains, TimeProvider clock) =>
            {
                var month = http.Request.Query["month"].ToString();
                if (month.Length == 0)
                {
                    month = clock.GetUtcNow().UtcDateTime.ToString("yyyy-MM", CultureInfo.InvariantCulture);
                }
                else if (!DateTime.TryParseExact(month, "yyyy-MM", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
                {
                    throw CloudFranException.Invalid("month", "month must be in YYYY-MM format.");
                }
                var tenantId = http.Caller().TenantId;
                var tenant = await grains.GetTenant(tenantId).GetAsync();
                return await grains.GetTenantUsage(tenantId).GetAsync(month, tenant.MonthlyCallLimit);
            })
            .WithName("GetUsage").WithSummary("Calls in a month (YYYY-MM, default current): total, live, test, limit and remaining.");

        return group;
    }
}
