using System.Net;
using CloudFran.Tests.Infrastructure;
using Xunit;

namespace CloudFran.Tests.Platform;

/// <summary>Bad input on every foundation endpoint answers 4xx with the envelope — never a 5xx.</summary>
[Collection(PlatformCollection.Name)]
public sealed class ValidationTests(PlatformFactory factory)
{
    private const string ValidAddress = """{"street":"1 Main St","city":"Boston","country":"US"}""";

    public static TheoryData<string, string, string, int, string> BadBodies() => new()
    {
        // method, url, body, status, code
        { "POST", "/v1/locations", "{", 400, "INVALID_INPUT" },
        { "POST", "/v1/locations", "[]", 400, "INVALID_INPUT" },
        { "POST", "/v1/locations", "{}", 400, "MISSING_FIELD" },
        { "POST", "/v1/locations", """{"name":"A"}""", 400, "MISSING_FIELD" },
        { "POST", "/v1/locations", """{"name":42,"address":{}}""", 400, "INVALID_INPUT" },
        { "POST", "/v1/locations", $$"""{"name":"A","address":{{ValidAddress}},"colour":"red"}""", 400, "INVALID_INPUT" },
        { "POST", "/v1/locations", $$"""{"name":"{{new string('x', 201)}}","address":{{ValidAddress}}}""", 400, "INVALID_INPUT" },
        { "POST", "/v1/locations", $$"""{"name":"A","address":{{ValidAddress}},"phone":"555-1234"}""", 400, "INVALID_INPUT" },
        { "POST", "/v1/locations", $$"""{"name":"A","address":{{ValidAddress}},"phone":"+1999"}""", 400, "INVALID_INPUT" },
        { "POST", "/v1/locations", $$"""{"name":"A","address":{{ValidAddress}},"timezone":"Eastern"}""", 400, "INVALID_INPUT" },
        { "POST", "/v1/locations", $$"""{"name":"A","address":{{ValidAddress}},"status":"open"}""", 400, "INVALID_INPUT" },
        { "POST", "/v1/locations", $$$"""{"name":"A","address":{{{ValidAddress}}},"hours":{"funday":[]}}""", 400, "INVALID_INPUT" },
        { "POST", "/v1/locations", $$$"""{"name":"A","address":{{{ValidAddress}}},"hours":{"monday":[{"open":"25:00","close":"26:00"}]}}""", 400, "INVALID_INPUT" },
        { "POST", "/v1/locations", $$$"""{"name":"A","address":{{{ValidAddress}}},"hours":{"monday":[{"open":"09:00","close":"13:00"},{"open":"12:00","close":"18:00"}]}}""", 400, "INVALID_INPUT" },
        { "POST", "/v1/locations", $$"""{"name":"A","address":{{ValidAddress}},"services":["cut","Cut"]}""", 400, "INVALID_INPUT" },
        { "POST", "/v1/locations", $$"""{"name":"A","address":{{ValidAddress}},"services":"cut"}""", 400, "INVALID_INPUT" },
        { "PATCH", "/v1/tenant/settings", """{"timezone":"Mars/Olympus"}""", 400, "INVALID_INPUT" },
        { "PATCH", "/v1/tenant/settings", """{"brandColor":"blue"}""", 400, "INVALID_INPUT" },
        { "PATCH", "/v1/tenant/settings", """{"notificationEmail":"not-an-email"}""", 400, "INVALID_INPUT" },
        { "PATCH", "/v1/tenant/settings", """{"businessName":"   "}""", 400, "INVALID_INPUT" },
        { "PATCH", "/v1/tenant/settings", """{"businessName":"a\u0000b"}""", 400, "INVALID_INPUT" },
        { "POST", "/v1/tenant/team/invitations", """{"email":"x@y.example"}""", 400, "MISSING_FIELD" },
        { "POST", "/v1/tenant/team/invitations", """{"email":"x@y.example","role":"owner"}""", 400, "INVALID_INPUT" },
        { "POST", "/v1/tenant/team/invitations", """{"email":"x@y.example","role":"agent","locations":["not-a-location"]}""", 400, "INVALID_INPUT" },
        { "POST", "/v1/tenant/keys", """{"type":"prod","role":"admin","name":"k"}""", 400, "INVALID_INPUT" },
        { "POST", "/v1/tenant/keys", """{"type":"live","role":"admin"}""", 400, "MISSING_FIELD" },
        { "POST", "/v1/tenant/keys", """{"type":"live","role":"admin","name":"k","expiresAt":"yesterday"}""", 400, "INVALID_INPUT" },
        { "POST", "/v1/tenant/keys", """{"type":"live","role":"admin","name":"k","expiresAt":"2001-01-01T00:00:00Z"}""", 400, "INVALID_INPUT" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task Bad_bodies_answer_4xx_with_the_envelope(string method, string url, string body, int status, string code)
    {
        var tenant = await factory.CreateTenantAsync();
        using var client = tenant.Live();
        var response = await client.SendRawAsync(new HttpMethod(method), url, body);
        await response.ErrorAsync((HttpStatusCode)status, code);
    }

    [Theory]
    [InlineData("/v1/locations?page=abc", "page")]
    [InlineData("/v1/locations?page=0", "page")]
    [InlineData("/v1/locations?pageSize=1000", "pageSize")]
    [InlineData("/v1/locations?status=open", "status")]
    [InlineData("/v1/tenant/team?role=owner", "role")]
    [InlineData("/v1/billing/usage?month=2026-13", "month")]
    [InlineData("/v1/billing/usage?month=last", "month")]
    public async Task Bad_query_strings_name_the_field(string url, string field)
    {
        var tenant = await factory.CreateTenantAsync();
        using var client = tenant.Live();
        var error = await (await client.GetAsync(url)).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        Assert.Equal(field, error.GetProperty("details")[0].GetProperty("field").GetString());
    }

    [Theory]
    [InlineData("/v1/locations/loc_doesnotexist0000")]
    [InlineData("/v1/locations/42")]
    [InlineData("/v1/locations/'%20OR%201=1")]
    public async Task Unknown_or_malformed_ids_are_404(string url)
    {
        var tenant = await factory.CreateTenantAsync();
        using var client = tenant.Live();
        await (await client.GetAsync(url)).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        await (await client.PatchJsonAsync(url, new { name = "x" })).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
    }

    [Fact]
    public async Task Oversize_missing_and_non_json_bodies_are_refused()
    {
        var tenant = await factory.CreateTenantAsync();
        using var client = tenant.Live();
        var huge = "{\"name\":\"" + new string('x', 1_100_000) + "\"}";
        await (await client.SendRawAsync(HttpMethod.Post, "/v1/locations", huge)).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await client.SendRawAsync(HttpMethod.Post, "/v1/locations", "name=x", "application/x-www-form-urlencoded"))
            .ErrorAsync(HttpStatusCode.UnsupportedMediaType, "INVALID_INPUT");
        await (await client.PostAsync("/v1/locations", null)).ErrorAsync(HttpStatusCode.BadRequest, "MISSING_FIELD");
    }

    [Fact]
    public async Task Admin_endpoints_validate_too()
    {
        using var admin = factory.AdminClient();
        await (await admin.GetAsync("/v1/admin/tenants?status=deleted")).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await admin.GetAsync("/v1/admin/tenants?plan=gold")).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await admin.SendRawAsync(HttpMethod.Post, "/v1/admin/tenants", "{}")).ErrorAsync(HttpStatusCode.BadRequest, "MISSING_FIELD");
        await (await admin.SendRawAsync(HttpMethod.Post, "/v1/admin/tenants", """{"businessName":"A","plan":"gold"}"""))
            .ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await admin.SendRawAsync(HttpMethod.Patch, "/v1/admin/tenants/tn_nosuchtenant0000", """{"plan":"pro"}"""))
            .ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        await (await admin.SendRawAsync(HttpMethod.Patch, "/v1/admin/tenants/not-an-id", """{"plan":"pro"}"""))
            .ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        var tenant = await factory.CreateTenantAsync();
        await (await admin.SendRawAsync(HttpMethod.Patch, $"/v1/admin/tenants/{tenant.TenantId}", """{"customQuotas":{"requestsPerMinute":0}}"""))
            .ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await admin.SendRawAsync(HttpMethod.Patch, $"/v1/admin/tenants/{tenant.TenantId}", """{"status":"paused"}"""))
            .ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
    }

    [Fact]
    public async Task Unknown_routes_and_methods_answer_with_the_envelope()
    {
        using var client = factory.CreateClient();
        await (await client.GetAsync("/v1/nothing-here")).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        await (await client.PutAsync("/health", null)).ErrorAsync(HttpStatusCode.MethodNotAllowed, "INVALID_INPUT");
    }
}
