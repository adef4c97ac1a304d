using System.Net;
using System.Net.Http.Headers;
using CloudFran.Tests.Calendar;
using CloudFran.Tests.Infrastructure;
using CloudFran.Web.Infrastructure;
using CloudFran.Web.Infrastructure.Authentication;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace CloudFran.Tests.Platform;

/// <summary>Authentication schemes and authorization policies: which route asks for what, and the answers without it.</summary>
public sealed class AuthenticationSchemesTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    [Fact]
    public async Task Secured_routes_require_their_policy_and_no_scheme_is_the_default()
    {
        using var client = factory.CreateClient();
        (await client.GetAsync("/health")).EnsureSuccessStatusCode();
        var schemes = factory.Services.GetRequiredService<IAuthenticationSchemeProvider>();
        Assert.Null(await schemes.GetDefaultAuthenticateSchemeAsync());
        Assert.Null(await schemes.GetDefaultChallengeSchemeAsync());

        var endpoints = factory.Services.GetServices<EndpointDataSource>().SelectMany(s => s.Endpoints).ToList();
        static IEnumerable<string?> Policies(Endpoint e) => e.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy);
        var tenantRoutes = endpoints.Where(e => e.Metadata.GetMetadata<TenantAccess>() is not null).ToList();
        var platformRoutes = endpoints.Where(e => e.Metadata.GetMetadata<PlatformAccess>() is not null).ToList();
        Assert.NotEmpty(tenantRoutes);
        Assert.NotEmpty(platformRoutes);
        Assert.All(tenantRoutes, e => Assert.Contains(AccessPolicies.Tenant, Policies(e)));
        Assert.All(platformRoutes, e => Assert.Contains(AccessPolicies.PlatformAdmin, Policies(e)));
        var hub = endpoints.Where(e => e is RouteEndpoint r && r.RoutePattern.RawText?.StartsWith("/voicecallhub", StringComparison.Ordinal) == true).ToList();
        Assert.NotEmpty(hub);
        Assert.All(hub, e => Assert.Contains(e.Metadata.GetOrderedMetadata<IAuthorizeData>(), a => a.AuthenticationSchemes == AuthSchemes.DashboardToken));
    }

    [Fact]
    public async Task Without_a_key_a_route_answers_401_INVALID_KEY_before_it_reads_the_body()
    {
        var tenant = await factory.CreateTenantAsync();
        using var none = factory.CreateClient();
        none.DefaultRequestHeaders.Add("X-Tenant-Id", tenant.TenantId);
        var error = await (await none.SendRawAsync(HttpMethod.Post, "/v1/locations", "{\"name\":")).ErrorAsync(HttpStatusCode.Unauthorized, "INVALID_KEY");
        Assert.Contains("Bearer", error.GetProperty("message").GetString());

        using var malformed = factory.ClientFor("sk_live_short", tenant.TenantId);
        var response = await malformed.GetAsync("/v1/locations");
        await response.ErrorAsync(HttpStatusCode.Unauthorized, "INVALID_KEY");
        Assert.Empty(response.Headers.WwwAuthenticate); // a Basic challenge is for the dashboard and Basic logins only
    }

    [Fact]
    public async Task Basic_login_takes_the_tenant_from_the_key_and_challenges_a_wrong_username()
    {
        var tenant = await factory.CreateTenantAsync();
        var login = await CenterLogin.CreateAsync(tenant, "viewer");
        using (var center = login.Client(factory))
        {
            var ok = await center.GetAsync("/api/appointments");
            await ok.JsonAsync(HttpStatusCode.OK);
            Assert.True(ok.Headers.Contains("X-RateLimit-Limit"));
        }
        using (var wrongUser = login.Client(factory, user: "key_notthisone"))
        {
            var refused = await wrongUser.GetAsync("/api/appointments");
            await refused.ErrorAsync(HttpStatusCode.Unauthorized, "INVALID_KEY");
            Assert.Equal("Basic realm=\"CloudFran\"", refused.Headers.WwwAuthenticate.ToString());
        }
        // The same secret as a Bearer key on a tenant route, which needs the tenant header.
        using var bearer = factory.ClientFor(login.Secret, tenant.TenantId);
        await (await bearer.GetAsync("/v1/locations")).JsonAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Hub_negotiate_needs_a_dashboard_token_or_a_key()
    {
        using var anonymous = factory.CreateClient();
        await (await anonymous.PostAsync("/voicecallhub/negotiate?negotiateVersion=1", null)).ErrorAsync(HttpStatusCode.Unauthorized, "INVALID_KEY");
        await (await anonymous.PostAsync("/voicecallhub/negotiate?negotiateVersion=1&access_token=dt_nosuchtoken", null))
            .ErrorAsync(HttpStatusCode.Unauthorized, "INVALID_KEY");

        var tenant = await factory.CreateTenantAsync();
        await (await anonymous.PostAsync($"/voicecallhub/negotiate?negotiateVersion=1&access_token={tenant.LiveKey}", null))
            .ErrorAsync(HttpStatusCode.Unauthorized, "INVALID_KEY"); // a key must name its tenant
        await (await anonymous.PostAsync($"/voicecallhub/negotiate?negotiateVersion=1&access_token={tenant.LiveKey}&tenantId={tenant.TenantId}", null))
            .JsonAsync(HttpStatusCode.OK);

        using var client = tenant.Live();
        var token = (await (await client.PostJsonAsync("/v1/voice/dashboard-token", new { })).JsonAsync(HttpStatusCode.OK)).GetProperty("token").GetString()!;
        using var browser = factory.CreateClient();
        browser.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var negotiated = await (await browser.PostAsync("/voicecallhub/negotiate?negotiateVersion=1", null)).JsonAsync(HttpStatusCode.OK);
        Assert.False(string.IsNullOrEmpty(negotiated.GetProperty("connectionToken").GetString()));
    }
}
