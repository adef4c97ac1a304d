using System.Text.Json;

namespace CloudFran.Bench.Scenarios;

/// <summary>
/// Issue #2 target: the authenticated, rate-limited, grain-backed <c>GET /v1/locations/{id}</c> reaches at least
/// 0.6× the throughput of a bare minimal-API JSON route measured in the same run.
/// </summary>
public sealed class FoundationScenario : IScenario
{
    public string Name => "foundation";

    public async Task RunAsync(BenchContext context)
    {
        var (tenantId, key) = await context.CreateTenantAsync("Bench foundation");
        using var setup = context.Client(key, tenantId);
        var location = await BenchContext.ReadJsonAsync(await setup.PostAsync("/v1/locations", BenchContext.Json(new
        {
            name = "Bench location",
            address = new { street = "1 Bench St", city = "Austin", country = "US" },
        })));
        var locationId = location.GetProperty("locationId").GetString();

        using var bare = context.Client();
        var baseline = await context.MeasureAsync(async (_, _) =>
        {
            using var r = await bare.GetAsync("/bench/bare");
            await r.Content.LoadIntoBufferAsync();
            return r.IsSuccessStatusCode;
        });
        context.Report("bare minimal-API JSON route", baseline);

        using var authed = context.Client(key, tenantId);
        var grain = await context.MeasureAsync(async (_, _) =>
        {
            using var r = await authed.GetAsync($"/v1/locations/{locationId}");
            await r.Content.LoadIntoBufferAsync();
            return r.IsSuccessStatusCode;
        });
        context.Report("GET /v1/locations/{id} (auth + rate limit + grain)", grain, "bare route", baseline, "≥ 0.60×", x => x >= 0.6);
        _ = JsonSerializerDefaults.Web;
    }
}
