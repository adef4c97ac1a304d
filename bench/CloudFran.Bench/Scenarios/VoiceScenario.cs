using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using CloudFran.Abstractions.Voice;
using CloudFran.Web.Messaging.Twilio;
using CloudFran.Grains.Voice;
using Microsoft.AspNetCore.SignalR.Client;

namespace CloudFran.Bench.Scenarios;

/// <summary>
/// Issue #5: signed respond turns with the offline engine (client and server latency; target server p99 ≤ 20 ms),
/// 500 concurrent calls, webhook-to-dashboard latency over SignalR (target p99 ≤ 50 ms), and the engine's intent/slot
/// accuracy on data/voice/utterances.tsv through POST /v1/voice/understand.
/// </summary>
public sealed class VoiceScenario : IScenario
{
    private const string Token = "0123456789abcdef0123456789abcdef";
    private static readonly string[] Questions =
    [
        "What time do you close today?", "Do you have parking?", "Where are you located?", "How much is the cheeseburger?",
        "¿A qué hora abren?", "What are your hours on Sunday?",
    ];

    public string Name => "voice";

    public async Task RunAsync(BenchContext context)
    {
        var (tenantId, key) = await context.CreateTenantAsync("Bench voice");
        using var client = context.Client(key, tenantId);
        var hours = new Dictionary<string, object>();
        foreach (var day in new[] { "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday" })
        {
            hours[day] = new[] { new { open = "09:00", close = "23:00" } };
        }
        var location = await BenchContext.ReadJsonAsync(await client.PostAsync("/v1/locations", BenchContext.Json(new
        {
            name = "Bench Burgers", address = new { street = "1 Main St", city = "Chicago", country = "US" }, timezone = "America/Chicago", hours,
        })));
        var locationId = location.GetProperty("locationId").GetString()!;
        (await client.PutAsync("/v1/tenant/twilio", BenchContext.Json(new { accountSid = "AC" + new string('b', 32), authToken = Token }))).EnsureSuccessStatusCode();
        var number = "+1312555" + Random.Shared.Next(0, 10_000).ToString("D4", CultureInfo.InvariantCulture);
        (await client.PostAsync("/v1/tenant/phone-numbers", BenchContext.Json(new { phoneNumber = number, locationId }))).EnsureSuccessStatusCode();
        (await client.PutAsync($"/v1/voice/locations/{locationId}/settings", BenchContext.Json(new
        {
            businessName = "Bench Burgers", industry = "restaurant",
            faq = new[] { new { question = "Do you have parking?", answer = "Yes, behind the building." } },
            menu = UtteranceEvaluation.Menu,
        }))).EnsureSuccessStatusCode();

        using var twilio = context.Client();
        async Task<bool> PostSignedAsync(string pathAndQuery, Dictionary<string, string> form)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, pathAndQuery) { Content = new FormUrlEncodedContent(form) };
            request.Headers.Add("X-Twilio-Signature", TwilioSignature.Compute(context.BaseUrl + pathAndQuery, form, Token));
            using var response = await twilio.SendAsync(request);
            return response.IsSuccessStatusCode;
        }
        Dictionary<string, string> Form(string callSid, string? speech = null)
        {
            var form = new Dictionary<string, string> { ["CallSid"] = callSid, ["From"] = "+13125550000", ["To"] = number, ["CallStatus"] = "in-progress" };
            if (speech is not null) { form["SpeechResult"] = speech; form["Confidence"] = "0.93"; }
            return form;
        }

        // 1. Respond turns: each worker keeps one call going, a new one every 10 turns.
        var calls = new ConcurrentDictionary<int, (string Sid, int Turns)>();
        var allCalls = new ConcurrentBag<string>();
        async Task<bool> TurnAsync(int worker, long i)
        {
            var (sid, turns) = calls.GetValueOrDefault(worker);
            if (sid is null || turns >= 10)
            {
                if (sid is not null) await PostSignedAsync("/api/voice-receptionist/status", Form(sid));
                sid = "CA" + Guid.NewGuid().ToString("N");
                allCalls.Add(sid);
                if (!await PostSignedAsync("/api/voice-receptionist/inbound", Form(sid))) return false;
                turns = 0;
            }
            calls[worker] = (sid, turns + 1);
            return await PostSignedAsync($"/api/voice-receptionist/respond?callSid={sid}", Form(sid, Questions[(int)(i % Questions.Length)]));
        }
        var turnsMeasured = await context.MeasureAsync(TurnAsync, concurrency: 16);
        context.Report("voice respond turn (signed webhook, client-observed)", turnsMeasured);
        var serverMs = await ServerLatenciesAsync(client, allCalls.Take(200).ToList());
        if (serverMs.Count > 0)
        {
            var p50 = Percentile(serverMs, 0.50);
            var p99 = Percentile(serverMs, 0.99);
            context.Report("voice respond turn, server time in the grain", new Measurement(0, p50, p99, serverMs.Count, 0), target: "p99 ≤ 20 ms");
            Console.WriteLine(FormattableString.Invariant($"   server turn latency over {serverMs.Count} turns: p50 {p50:F2} ms, p99 {p99:F2} ms → {(p99 <= 20 ? "met" : "NOT met")}"));
        }

        // 2. 500 concurrent calls.
        calls.Clear();
        var concurrent = await context.MeasureAsync(TurnAsync, concurrency: context.Quick ? 200 : 500);
        context.Report($"voice respond turn with {(context.Quick ? 200 : 500)} concurrent calls", concurrent);
        foreach (var (_, (sid, _)) in calls) await PostSignedAsync("/api/voice-receptionist/status", Form(sid));

        // 3. Webhook to dashboard: the time from posting a turn to its CallUpdated arriving on a hub connection.
        var arrivals = new ConcurrentDictionary<string, long>();
        await using var hub = new HubConnectionBuilder()
            .WithUrl(context.BaseUrl + "/voicecallhub", o =>
            {
                o.AccessTokenProvider = () => Task.FromResult<string?>(key);
                o.Headers["X-Tenant-Id"] = tenantId;
            })
            .Build();
        hub.On<JsonElement>("CallUpdated", e => arrivals.TryAdd($"{e.GetProperty("callSid").GetString()}:{e.GetProperty("turns").GetInt32()}", Stopwatch.GetTimestamp()));
        await hub.StartAsync();
        await hub.InvokeAsync("JoinTenantGroup", tenantId);
        var sent = new ConcurrentDictionary<string, long>();
        var rounds = context.Quick ? 100 : 400;
        await Parallel.ForAsync(0, 8, async (worker, _) =>
        {
            var sid = "CA" + Guid.NewGuid().ToString("N");
            await PostSignedAsync("/api/voice-receptionist/inbound", Form(sid));
            for (var t = 1; t <= rounds / 8; t++)
            {
                sent[$"{sid}:{t}"] = Stopwatch.GetTimestamp();
                await PostSignedAsync($"/api/voice-receptionist/respond?callSid={sid}", Form(sid, Questions[t % Questions.Length]));
            }
            await PostSignedAsync("/api/voice-receptionist/status", Form(sid));
        });
        await Task.Delay(1000);
        var delays = sent.Where(s => arrivals.ContainsKey(s.Key))
            .Select(s => Stopwatch.GetElapsedTime(s.Value, arrivals[s.Key]).TotalMilliseconds).ToList();
        if (delays.Count > 0)
        {
            var p99 = Percentile(delays, 0.99);
            context.Report("voice webhook → dashboard event (SignalR)", new Measurement(0, Percentile(delays, 0.5), p99, delays.Count, sent.Count - delays.Count),
                target: "p99 ≤ 50 ms");
            Console.WriteLine(FormattableString.Invariant($"   dashboard latency over {delays.Count}/{sent.Count} events: p50 {Percentile(delays, 0.5):F1} ms, p99 {p99:F1} ms → {(p99 <= 50 ? "met" : "NOT met")}"));
        }

        // 4. Accuracy on the labelled set, through the API.
        var root = FindRepoRoot();
        var set = UtteranceEvaluation.Parse(await File.ReadAllTextAsync(Path.Combine(root, "data/voice/utterances.tsv")));
        var answers = new Understanding[set.Count];
        var watch = Stopwatch.StartNew();
        await Parallel.ForAsync(0, set.Count, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
        {
            using var r = await client.PostAsync("/v1/voice/understand", BenchContext.Json(new { text = set[i].Text, industry = set[i].Industry, locationId }));
            var json = await BenchContext.ReadJsonAsync(r);
            answers[i] = new Understanding(json.GetProperty("intent").GetString()!, json.GetProperty("confidence").GetDouble(),
                json.GetProperty("language").GetString()!,
                json.GetProperty("slots").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!));
        });
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var result = UtteranceEvaluation.Score(set, answers, today);
        Console.WriteLine(FormattableString.Invariant(
            $"   labelled set: {set.Count} utterances in {watch.Elapsed.TotalMilliseconds:F0} ms — intent accuracy {result.IntentAccuracy:P1}, slot accuracy {result.SlotAccuracy:P1}, language {result.LanguageAccuracy:P1}"));
        context.Report(FormattableString.Invariant($"voice engine accuracy: intent {result.IntentAccuracy:P1}, slots {result.SlotAccuracy:P1} ({set.Count} utterances)"),
            new Measurement(set.Count / watch.Elapsed.TotalSeconds, 0, 0, set.Count, 0));
    }

    private static async Task<List<double>> ServerLatenciesAsync(HttpClient client, IReadOnlyList<string> callSids)
    {
        var result = new List<double>();
        foreach (var sid in callSids)
        {
            using var r = await client.GetAsync($"/v1/voice/calls/{sid}");
            if (!r.IsSuccessStatusCode) continue;
            var call = await BenchContext.ReadJsonAsync(r);
            result.AddRange(call.GetProperty("turns").EnumerateArray().Select(t => t.GetProperty("serverMs").GetDouble()));
        }
        return result;
    }

    private static double Percentile(List<double> values, double p)
    {
        var sorted = values.Order().ToList();
        return sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
    }

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "CloudFran.Orleans.sln"))) dir = dir.Parent;
        return dir?.FullName ?? Directory.GetCurrentDirectory();
    }
}
