using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using CloudFran.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace CloudFran.Tests.Loyalty;

/// <summary>
/// What one card top-up costs inside the platform: grain calls and SQL statements traced under the request's own
/// trace id (grain-call spans are on: an OTLP endpoint is configured, nothing listens there). The wallet owns
/// loyalty_wallet_loads, so a top-up is the API calling the member's wallet, which asks the program for its limit.
/// </summary>
public sealed class WalletTopUpCostTests : IClassFixture<LoyaltyFactory>, IDisposable
{
    private readonly LoyaltyFactory _factory;
    private readonly ITestOutputHelper _output;
    private readonly ActivityListener _listener;
    private readonly ConcurrentBag<Activity> _spans = [];

    public WalletTopUpCostTests(LoyaltyFactory factory, ITestOutputHelper output)
    {
        (_factory, _output) = (factory, output);
        _factory.Settings["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:9";
        _listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name is "Npgsql" or "Microsoft.Orleans.Runtime" or "Microsoft.Orleans.Application" or "Microsoft.AspNetCore",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => _spans.Add(a),
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public void Dispose() => _listener.Dispose();

    [Fact]
    public async Task A_top_up_is_one_wallet_call_and_a_handful_of_statements()
    {
        var tenant = await _factory.CreateTenantAsync();
        using var client = tenant.Live();
        var id = await LoyaltyFactory.CreateMemberAsync(client);
        await LoyaltyFactory.MemberAsync(client, id); // the wallet and the program are active and cached, as in steady use

        var trace = ActivityTraceId.CreateRandom();
        var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/loyalty/members/{id}/wallet/load")
        {
            Content = JsonContent.Create(new { amount = 25.00m, paymentMethodId = "pm_card_visa" }),
        };
        request.Headers.Add("Idempotency-Key", "cost-1");
        request.Headers.Add("traceparent", $"00-{trace}-{ActivitySpanId.CreateRandom()}-01");
        await (await client.SendAsync(request)).JsonAsync(HttpStatusCode.Created); // its grain calls and statements have ended

        var ours = _spans.Where(s => s.TraceId == trace).ToList();
        // The API key check is every request's, not the top-up's.
        var grainCalls = ours.Where(s => s.Source.Name == "Microsoft.Orleans.Application" && s.Kind == ActivityKind.Server)
            .Select(s => s.DisplayName).Where(name => !name.StartsWith("IApiKeyGrain/", StringComparison.Ordinal)).ToList();
        var statements = ours.Where(s => s.Source.Name == "Npgsql").ToList();
        _output.WriteLine($"grain calls ({grainCalls.Count}): {string.Join(", ", grainCalls)}");
        _output.WriteLine($"SQL statements: {statements.Count}");
        foreach (var s in statements)
        {
            _output.WriteLine("  " + Sql(s).Split('\n')[0]);
        }
        // Measured when the wallet took over loyalty_wallet_loads: 4 grain calls and 11 statements before, 2 and 7 after.
        Assert.Equal(["ILoyaltyProgramGrain/GetAsync", "IWalletGrain/LoadAsync"], grainCalls.Order(StringComparer.Ordinal));
        Assert.InRange(statements.Count, 1, 7);
        Assert.Single(statements, s => Sql(s).StartsWith("SELECT load_id", StringComparison.Ordinal)); // the load row, read once
    }

    private static string Sql(Activity statement) =>
        (statement.GetTagItem("db.query.text") ?? statement.GetTagItem("db.statement") ?? statement.DisplayName).ToString() ?? "";
}
