using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace CloudFran.Tests.Infrastructure;

/// <summary>
/// The system's Chromium (Debian package <c>chromium</c>, installed by scripts/prereqs.sh) run headless and driven
/// over the DevTools protocol: open a page, evaluate JavaScript in it. A real browser, no driver package needed.
/// </summary>
public sealed class HeadlessChromium : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _profile;
    private readonly ClientWebSocket _socket = new();
    private int _nextId;

    private HeadlessChromium(Process process, string profile)
    {
        _process = process;
        _profile = profile;
    }

    public static string? Executable =>
        new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome" }.FirstOrDefault(File.Exists);

    public static async Task<HeadlessChromium> OpenAsync(string url)
    {
        var exe = Executable ?? throw new InvalidOperationException("Chromium is not installed (scripts/prereqs.sh installs the Debian package).");
        var port = PlatformFactory.FreePort();
        var profile = Path.Combine(Path.GetTempPath(), "cf-chromium-" + Guid.NewGuid().ToString("N")[..8]);
        var psi = new ProcessStartInfo(exe) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                     $"--remote-debugging-port={port}", $"--user-data-dir={profile}", "about:blank" })
        {
            psi.ArgumentList.Add(a);
        }
        var process = Process.Start(psi)!;
        process.ErrorDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        process.OutputDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        var browser = new HeadlessChromium(process, profile);
        using var http = new HttpClient();
        string? socketUrl;
        try
        {
            socketUrl = await Eventually.Async("Chromium to open its DevTools endpoint", async () =>
            {
                try
                {
                    using var response = await http.PutAsync($"http://127.0.0.1:{port}/json/new?{Uri.EscapeDataString(url)}", null);
                    if (!response.IsSuccessStatusCode) return null;
                    using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                    return doc.RootElement.GetProperty("webSocketDebuggerUrl").GetString();
                }
                catch (HttpRequestException)
                {
                    return null; // Not listening yet.
                }
            }, s => s is not null);
        }
        catch
        {
            await browser.DisposeAsync();
            throw;
        }
        await browser._socket.ConnectAsync(new Uri(socketUrl!), CancellationToken.None);
        return browser;
    }

    /// <summary>Evaluates an expression in the page and returns its value as JSON.</summary>
    public async Task<JsonElement> EvaluateAsync(string expression)
    {
        var id = Interlocked.Increment(ref _nextId);
        var command = JsonSerializer.SerializeToUtf8Bytes(new
        {
            id, method = "Runtime.evaluate", @params = new { expression, returnByValue = true, awaitPromise = true },
        });
        await _socket.SendAsync(command, WebSocketMessageType.Text, true, CancellationToken.None);
        var buffer = new byte[1 << 16];
        while (true)
        {
            using var message = new MemoryStream();
            WebSocketReceiveResult result;
            do
            {
                result = await _socket.ReceiveAsync(buffer, CancellationToken.None);
                message.Write(buffer, 0, result.Count);
            }
            while (!result.EndOfMessage);
            using var doc = JsonDocument.Parse(message.ToArray());
            if (doc.RootElement.TryGetProperty("id", out var got) && got.GetInt32() == id)
            {
                var value = doc.RootElement.GetProperty("result").GetProperty("result");
                return value.TryGetProperty("value", out var v) ? v.Clone() : default;
            }
        }
    }

    /// <summary>Polls an expression until it yields a string satisfying <paramref name="match"/>.</summary>
    public async Task<string> WaitForAsync(string expression, Func<string, bool> match, TimeSpan? timeout = null)
    {
        return await Eventually.Async($"the page expression '{expression}' to match", async () =>
        {
            var value = await EvaluateAsync(expression);
            return value.ValueKind == JsonValueKind.String ? value.GetString()! : value.ToString();
        }, match, timeout);
    }

    public async ValueTask DisposeAsync()
    {
        try { _socket.Dispose(); } catch (ObjectDisposedException) { }
        try { _process.Kill(entireProcessTree: true); await _process.WaitForExitAsync(); } catch (InvalidOperationException) { }
        _process.Dispose();
        try { Directory.Delete(_profile, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        await Task.CompletedTask;
    }
}
