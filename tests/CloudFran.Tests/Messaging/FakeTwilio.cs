using System.Text.Json;
using CloudFran.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace CloudFran.Tests.Messaging;

/// <summary>
/// Twilio's Messages REST resource on 127.0.0.1 in its real shape: form-encoded POST to
/// /2010-04-01/Accounts/{sid}/Messages.json with Basic auth, 201 with the message JSON, or Twilio's error body.
/// <see cref="Behaviour"/> picks an outcome per recipient.
/// </summary>
public sealed class FakeTwilio : IAsyncDisposable
{
    private readonly LocalHttpServer _server;
    private FakeTwilio(LocalHttpServer server)
    {
        _server = server;
        server.Handler = HandleAsync;
    }

    public string BaseUrl => _server.BaseUrl;
    public IEnumerable<RecordedRequest> Requests => _server.Requests;
    public IEnumerable<RecordedRequest> Messages => _server.Requests.Where(r => r.Path.EndsWith("/Messages.json", StringComparison.Ordinal));
    public Func<string, (int Status, int Code)?> Behaviour { get; set; } = _ => null;
    public TimeSpan Delay { get; set; }
    /// <summary>Overrides the SID answered for a recipient (null: a fresh unique one).</summary>
    public Func<string, string?> SidFor { get; set; } = _ => null;

    public static async Task<FakeTwilio> StartAsync() => new(await LocalHttpServer.StartAsync());

    public Task<RecordedRequest> WaitForMessageAsync(string to, TimeSpan? timeout = null) =>
        _server.WaitForAsync(r => r.Path.EndsWith("/Messages.json", StringComparison.Ordinal) && r.FormValue("To") == to, timeout, $"an SMS to {to}");

    private async Task HandleAsync(RecordedRequest request, HttpResponse response)
    {
        if (Delay > TimeSpan.Zero)
        {
            // A slow Twilio is the subject of the tests that set it (e.g. an opt-out landing while a stream of sends is in flight).
            await Task.Delay(Delay);
        }
        var to = request.FormValue("To") ?? "";
        if (Behaviour(to) is { } failure)
        {
            response.StatusCode = failure.Status;
            await response.WriteAsJsonAsync(new
            {
                code = failure.Code,
                message = $"Fake Twilio error {failure.Code}",
                more_info = $"https://www.twilio.com/docs/errors/{failure.Code}",
                status = failure.Status,
            });
            return;
        }
        response.StatusCode = 201;
        // Globally unique like Twilio's: several fakes (cluster nodes, restarts) can share one database.
        var sid = SidFor(to) ?? "SM" + Guid.NewGuid().ToString("N");
        await response.WriteAsync(JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["sid"] = sid, ["status"] = "queued", ["to"] = to, ["from"] = request.FormValue("From"),
            ["body"] = request.FormValue("Body"), ["num_segments"] = "1", ["error_code"] = null, ["error_message"] = null,
            ["date_created"] = DateTimeOffset.UtcNow.ToString("r"),
        }));
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
