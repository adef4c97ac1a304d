using System.Net;
using CloudFran.Tests.Infrastructure;
using Xunit;

namespace CloudFran.Tests.Platform;

/// <summary>Per-key minute windows, monthly quotas and usage counting.</summary>
[Collection(PlatformCollection.Name)]
public sealed class RateLimitTests(PlatformFactory factory)
{
    [Fact]
    public async Task Monthly_quota_is_enforced_for_live_keys_only()
    {
        var tenant = await factory.CreateTenantAsync(plan: "starter");
        using var admin = factory.AdminClient();
        await (await admin.PatchJsonAsync($"/v1/admin/tenants/{tenant.TenantId}", new { customQuotas = new { monthlyCalls = 6 } }))
            .JsonAsync(HttpStatusCode.OK);
        using var live = tenant.Live();
        var results = new List<HttpResponseMessage>();
        for (var i = 0; i < 8; i++)
        {
            results.Add(await live.GetAsync("/v1/tenant"));
        }
        Assert.Equal(6, results.Count(r => r.IsSuccessStatusCode));
        await results[^1].ErrorAsync(HttpStatusCode.TooManyRequests, "QUOTA_EXCEEDED");
        Assert.True(int.Parse(results[^1].Headers.GetValues("Retry-After").Single()) > 0);

        // Sandbox keys have no monthly cap.
        using var sandbox = tenant.Sandbox();
        for (var i = 0; i < 8; i++)
        {
            await (await sandbox.GetAsync("/v1/tenant")).JsonAsync(HttpStatusCode.OK);
        }
    }

    [Fact]
    public async Task Usage_counts_calls_by_key_type()
    {
        var tenant = await factory.CreateTenantAsync(plan: "pro");
        using var live = tenant.Live();
        using var sandbox = tenant.Sandbox();
        for (var i = 0; i < 4; i++)
        {
            await (await live.GetAsync("/v1/locations")).JsonAsync(HttpStatusCode.OK);
        }
        for (var i = 0; i < 3; i++)
        {
            await (await sandbox.GetAsync("/v1/locations")).JsonAsync(HttpStatusCode.OK);
        }
        // Sandbox calls are counted in one-second batches: poll briefly for them to land.
        var month = DateTime.UtcNow.ToString("yyyy-MM");
        var usage = await Eventually.Async("the sandbox calls to be counted", async () =>
            await (await live.GetAsync($"/v1/billing/usage?month={month}")).JsonAsync(HttpStatusCode.OK),
            u => u.GetProperty("testCalls").GetInt64() >= 3);
        Assert.Equal(month, usage.GetProperty("month").GetString());
        Assert.Equal(3, usage.GetProperty("testCalls").GetInt64());
        // 4 list calls + the usage reads themselves are live calls.
        Assert.True(usage.GetProperty("liveCalls").GetInt64() >= 5);
        Assert.Equal(25_000, usage.GetProperty("monthlyLimit").GetInt64());

        var empty = await (await live.GetAsync("/v1/billing/usage?month=2020-01")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(0, empty.GetProperty("totalCalls").GetInt64());
    }
}

/// <summary>Per-key fixed minute windows on a clock the test moves: every request of a test falls in one window.</summary>
[Collection(FakeClockCollection.Name)]
public sealed class RateWindowTests(FakeClockPlatformFactory factory)
{
    [Fact]
    public async Task Concurrent_requests_get_exactly_the_minute_limit()
    {
        var tenant = await factory.CreateTenantAsync(plan: "starter");
        factory.AdvanceToNextMinute();
        using var client = tenant.Live();
        var responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => client.GetAsync("/v1/tenant")));

        Assert.Equal(30, responses.Count(r => r.StatusCode == HttpStatusCode.OK));
        var limited = responses.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.Equal(20, limited.Count);
        foreach (var r in limited)
        {
            await r.ErrorAsync(HttpStatusCode.TooManyRequests, "RATE_LIMITED");
            // The clock stands one second into the window: the next one starts in 59.
            Assert.Equal("59", r.Headers.GetValues("Retry-After").Single());
            Assert.Equal("0", r.Headers.GetValues("X-RateLimit-Remaining").Single());
        }
        var remaining = responses.Where(r => r.IsSuccessStatusCode)
            .Select(r => int.Parse(r.Headers.GetValues("X-RateLimit-Remaining").Single())).Order().ToList();
        Assert.Equal(Enumerable.Range(0, 30), remaining);
        Assert.All(responses, r => Assert.Equal("30", r.Headers.GetValues("X-RateLimit-Limit").Single()));

        // The next minute is a fresh window.
        factory.AdvanceToNextMinute();
        var fresh = await client.GetAsync("/v1/tenant");
        await fresh.JsonAsync(HttpStatusCode.OK);
        Assert.Equal("29", fresh.Headers.GetValues("X-RateLimit-Remaining").Single());
    }

    [Fact]
    public async Task Each_key_has_its_own_window_and_custom_quotas_apply()
    {
        var tenant = await factory.CreateTenantAsync(plan: "starter");
        using var admin = factory.AdminClient();
        await (await admin.PatchJsonAsync($"/v1/admin/tenants/{tenant.TenantId}", new { customQuotas = new { requestsPerMinute = 5 } }))
            .JsonAsync(HttpStatusCode.OK);
        factory.AdvanceToNextMinute();
        var second = await tenant.CreateKeyAsync("viewer");
        using var a = tenant.Live();
        using var b = factory.ClientFor(second, tenant.TenantId);
        var first = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => a.GetAsync("/v1/tenant")));
        var other = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => b.GetAsync("/v1/tenant")));
        // Key a already used one request to create key b.
        Assert.Equal(4, first.Count(r => r.IsSuccessStatusCode));
        Assert.Equal(5, other.Count(r => r.IsSuccessStatusCode));
    }
}
