using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace CloudFran.Bench.Scenarios;

/// <summary>
/// Issue #3: acknowledged SMS sends per second (POST /v1/sms/send, durable before 201) against the bare route,
/// how fast the outbox drains to a fake Twilio, and webhook deliveries per second to a local receiver.
/// bench/run.sh points the platform at the fakes: Twilio on 127.0.0.1:5091, receiver on 127.0.0.1:5092.
/// </summary>
public sealed class MessagingScenario : IScenario
{
    public string Name => "messaging";

    public async Task RunAsync(BenchContext context)
    {
        var twilioCount = 0;
        var hookCount = 0;
        await using var twilio = await StartAsync(5091, async http =>
        {
            Interlocked.Increment(ref twilioCount);
            http.Response.StatusCode = 201;
            await http.Response.WriteAsync($$"""{"sid":"SM{{Guid.NewGuid():N}}","status":"queued"}""");
        });
        await using var receiver = await StartAsync(5092, http =>
        {
            Interlocked.Increment(ref hookCount);
            http.Response.StatusCode = 204;
            return Task.CompletedTask;
        });

        var (tenantId, key) = await context.CreateTenantAsync("Bench messaging");
        using var client = context.Client(key, tenantId);
        (await client.PutAsync("/v1/tenant/twilio", BenchContext.Json(new { accountSid = "AC" + new string('a', 32), authToken = "0123456789abcdef0123456789abcdef" }))).EnsureSuccessStatusCode();
        (await client.PostAsync("/v1/tenant/phone-numbers", BenchContext.Json(new { phoneNumber = "+14155550100" }))).EnsureSuccessStatusCode();
        (await client.PostAsync("/v1/webhooks/endpoints", BenchContext.Json(new { url = "http://127.0.0.1:5092/hooks", events = new[] { "sms.opt_out" } }))).EnsureSuccessStatusCode();

        using var bare = context.Client();
        var baseline = await context.MeasureAsync(async (_, _) =>
        {
            using var r = await bare.GetAsync("/bench/bare");
            return r.IsSuccessStatusCode;
        });
        context.Report("bare minimal-API JSON route (messaging run)", baseline);

        var before = Volatile.Read(ref twilioCount);
        var sendWatch = Stopwatch.StartNew();
        long accepted = 0;
        var sends = await context.MeasureAsync(async (w, i) =>
        {
            var to = "+1415555" + ((w * 7919 + i) % 10_000).ToString("D4");
            using var r = await client.PostAsync("/v1/sms/send", BenchContext.Json(new { to, message = "Bench message" }));
            if (r.IsSuccessStatusCode) Interlocked.Increment(ref accepted);
            return r.IsSuccessStatusCode;
        });
        context.Report("POST /v1/sms/send (acknowledged, durable)", sends, "bare route", baseline, "≥ 0.20×", x => x >= 0.2);

        // Drain: every acknowledged send must reach Twilio; time from the start of sending to the last arrival.
        var expected = before + Interlocked.Read(ref accepted);
        var deadline = Stopwatch.StartNew();
        while (Volatile.Read(ref twilioCount) < expected && deadline.Elapsed < TimeSpan.FromMinutes(3))
        {
            await Task.Delay(50);
        }
        var delivered = Volatile.Read(ref twilioCount) - before;
        var drainRate = delivered / sendWatch.Elapsed.TotalSeconds;
        Console.WriteLine($"   outbox → fake Twilio: {delivered} of {accepted} acknowledged sends delivered, {drainRate:F0} msg/s end to end");
        context.Report("SMS outbox → fake Twilio (msg/s end to end)", new Measurement(drainRate, 0, 0, delivered, accepted - delivered));

        // Webhooks: one opt-out event per request, delivered to the receiver.
        var hooksBefore = Volatile.Read(ref hookCount);
        var events = context.Quick ? 500 : 2000;
        var hookWatch = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, events), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, _) =>
        {
            using var r = await client.PostAsync("/v1/sms/opt-outs", BenchContext.Json(new { phone = "+1212555" + (i % 10_000).ToString("D4") }));
        });
        while (Volatile.Read(ref hookCount) - hooksBefore < events && hookWatch.Elapsed < TimeSpan.FromMinutes(3))
        {
            await Task.Delay(50);
        }
        var hooks = Volatile.Read(ref hookCount) - hooksBefore;
        context.Report("webhook deliveries (events/s end to end)", new Measurement(hooks / hookWatch.Elapsed.TotalSeconds, 0, 0, hooks, events - hooks));
    }

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
