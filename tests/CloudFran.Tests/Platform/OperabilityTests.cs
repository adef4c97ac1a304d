using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using CloudFran.Tests.Infrastructure;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace CloudFran.Tests.Platform;

/// <summary>OpenAPI document, interactive docs, the admin-only dashboard, request ids.</summary>
[Collection(PlatformCollection.Name)]
public sealed class OperabilityTests(PlatformFactory factory)
{
    [Fact]
    public async Task OpenApi_document_covers_every_api_route_with_auth_and_errors()
    {
        using var client = factory.CreateClient();
        var doc = await (await client.GetAsync("/openapi/v1.json")).JsonAsync(HttpStatusCode.OK);
        var paths = doc.GetProperty("paths");

        var routes = factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Select(e => (Pattern: "/" + e.RoutePattern.RawText!.TrimStart('/'), Methods: e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()?.HttpMethods ?? [],
                Secured: e.Metadata.GetMetadata<CloudFran.Web.Infrastructure.TenantAccess>() is not null || e.Metadata.GetMetadata<CloudFran.Web.Infrastructure.PlatformAccess>() is not null))
            .Where(r => r.Pattern.StartsWith("/v1/") || r.Pattern.StartsWith("/api/") || r.Pattern.StartsWith("/health"))
            .ToList();
        Assert.NotEmpty(routes);
        foreach (var (pattern, methods, secured) in routes)
        {
            var path = pattern.TrimEnd('/');
            Assert.True(paths.TryGetProperty(path, out var item) || paths.TryGetProperty(path + "/", out item), $"{path} missing from OpenAPI");
            foreach (var method in methods)
            {
                Assert.True(item.TryGetProperty(method.ToLowerInvariant(), out var op), $"{method} {path} missing from OpenAPI");
                if (secured)
                {
                    Assert.True(op.TryGetProperty("security", out _), $"{method} {path} has no security");
                    Assert.True(op.GetProperty("responses").TryGetProperty("401", out _), $"{method} {path} lacks 401");
                }
            }
        }
        Assert.True(doc.GetProperty("components").GetProperty("schemas").TryGetProperty("ErrorEnvelope", out _));
        Assert.Equal("bearer", doc.GetProperty("components").GetProperty("securitySchemes").GetProperty("bearer").GetProperty("scheme").GetString());
        var locationsGet = paths.GetProperty("/v1/locations").GetProperty("get");
        Assert.Contains(locationsGet.GetProperty("parameters").EnumerateArray(), p => p.GetProperty("name").GetString() == "X-Tenant-Id");

        var docs = await client.GetAsync("/docs/");
        Assert.Equal(HttpStatusCode.OK, docs.StatusCode);
    }

    [Fact]
    public async Task Dashboard_is_for_platform_admins_only()
    {
        using var anonymous = factory.CreateClient();
        var denied = await anonymous.GetAsync("/dashboard/");
        await denied.ErrorAsync(HttpStatusCode.Unauthorized, "INVALID_KEY");
        Assert.Contains("Basic", denied.Headers.WwwAuthenticate.ToString());

        var tenant = await factory.CreateTenantAsync();
        using var tenantClient = factory.CreateClient();
        tenantClient.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes("x:" + tenant.LiveKey)));
        await (await tenantClient.GetAsync("/dashboard/")).ErrorAsync(HttpStatusCode.Forbidden, "INSUFFICIENT_ROLE");

        using var admin = factory.CreateClient();
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes("admin:" + PlatformFactory.AdminKey)));
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/dashboard/")).StatusCode);
    }

    [Fact]
    public async Task Every_response_has_a_request_id_and_a_good_incoming_one_is_kept()
    {
        using var client = factory.CreateClient();
        var generated = await client.GetAsync("/health");
        Assert.StartsWith("req_", generated.Headers.GetValues("X-Request-Id").Single());

        var request = new HttpRequestMessage(HttpMethod.Get, "/v1/locations");
        request.Headers.Add("X-Request-Id", "trace-abc-12345");
        var response = await client.SendAsync(request);
        var error = await response.ErrorAsync(HttpStatusCode.Unauthorized, "INVALID_KEY");
        Assert.Equal("trace-abc-12345", error.GetProperty("request_id").GetString());

        var bad = new HttpRequestMessage(HttpMethod.Get, "/health");
        bad.Headers.TryAddWithoutValidation("X-Request-Id", "<script>");
        var replaced = await client.SendAsync(bad);
        Assert.StartsWith("req_", replaced.Headers.GetValues("X-Request-Id").Single());
    }

    [Fact]
    public async Task Admin_lists_and_filters_tenants()
    {
        var a = await factory.CreateTenantAsync(plan: "starter", name: "Filter Starter");
        var b = await factory.CreateTenantAsync(plan: "pro", name: "Filter Pro");
        using var admin = factory.AdminClient();
        await (await admin.PatchJsonAsync($"/v1/admin/tenants/{b.TenantId}", new { status = "suspended" })).JsonAsync(HttpStatusCode.OK);
        var suspended = await (await admin.GetAsync("/v1/admin/tenants?status=suspended&plan=pro")).JsonAsync(HttpStatusCode.OK);
        var ids = suspended.GetProperty("data").EnumerateArray().Select(t => t.GetProperty("tenantId").GetString()).ToList();
        Assert.Contains(b.TenantId, ids);
        Assert.DoesNotContain(a.TenantId, ids);
        var one = await (await admin.GetAsync($"/v1/admin/tenants/{a.TenantId}")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(30, one.GetProperty("requestsPerMinute").GetInt32());
        Assert.Equal(10_000, one.GetProperty("monthlyCallLimit").GetInt64());
        _ = JsonValueKind.Null;
    }
}
