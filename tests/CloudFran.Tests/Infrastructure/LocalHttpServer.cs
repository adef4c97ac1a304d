using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CloudFran.Tests.Infrastructure;

/// <summary>A request a local fake received, as it arrived on the wire.</summary>
public sealed record RecordedRequest(string Method, string Path, string Query, Dictionary<string, string> Headers,
    List<KeyValuePair<string, string>> Form, string Body, DateTimeOffset ReceivedAt)
{
    public string? FormValue(string name) => Form.FirstOrDefault(p => p.Key == name).Value;
}

/// <summary>
/// A real Kestrel server on 127.0.0.1 (random port) standing in for an external service at the network
/// boundary; <see cref="Handler"/> decides each answer, every request is recorded.
/// </summary>
public sealed class LocalHttpServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();
    public Func<RecordedRequest, HttpResponse, Task> Handler { get; set; } = (_, r) => { r.StatusCode = 200; return Task.CompletedTask; };
    public string BaseUrl { get; }

    private LocalHttpServer(WebApplication app, string baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    public static async Task<LocalHttpServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        LocalHttpServer? server = null;
        app.Run(async http =>
        {
            var form = new List<KeyValuePair<string, string>>();
            string body;
            http.Request.EnableBuffering();
            using (var reader = new StreamReader(http.Request.Body, leaveOpen: true))
            {
                body = await reader.ReadToEndAsync();
            }
            http.Request.Body.Position = 0;
            if (http.Request.HasFormContentType)
            {
                var f = await http.Request.ReadFormAsync();
                form.AddRange(f.SelectMany(kv => kv.Value.Select(v => new KeyValuePair<string, string>(kv.Key, v ?? ""))));
            }
            var recorded = new RecordedRequest(http.Request.Method, http.Request.Path, http.Request.QueryString.Value ?? "",
                http.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString()), form, body, DateTimeOffset.UtcNow);
            server!.Requests.Enqueue(recorded);
            await server.Handler(recorded, http.Response);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server = new LocalHttpServer(app, address);
        return server;
    }

    public async Task<RecordedRequest> WaitForAsync(Func<RecordedRequest, bool> match, TimeSpan? timeout = null, string what = "the expected request") =>
        (await Eventually.That($"{what} to reach {BaseUrl} ({Requests.Count} requests so far)", () => Requests.FirstOrDefault(match), r => r is not null, timeout))!;

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
