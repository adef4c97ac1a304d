using System.Diagnostics;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace CloudFran.Bench.Scenarios;

/// <summary>
/// Issue #6 (Autopilot): 100,000 enrolled leads (10,000 with --quick) on cadence [0,1,3,7], driven through
/// simulated time (sandbox keys may pass asOf to the campaign's processing) to a fake Twilio on 127.0.0.1:5091.
/// Every touch must arrive exactly once: the fake Twilio's count must equal 4 × leads.
/// </summary>
public sealed class AutopilotScenario : IScenario
{
    public string Name => "autopilot";

    public async Task RunAsync(BenchContext context)
    {
        var twilioCount = 0;
        await using var twilio = await StartAsync(5091, async http =>
        {
            Interlocked.Increment(ref twilioCount);
            http.Response.StatusCode = 201;
            await http.Response.WriteAsync($$"""{"sid":"SM{{Guid.NewGuid():N}}","status":"queued"}""");
        });

        var leads = context.Quick ? 10_000 : 100_000;
        var (tenantId, liveKey) = await context.CreateTenantAsync("Bench autopilot");
        var keys = await CrmScenario.CreateTestKeysAsync(context, liveKey, tenantId, 2);
        using var sandbox = context.Client(keys[0], tenantId);
        sandbox.Timeout = TimeSpan.FromMinutes(2);
        (await sandbox.PutAsJsonAsync("/v1/tenant/twilio", new { accountSid = "AC" + new string('b', 32), authToken = "0123456789abcdef0123456789abcdef" })).EnsureSuccessStatusCode();
        (await sandbox.PostAsJsonAsync("/v1/tenant/phone-numbers", new { phoneNumber = "+14155550199" })).EnsureSuccessStatusCode();
        for (var i = 0; i < leads / 10_000; i++)
        {
            using var gateway = CrmScenario.Gateway(context, keys[i % keys.Count]);
            await BenchContext.ReadJsonAsync(await gateway.PostAsync("/api/test/generate-leads", BenchContext.Json(new { count = 10_000, spread_days = 0 })));
        }
        var segment = await BenchContext.ReadJsonAsync(await sandbox.PostAsJsonAsync("/v1/crm/segments", new
        {
            name = "All generated", rules = new[] { new { field = "tags", @operator = "contains", value = "generated" } },
        }));

        var enrollWatch = Stopwatch.StartNew();
        var campaign = await BenchContext.ReadJsonAsync(await sandbox.PostAsJsonAsync("/v1/autopilot/campaigns", new
        {
            name = "Bench cadence", goal = "booking", cadenceDays = new[] { 0, 1, 3, 7 }, audienceSegmentId = segment.GetProperty("segmentId").GetString(),
        }));
        var enrolled = campaign.GetProperty("enrollments").GetProperty("active").GetInt64();
        Console.WriteLine($"   enrolled {enrolled:N0} leads in {enrollWatch.Elapsed.TotalSeconds:F1} s");
        var campaignId = campaign.GetProperty("campaignId").GetString();
        var enrolledAt = campaign.GetProperty("createdAt").GetDateTimeOffset();

        var expected = enrolled * 4;
        var before = Volatile.Read(ref twilioCount);
        long sent = 0;
        var passes = new List<(int Sent, double Seconds)>();
        var processWatch = Stopwatch.StartNew();
        foreach (var day in new[] { 0, 1, 3, 7 })
        {
            var asOf = InsideQuietWindow(enrolledAt.AddDays(day).AddMinutes(1));
            while (true)
            {
                var call = Stopwatch.StartNew();
                var result = await BenchContext.ReadJsonAsync(await sandbox.PostAsJsonAsync($"/v1/autopilot/campaigns/{campaignId}/process", new { asOf, maxTouches = 500 }));
                passes.Add((result.GetProperty("sent").GetInt32(), call.Elapsed.TotalSeconds));
                sent += result.GetProperty("sent").GetInt32();
                if (!result.GetProperty("hasMore").GetBoolean() && result.GetProperty("sent").GetInt32() == 0 && result.GetProperty("deferred").GetInt32() == 0)
                {
                    break;
                }
            }
        }
        var processSeconds = processWatch.Elapsed.TotalSeconds;
        var full = passes.Where(p => p.Sent >= 250).ToList();
        if (full.Count > 0)
        {
            Console.WriteLine($"   {passes.Count} passes; full passes average {full.Average(p => p.Sent / p.Seconds):F0} touches/s");
        }
        // Touches recorded as sent by every pass (these API-driven ones and any reminder tick in between).
        var stats = await BenchContext.ReadJsonAsync(await sandbox.GetAsync($"/v1/autopilot/campaigns/{campaignId}/stats"));
        sent = stats.GetProperty("variants").EnumerateArray().Sum(v => v.GetProperty("sent").GetInt64());
        var drainWatch = Stopwatch.StartNew();
        while (Volatile.Read(ref twilioCount) - before < expected && drainWatch.Elapsed < TimeSpan.FromMinutes(10))
        {
            await Task.Delay(100);
        }
        await Task.Delay(2000); // any duplicate would arrive now
        var arrived = Volatile.Read(ref twilioCount) - before;
        var endToEnd = processSeconds + drainWatch.Elapsed.TotalSeconds - 2;
        Console.WriteLine($"   touches recorded+queued: {sent:N0} in {processSeconds:F1} s ({sent / processSeconds:F0}/s); fake Twilio received {arrived:N0} of {expected:N0} expected ({arrived / endToEnd:F0}/s end to end); duplicates: {Math.Max(0, arrived - expected)}");
        context.Report($"Autopilot touches recorded and queued ({enrolled / 1000:N0}k leads × [0,1,3,7], touches/s)",
            new Measurement(sent / processSeconds, 0, 0, sent, expected - sent));
        // The target: touches reaching the fake Twilio, each exactly once.
        context.Report("Autopilot touches → fake Twilio (touches/s end to end, each exactly once)",
            new Measurement(arrived / endToEnd, 0, 0, arrived, Math.Abs(expected - arrived)), target: "≥ 1000/s, = 4 × leads",
            meets: _ => arrived == expected && arrived / endToEnd >= 1000);
    }

    /// <summary>The bench tenant's zone is UTC: move simulated time into 08:00–21:00.</summary>
    private static DateTimeOffset InsideQuietWindow(DateTimeOffset at) =>
        at.UtcDateTime.Hour >= 21 ? new DateTimeOffset(at.UtcDateTime.Date.AddDays(1).AddHours(8).AddMinutes(1), TimeSpan.Zero)
        : at.UtcDateTime.Hour < 8 ? new DateTimeOffset(at.UtcDateTime.Date.AddHours(8).AddMinutes(1), TimeSpan.Zero)
        : at;

    private static async Task<WebApplication> StartAsync(int port, RequestDelegate handler)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.Run(handler);
        await app.StartAsync();
        return app;
    }
}
