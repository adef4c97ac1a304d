using System.Net;
using System.Text.Json;

namespace CloudFran.Bench.Scenarios;

/// <summary>
/// Issue #4: a hot location under a booking storm (many concurrent attempts on few slots must end with exactly one
/// appointment per slot) and the availability query for a 14-day window with 20 providers.
/// </summary>
public sealed class CalendarScenario : IScenario
{
    public string Name => "calendar";

    public async Task RunAsync(BenchContext context)
    {
        var (tenantId, key) = await context.CreateTenantAsync("Bench calendar");
        using var client = context.Client(key, tenantId);
        var location = await BenchContext.ReadJsonAsync(await client.PostAsync("/v1/locations", BenchContext.Json(new
        {
            name = "Hot salon", address = new { street = "1 Hot St", city = "Denver", country = "US" }, timezone = "America/Denver",
            hours = new Dictionary<string, object[]>
            {
                ["monday"] = [new { open = "08:00", close = "20:00" }], ["tuesday"] = [new { open = "08:00", close = "20:00" }],
                ["wednesday"] = [new { open = "08:00", close = "20:00" }], ["thursday"] = [new { open = "08:00", close = "20:00" }],
                ["friday"] = [new { open = "08:00", close = "20:00" }], ["saturday"] = [new { open = "09:00", close = "17:00" }],
            },
        })));
        var locationId = location.GetProperty("locationId").GetString();
        for (var i = 0; i < 20; i++)
        {
            await BenchContext.ReadJsonAsync(await client.PostAsync("/v1/calendar/providers", BenchContext.Json(new { locationId, name = $"Stylist {i}", kind = "staff" })));
        }
        await BenchContext.ReadJsonAsync(await client.PostAsync("/v1/calendar/services", BenchContext.Json(new { locationId, name = "Cut", durationMinutes = 30, bufferAfterMinutes = 10 })));

        using var bare = context.Client();
        var baseline = await context.MeasureAsync(async (_, _) =>
        {
            using var r = await bare.GetAsync("/bench/bare");
            return r.IsSuccessStatusCode;
        });
        context.Report("bare minimal-API JSON route (calendar run)", baseline);

        var from = DateOnly.FromDateTime(DateTime.UtcNow).AddDays(1);
        var query = $"/v1/calendar/availability?locationId={locationId}&serviceType=Cut&dateFrom={from:yyyy-MM-dd}&dateTo={from.AddDays(13):yyyy-MM-dd}";
        var availability = await context.MeasureAsync(async (_, _) =>
        {
            using var r = await client.GetAsync(query);
            await r.Content.LoadIntoBufferAsync();
            return r.IsSuccessStatusCode;
        }, concurrency: 8);
        context.Report("availability, 14 days × 20 providers", availability, "bare route", baseline, "report", _ => true);

        // Booking storm: 50 slots (one provider-slot each), attempts spread over them until every slot is taken.
        var slots = (await BenchContext.ReadJsonAsync(await client.GetAsync(query))).GetProperty("slots").EnumerateArray()
            .Select(s => (Start: s.GetProperty("start").GetDateTimeOffset(), Provider: s.GetProperty("providerIds")[0].GetString()))
            .Where((_, i) => i % 8 == 0).Take(50).ToList();
        var attempts = context.Quick ? 2_000 : 10_000;
        long created = 0, conflicts = 0, other = 0;
        var watch = System.Diagnostics.Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, attempts), new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (i, _) =>
        {
            var slot = slots[i % slots.Count];
            using var r = await client.PostAsync("/v1/calendar/appointments", BenchContext.Json(new
            {
                locationId, serviceType = "Cut", start = slot.Start, providerId = slot.Provider, customerName = "Bench", customerPhone = "+13035550100",
            }));
            if (r.StatusCode == HttpStatusCode.Created) Interlocked.Increment(ref created);
            else if (r.StatusCode == HttpStatusCode.Conflict) Interlocked.Increment(ref conflicts);
            else Interlocked.Increment(ref other);
        });
        var rate = attempts / watch.Elapsed.TotalSeconds;
        Console.WriteLine($"   booking storm: {attempts} attempts on {slots.Count} slots → {created} booked, {conflicts} conflicts, {other} other");
        context.Report($"booking attempts ({attempts} on {slots.Count} slots; booked {created})",
            new Measurement(rate, 0, 0, created, other), "slots", null, $"exactly {slots.Count} booked", _ => created == slots.Count);
        _ = JsonSerializerDefaults.Web;
    }
}
