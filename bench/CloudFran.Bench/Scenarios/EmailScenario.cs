using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace CloudFran.Bench.Scenarios;

/// <summary>
/// Issue #6: acknowledged email sends per second (POST /v1/email/send, durable before 201) against the bare route,
/// and how fast the outbox drains over SMTP to a minimal relay on 127.0.0.1 that accepts every message.
/// </summary>
public sealed class EmailScenario : IScenario
{
    public string Name => "email";

    public async Task RunAsync(BenchContext context)
    {
        using var stop = new CancellationTokenSource();
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var received = 0;
        var relay = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                TcpClient connection;
                try { connection = await listener.AcceptTcpClientAsync(stop.Token); }
                catch (OperationCanceledException) { return; }
                _ = Task.Run(() => ServeAsync(connection, () => Interlocked.Increment(ref received), stop.Token));
            }
        });

        var (tenantId, key) = await context.CreateTenantAsync("Bench email");
        using var client = context.Client(key, tenantId);
        (await client.PutAsync("/v1/tenant/email", BenchContext.Json(new
        {
            host = "127.0.0.1", port, fromAddress = "bench@franchise.example", fromName = "Bench", security = "none",
        }))).EnsureSuccessStatusCode();

        using var bare = context.Client();
        var baseline = await context.MeasureAsync(async (_, _) =>
        {
            using var r = await bare.GetAsync("/bench/bare");
            return r.IsSuccessStatusCode;
        });
        context.Report("bare minimal-API JSON route (email run)", baseline);

        var watch = Stopwatch.StartNew();
        long accepted = 0;
        var sends = await context.MeasureAsync(async (w, i) =>
        {
            using var r = await client.PostAsync("/v1/email/send", BenchContext.Json(new
            {
                to = $"guest{w}.{i}@example.org", subject = "Your booking", text = "See you soon.", category = "transactional",
            }));
            if (r.IsSuccessStatusCode) Interlocked.Increment(ref accepted);
            return r.IsSuccessStatusCode;
        });
        context.Report("POST /v1/email/send (acknowledged, durable)", sends, "bare route", baseline);

        var deadline = Stopwatch.StartNew();
        while (Volatile.Read(ref received) < Interlocked.Read(ref accepted) && deadline.Elapsed < TimeSpan.FromMinutes(3))
        {
            await Task.Delay(50);
        }
        var delivered = Volatile.Read(ref received);
        var rate = delivered / watch.Elapsed.TotalSeconds;
        Console.WriteLine($"   outbox → SMTP relay: {delivered} of {accepted} acknowledged sends delivered, {rate:F0} msg/s end to end");
        context.Report("email outbox → SMTP relay (msg/s end to end)", new Measurement(rate, 0, 0, delivered, accepted - delivered));

        await stop.CancelAsync();
        listener.Stop();
        await relay;
    }

    /// <summary>Just enough SMTP for a client to hand over messages: every command succeeds, DATA is read to the dot.</summary>
    private static async Task ServeAsync(TcpClient connection, Action onMessage, CancellationToken ct)
    {
        using var _ = connection;
        try
        {
            var stream = connection.GetStream();
            using var reader = new StreamReader(stream, Encoding.ASCII, false, 8192, leaveOpen: true);
            await using var writer = new StreamWriter(stream, Encoding.ASCII, 8192, leaveOpen: true) { NewLine = "\r\n", AutoFlush = true };
            await writer.WriteLineAsync("220 bench ESMTP");
            while (await reader.ReadLineAsync(ct) is { } line)
            {
                var verb = line.Length >= 4 ? line[..4].ToUpperInvariant() : line.ToUpperInvariant();
                if (verb == "EHLO") await writer.WriteAsync("250-bench\r\n250 8BITMIME\r\n");
                else if (verb == "DATA")
                {
                    await writer.WriteLineAsync("354 go ahead");
                    while (await reader.ReadLineAsync(ct) is { } data && data != ".") { }
                    onMessage();
                    await writer.WriteLineAsync("250 queued");
                }
                else if (verb == "QUIT") { await writer.WriteLineAsync("221 bye"); return; }
                else await writer.WriteLineAsync("250 ok");
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }
}
