using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using MimeKit;

namespace CloudFran.Tests.Email;

/// <summary>One accepted SMTP transaction as it arrived on the wire (DATA with dot-stuffing undone).</summary>
public sealed record SmtpEnvelope(string MailFrom, IReadOnlyList<string> Recipients, string Data, DateTimeOffset ReceivedAt, int Connection = 0)
{
    public MimeMessage Parse() => MimeMessage.Load(new MemoryStream(Encoding.UTF8.GetBytes(Data)));
}

/// <summary>
/// A plain-text SMTP server on 127.0.0.1 (random port) speaking the real protocol (EHLO/HELO, MAIL, RCPT, DATA,
/// RSET, NOOP, QUIT); <see cref="RcptReply"/> can refuse a recipient with any reply line; accepted messages are recorded.
/// </summary>
public sealed class FakeSmtp : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();

    public ConcurrentQueue<SmtpEnvelope> Messages { get; } = new();

    /// <summary>Reply to RCPT TO for an address (null = "250 OK").</summary>
    public Func<string, string?> RcptReply { get; set; } = _ => null;

    /// <summary>Credentials accepted by AUTH PLAIN / AUTH LOGIN (any are accepted), in order.</summary>
    public ConcurrentQueue<(string User, string Password)> Logins { get; } = new();

    /// <summary>Every RCPT TO seen (accepted or not), in order.</summary>
    public ConcurrentQueue<string> RcptAttempts { get; } = new();

    public int Port { get; }

    private FakeSmtp(TcpListener listener)
    {
        _listener = listener;
        Port = ((IPEndPoint)listener.LocalEndpoint).Port;
        _ = AcceptLoopAsync();
    }

    public static FakeSmtp Start()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return new FakeSmtp(listener);
    }

    public IEnumerable<SmtpEnvelope> To(string address) =>
        Messages.Where(m => m.Recipients.Contains(address, StringComparer.OrdinalIgnoreCase));

    public async Task<SmtpEnvelope> WaitForAsync(string address, int count = 1) =>
        (await Eventually.That($"{count} message(s) to {address} at the fake relay", () => To(address).ToList(), found => found.Count >= count))[count - 1];

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception)
            {
                return;
            }
            var connection = Interlocked.Increment(ref _connections);
            _ = Task.Run(() => ServeAsync(client, connection));
        }
    }

    private int _connections;

    /// <summary>Connections accepted so far.</summary>
    public int Connections => Volatile.Read(ref _connections);

    private async Task ServeAsync(TcpClient client, int connection)
    {
        using var _ = client;
        try
        {
            var stream = client.GetStream();
            using var reader = new StreamReader(stream, new UTF8Encoding(false), false, 4096, leaveOpen: true);
            await using var writer = new StreamWriter(stream, new UTF8Encoding(false), 4096, leaveOpen: true) { NewLine = "\r\n", AutoFlush = true };
            await writer.WriteLineAsync("220 fake.smtp.test ESMTP ready");
            string? from = null;
            var rcpts = new List<string>();
            while (await reader.ReadLineAsync(_stop.Token) is { } line)
            {
                var verb = (line.Length >= 4 ? line[..4] : line).ToUpperInvariant();
                switch (verb)
                {
                    case "EHLO":
                        await writer.WriteAsync("250-fake.smtp.test\r\n250-8BITMIME\r\n250-AUTH PLAIN LOGIN\r\n250 SIZE 10485760\r\n");
                        break;
                    case "AUTH":
                        await AuthAsync(line, reader, writer);
                        break;
                    case "HELO":
                        await writer.WriteLineAsync("250 fake.smtp.test");
                        break;
                    case "MAIL":
                        from = Address(line);
                        rcpts.Clear();
                        await writer.WriteLineAsync("250 2.1.0 OK");
                        break;
                    case "RCPT":
                        var to = Address(line);
                        RcptAttempts.Enqueue(to);
                        var reply = RcptReply(to);
                        if (reply is null)
                        {
                            rcpts.Add(to);
                            await writer.WriteLineAsync("250 2.1.5 OK");
                        }
                        else
                        {
                            await writer.WriteLineAsync(reply);
                        }
                        break;
                    case "DATA":
                        if (from is null || rcpts.Count == 0)
                        {
                            await writer.WriteLineAsync("503 5.5.1 Need MAIL and RCPT first");
                            break;
                        }
                        await writer.WriteLineAsync("354 End data with <CR><LF>.<CR><LF>");
                        var data = new StringBuilder();
                        while (await reader.ReadLineAsync(_stop.Token) is { } dataLine && dataLine != ".")
                        {
                            data.Append(dataLine.StartsWith('.') ? dataLine[1..] : dataLine).Append("\r\n");
                        }
                        Messages.Enqueue(new SmtpEnvelope(from, rcpts.ToList(), data.ToString(), DateTimeOffset.UtcNow, connection));
                        from = null;
                        rcpts.Clear();
                        await writer.WriteLineAsync("250 2.0.0 Queued");
                        break;
                    case "RSET":
                        from = null;
                        rcpts.Clear();
                        await writer.WriteLineAsync("250 2.0.0 OK");
                        break;
                    case "NOOP":
                        await writer.WriteLineAsync("250 2.0.0 OK");
                        break;
                    case "QUIT":
                        await writer.WriteLineAsync("221 2.0.0 Bye");
                        return;
                    default:
                        await writer.WriteLineAsync("502 5.5.2 Command not implemented");
                        break;
                }
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException)
        {
        }
    }

    private async Task AuthAsync(string line, StreamReader reader, StreamWriter writer)
    {
        var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        static string Decode(string b64) => Encoding.UTF8.GetString(Convert.FromBase64String(b64));
        if (parts.Length >= 2 && parts[1].Equals("PLAIN", StringComparison.OrdinalIgnoreCase))
        {
            var payload = parts.Length > 2 ? parts[2] : await Prompt(writer, reader, "");
            var fields = Decode(payload).Split('\0');
            Logins.Enqueue((fields[1], fields[2]));
        }
        else if (parts.Length >= 2 && parts[1].Equals("LOGIN", StringComparison.OrdinalIgnoreCase))
        {
            var user = Decode(parts.Length > 2 ? parts[2] : await Prompt(writer, reader, "VXNlcm5hbWU6"));
            var password = Decode(await Prompt(writer, reader, "UGFzc3dvcmQ6"));
            Logins.Enqueue((user, password));
        }
        else
        {
            await writer.WriteLineAsync("504 5.5.4 Unrecognized authentication type");
            return;
        }
        await writer.WriteLineAsync("235 2.7.0 Authentication successful");

        static async Task<string> Prompt(StreamWriter writer, StreamReader reader, string challenge)
        {
            await writer.WriteLineAsync("334 " + challenge);
            return await reader.ReadLineAsync() ?? "";
        }
    }

    private static string Address(string line)
    {
        var open = line.IndexOf('<');
        var close = line.IndexOf('>', open + 1);
        return open >= 0 && close > open ? line[(open + 1)..close] : line[(line.IndexOf(':') + 1)..].Trim();
    }

    public ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        _stop.Dispose();
        return ValueTask.CompletedTask;
    }
}
