using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CloudFran.Tests.Infrastructure;
using Xunit;

namespace CloudFran.Tests.Crm;

/// <summary>The lead gateway's schemes: X-API-Key (or Bearer sk_…) and RS256 JWTs read by JwtBearer with the gateway's rules.</summary>
public sealed class LeadGatewaySchemeTests(CrmFactory factory) : IClassFixture<CrmFactory>
{
    [Fact]
    public async Task An_api_key_works_as_X_API_Key_and_as_Bearer()
    {
        var tenant = await factory.CreateTenantAsync();
        using var header = factory.WithApiKey(tenant.LiveKey);
        var ok = await header.GetAsync("/api/analytics/leads");
        await ok.JsonAsync(HttpStatusCode.OK);
        Assert.Equal("50", ok.Headers.GetValues("X-RateLimit-Limit").Single());
        using var bearer = factory.Bearer(tenant.LiveKey);
        await (await bearer.GetAsync("/api/analytics/leads")).JsonAsync(HttpStatusCode.OK);

        // A platform key is no gateway credential.
        using var admin = factory.WithApiKey(PlatformFactory.AdminKey);
        await GatewayErrorAsync(await admin.GetAsync("/api/analytics/leads"), HttpStatusCode.Unauthorized, "UNAUTHORIZED");
    }

    [Fact]
    public async Task Jwt_audience_expiry_and_not_before_are_judged_on_the_crm_clock_with_30_seconds_of_skew()
    {
        var tenant = await factory.CreateTenantAsync();
        var now = factory.Clock.GetUtcNow();

        var wrongAudience = await GatewayErrorAsync(await Get(factory.Token(tenant.TenantId, audience: "someone-else")),
            HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        Assert.Equal("The token audience is not accepted.", wrongAudience.GetProperty("message").GetString());
        // The audience may be an array that names us.
        await (await Get(Sign(Claims(tenant.TenantId, now, aud: new[] { "other", CrmFactory.Audience })))).JsonAsync(HttpStatusCode.OK);

        await (await Get(Sign(Claims(tenant.TenantId, now, exp: now.AddSeconds(-10))))).JsonAsync(HttpStatusCode.OK);
        var expired = await GatewayErrorAsync(await Get(Sign(Claims(tenant.TenantId, now, exp: now.AddSeconds(-40)))),
            HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        Assert.Equal("The token has expired.", expired.GetProperty("message").GetString());
        var early = await GatewayErrorAsync(await Get(Sign(Claims(tenant.TenantId, now, nbf: now.AddMinutes(2)))),
            HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        Assert.Equal("The token is not valid yet.", early.GetProperty("message").GetString());
        var noExpiry = Claims(tenant.TenantId, now);
        noExpiry.Remove("exp");
        await GatewayErrorAsync(await Get(Sign(noExpiry)), HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        var badEnv = Claims(tenant.TenantId, now);
        badEnv["env"] = "staging";
        await GatewayErrorAsync(await Get(Sign(badEnv)), HttpStatusCode.Unauthorized, "UNAUTHORIZED");
    }

    private async Task<HttpResponseMessage> Get(string token)
    {
        using var client = factory.Bearer(token);
        return await client.GetAsync("/api/analytics/leads");
    }

    private static Dictionary<string, object> Claims(string tenantId, DateTimeOffset now, object? aud = null, DateTimeOffset? exp = null,
        DateTimeOffset? nbf = null)
    {
        var claims = new Dictionary<string, object>
        {
            ["sub"] = "user_scheme", ["iss"] = CrmFactory.Issuer, ["aud"] = aud ?? CrmFactory.Audience, ["iat"] = now.ToUnixTimeSeconds(),
            ["exp"] = (exp ?? now.AddHours(1)).ToUnixTimeSeconds(), ["scope"] = "read:leads read:analytics", ["role"] = "viewer",
            ["tenant_id"] = tenantId,
        };
        if (nbf is { } notBefore) claims["nbf"] = notBefore.ToUnixTimeSeconds();
        return claims;
    }

    private static string Sign(Dictionary<string, object> claims)
    {
        var input = B64(JsonSerializer.SerializeToUtf8Bytes(new { alg = "RS256", typ = "JWT" })) + "." + B64(JsonSerializer.SerializeToUtf8Bytes(claims));
        var signature = CrmFactory.SigningKey.SignData(Encoding.ASCII.GetBytes(input), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return input + "." + B64(signature);
    }

    private static string B64(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static async Task<JsonElement> GatewayErrorAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"Expected {(int)status} {code}, got {(int)response.StatusCode}: {body}");
        var error = JsonDocument.Parse(body).RootElement.GetProperty("error");
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.StartsWith("req_", error.GetProperty("request_id").GetString());
        return error.Clone();
    }
}
