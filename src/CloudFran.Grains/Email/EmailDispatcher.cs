using CloudFran.Abstractions.Messaging;
using CloudFran.Grains.Messaging;
using System.Globalization;
using System.Net.Sockets;
using CloudFran.Abstractions.Keys;
using CloudFran.Grains.Background;
using CloudFran.Grains.Events;
using CloudFran.Grains.Storage;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MimeKit;
using MimeKit.Utils;

namespace CloudFran.Grains.Email;

/// <summary>Wakes this node's email dispatcher when a message was queued here.</summary>
public sealed class EmailDispatchSignal : Background.WakeSignal;

/// <summary>
/// Moves queued email from the outbox to each tenant's SMTP relay. Every node runs one; rows are claimed with
/// <c>FOR UPDATE SKIP LOCKED</c> and a lease, so nodes share the work and a message whose node died is claimed again
/// when its lease runs out. SMTP 5xx fails a message for good; 4xx replies, timeouts and connection errors are
/// retried with exponential backoff up to <see cref="EmailOptions.MaxSendAttempts"/>.
/// </summary>
public sealed partial class EmailDispatcher(
    PlatformDb db,
    TimeProvider clock,
    EmailDispatchSignal signal,
    EmailUnsubscribeTokens tokens,
    IOptions<EmailOptions> options,
    IOptions<MessagingOptions> messaging,
    ILogger<EmailDispatcher> logger) : PollingWorker(signal, logger)
{
    protected override TimeSpan PollInterval => options.Value.PollInterval;

    private TimeSpan Lease => options.Value.SmtpTimeout * 3;

    private sealed record Claimed(string MessageId, TenantScope Scope, string To, string Subject, string Body, string Category, int Attempts,
        string? Html);

    private sealed record Settings(string Host, int Port, string? Username, string? Password, string FromAddress, string? FromName, string Security);

    public override async Task<int> RunOnceAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var batch = await db.QueryAsync(
            """
            UPDATE email_messages SET next_attempt_at = @lease, attempts = attempts + 1
             WHERE message_id IN (SELECT message_id FROM email_messages
                                   WHERE status = 'queued' AND next_attempt_at <= @now
                                   ORDER BY next_attempt_at LIMIT 64 FOR UPDATE SKIP LOCKED)
            RETURNING message_id, tenant_id, env, to_address, subject, text_body, category, attempts, html_body
            """,
            r => new Claimed(r.GetString(0), TenantScope.Of(r.GetString(1), r.GetString(2)),
                r.GetString(3), r.GetString(4), r.GetString(5), r.GetString(6), r.GetInt32(7), r.NullableString("html_body")),
            ("lease", now + Lease), ("now", now));
        // One SMTP connection carries up to MessagesPerConnection messages of one tenant partition (its relay).
        var perConnection = Math.Max(1, options.Value.MessagesPerConnection);
        var conversations = batch.GroupBy(m => m.Scope).SelectMany(g => g.Chunk(perConnection)).ToList();
        await Parallel.ForEachAsync(conversations, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct },
            async (messages, token) => await DeliverOverOneConnectionAsync(messages, token));
        return batch.Count;
    }

    /// <summary>
    /// Sends one tenant's messages over a single SMTP connection, opened for the first message that needs it. A
    /// message's own rejection (5xx) fails only that message; a broken connection is reopened for the next one; a relay
    /// that cannot be reached or is refused gives every remaining message the same retry without trying again, and
    /// messages left when half the lease has gone are released for the next pass (so no claim outlives its lease).
    /// </summary>
    private async Task DeliverOverOneConnectionAsync(IReadOnlyList<Claimed> messages, CancellationToken ct)
    {
        var settings = await db.QuerySingleAsync(
            "SELECT host, port, username, password, from_address, from_name, security FROM tenant_email WHERE tenant_id = @t AND env = @e",
            r => new Settings(r.GetString(0), r.GetInt32(1), r.NullableString("username"), r.NullableString("password"), r.GetString(4),
                r.NullableString("from_name"), r.GetString(6)),
            ("t", messages[0].Scope.TenantId), ("e", messages[0].Scope.EnvName));
        var started = clock.GetUtcNow();
        SmtpClient? client = null;
        Exception? unreachable = null;
        try
        {
            for (var i = 0; i < messages.Count; i++)
            {
                var m = messages[i];
                if (clock.GetUtcNow() - started > Lease / 2)
                {
                    await ReleaseAsync(messages.Skip(i));
                    return;
                }
                try
                {
                    var message = await PrepareAsync(m, settings);
                    if (message is null)
                    {
                        continue;
                    }
                    if (unreachable is not null)
                    {
                        await RetryOrFailAsync(m, unreachable);
                        continue;
                    }
                    if (client is null)
                    {
                        try
                        {
                            client = await ConnectAsync(settings!, ct);
                        }
                        catch (Exception e) when (IsTransient(e, ct) || e is AuthenticationException or RelayRefusedException)
                        {
                            unreachable = e;
                            await RetryOrFailAsync(m, e);
                            continue;
                        }
                    }
                    try
                    {
                        await client.SendAsync(message, ct);
                    }
                    catch (Exception e) when (e is not SmtpCommandException && IsTransient(e, ct))
                    {
                        // The connection broke: this message is retried, the next one gets a new connection.
                        client.Dispose();
                        client = null;
                        throw;
                    }
                    await FinishAsync(m, EmailStatus.Sent, null, null, message.MessageId);
                }
                catch (Exception e) when (IsTransient(e, ct))
                {
                    await RetryOrFailAsync(m, e);
                }
                catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    // The lease expires and the message is claimed again.
                    LogDeliveryFailed(logger, m.MessageId, e);
                }
            }
        }
        finally
        {
            if (client is not null)
            {
                try
                {
                    await client.DisconnectAsync(true, CancellationToken.None);
                }
                catch (Exception e) when (IsTransient(e, CancellationToken.None))
                {
                    // Every message was recorded already; a failed QUIT changes nothing.
                }
                client.Dispose();
            }
        }
    }

    /// <summary>The composed message, or null when the message was settled without sending (unsubscribed, no settings).</summary>
    private async Task<MimeMessage?> PrepareAsync(Claimed m, Settings? settings)
    {
        if (m.Category == "marketing" && await db.ScalarAsync<string>(
                "SELECT status FROM email_consent WHERE tenant_id = @t AND env = @e AND address = @a",
                ("t", m.Scope.TenantId), ("e", m.Scope.EnvName), ("a", m.To)) == "opted_out")
        {
            await FinishAsync(m, EmailStatus.Suppressed, MessagingErrors.RecipientOptedOut, "Recipient unsubscribed.", null);
            return null;
        }
        if (settings is null)
        {
            await FinishAsync(m, EmailStatus.Failed, "EMAIL_NOT_CONFIGURED", "The tenant has no email settings (PUT /v1/tenant/email).", null);
            return null;
        }
        string? unsubscribeUrl = null;
        if (m.Category == "marketing")
        {
            if (messaging.Value.PublicBaseUrl is not { Length: > 0 } baseUrl)
            {
                await FinishAsync(m, EmailStatus.Failed, "NO_UNSUBSCRIBE_URL",
                    "Marketing email needs CLOUDFRAN_PUBLIC_BASE_URL for its unsubscribe link.", null);
                return null;
            }
            unsubscribeUrl = $"{baseUrl.TrimEnd('/')}/v1/email/unsubscribe?token={Uri.EscapeDataString(await tokens.CreateAsync(m.Scope, m.To))}";
        }
        return Compose(m, settings, unsubscribeUrl, clock.GetUtcNow());
    }

    /// <summary>
    /// Resolves the relay, refuses internal addresses (unless allowed), connects a socket to a vetted address and
    /// hands it to MailKit with the host name (for TLS), so DNS cannot answer differently between check and connect.
    /// </summary>
    private async Task<SmtpClient> ConnectAsync(Settings settings, CancellationToken ct)
    {
        var (addresses, refused) = await Webhooks.WebhookUrlGuard.ResolveAsync(settings.Host, options.Value.AllowPrivateHosts, ct);
        if (refused is not null)
        {
            throw new RelayRefusedException(refused);
        }
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(options.Value.SmtpTimeout);
            await socket.ConnectAsync(addresses, settings.Port, timeout.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            socket.Dispose();
            throw new TimeoutException($"Connecting to {settings.Host}:{settings.Port} timed out.");
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        var client = new SmtpClient { Timeout = (int)options.Value.SmtpTimeout.TotalMilliseconds };
        try
        {
            var security = settings.Security switch
            {
                "tls" => SecureSocketOptions.SslOnConnect,
                "starttls" => SecureSocketOptions.StartTls,
                _ => SecureSocketOptions.None,
            };
            await client.ConnectAsync(socket, settings.Host, settings.Port, security, ct);
            if (settings.Username is not null)
            {
                await client.AuthenticateAsync(settings.Username, settings.Password ?? "", ct);
            }
            return client;
        }
        catch
        {
            client.Dispose();
            socket.Dispose();
            throw;
        }
    }

    private static bool IsTransient(Exception e, CancellationToken ct) =>
        e is SmtpCommandException or SmtpProtocolException or ServiceNotConnectedException or IOException
            or SocketException or TimeoutException or SslHandshakeException or NotSupportedException
        || e is OperationCanceledException && !ct.IsCancellationRequested;

    /// <summary>4xx replies, timeouts and connection errors: retried with backoff until the attempts run out.
    /// A 5xx reply, a refused relay address or failed authentication is final at once.</summary>
    private async Task RetryOrFailAsync(Claimed m, Exception e)
    {
        if (e is SmtpCommandException { StatusCode: var status } && (int)status >= 500)
        {
            await FinishAsync(m, EmailStatus.Failed, ((int)status).ToString(CultureInfo.InvariantCulture), e.Message, null);
            return;
        }
        if (e is AuthenticationException)
        {
            await FinishAsync(m, EmailStatus.Failed, "SMTP_AUTH_FAILED", e.Message, null);
            return;
        }
        if (e is RelayRefusedException)
        {
            await FinishAsync(m, EmailStatus.Failed, "SMTP_HOST_REFUSED", e.Message, null);
            return;
        }
        var code = e is SmtpCommandException c ? ((int)c.StatusCode).ToString(CultureInfo.InvariantCulture)
            : e is NotSupportedException ? "SMTP_UNSUPPORTED" : "SMTP_UNAVAILABLE";
        if (m.Attempts >= options.Value.MaxSendAttempts)
        {
            await FinishAsync(m, EmailStatus.Failed, code, e.Message, null);
            return;
        }
        var delay = options.Value.RetryBaseDelay * Math.Pow(2, m.Attempts - 1);
        LogRetry(logger, m.MessageId, code, delay);
        await db.ExecuteAsync(
            """
            UPDATE email_messages SET next_attempt_at = @next, error_code = @code, error_message = @msg, updated_at = @now
             WHERE message_id = @m AND status = 'queued'
            """,
            ("next", clock.GetUtcNow() + delay), ("code", code), ("msg", Truncate(e.Message)), ("now", clock.GetUtcNow()), ("m", m.MessageId));
    }

    /// <summary>Gives claimed messages back (due now, this claim's attempt not counted).</summary>
    private Task ReleaseAsync(IEnumerable<Claimed> messages) => db.ExecuteAsync(
        "UPDATE email_messages SET next_attempt_at = @now, attempts = attempts - 1 WHERE message_id = ANY(@ids) AND status = 'queued'",
        ("now", clock.GetUtcNow()), ("ids", messages.Select(m => m.MessageId).ToArray()));

    /// <summary>The relay's host resolves to an address the platform will not connect to (SSRF guard).</summary>
    private sealed class RelayRefusedException(string message) : Exception(message);

    private static MimeMessage Compose(Claimed m, Settings settings, string? unsubscribeUrl, DateTimeOffset now)
    {
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress(settings.FromName ?? "", settings.FromAddress));
        message.To.Add(MailboxAddress.Parse(m.To));
        message.Subject = m.Subject;
        message.Date = now;
        message.MessageId = MimeUtils.GenerateMessageId(settings.FromAddress[(settings.FromAddress.IndexOf('@') + 1)..]);
        message.Headers.Add("X-CloudFran-Message-Id", m.MessageId);
        var text = m.Body;
        if (unsubscribeUrl is not null)
        {
            // RFC 2369 link plus RFC 8058 one-click: mailbox providers POST "List-Unsubscribe=One-Click" to the URL.
            message.Headers.Add("List-Unsubscribe", $"<{unsubscribeUrl}>");
            message.Headers.Add("List-Unsubscribe-Post", "List-Unsubscribe=One-Click");
            text += $"\r\n\r\n--\r\nYou are receiving this because you are in touch with {settings.FromName ?? settings.FromAddress}. "
                  + $"Unsubscribe: {unsubscribeUrl}\r\n";
        }
        var plain = new TextPart("plain") { Text = text };
        if (m.Html is null)
        {
            message.Body = plain;
            return message;
        }
        var html = m.Html;
        if (unsubscribeUrl is not null)
        {
            var who = System.Net.WebUtility.HtmlEncode(settings.FromName ?? settings.FromAddress);
            var footer = $"<p style=\"font-size:12px;color:#666\">You are receiving this because you are in touch with {who}. "
                         + $"<a href=\"{System.Net.WebUtility.HtmlEncode(unsubscribeUrl)}\">Unsubscribe</a></p>";
            var end = html.LastIndexOf("</body>", StringComparison.OrdinalIgnoreCase);
            html = end >= 0 ? html[..end] + footer + html[end..] : html + footer;
        }
        // Plain text first, HTML last: clients show the last alternative they can render.
        message.Body = new MultipartAlternative { plain, new TextPart("html") { Text = html } };
        return message;
    }

    /// <summary>Final status plus its event in one transaction; only a queued row changes (a replayed claim does nothing).</summary>
    private async Task FinishAsync(Claimed m, string status, string? code, string? error, string? smtpMessageId)
    {
        var now = clock.GetUtcNow();
        await using var tx = await db.BeginAsync();
        if (await tx.ExecuteAsync(
                """
                UPDATE email_messages SET status = @s, error_code = @code, error_message = @err, smtp_message_id = @mid,
                       sent_at = CASE WHEN @s = 'sent' THEN @now END, next_attempt_at = NULL, updated_at = @now
                 WHERE message_id = @m AND status = 'queued'
                """,
                ("s", status), ("code", code), ("err", Truncate(error)), ("mid", smtpMessageId), ("now", now), ("m", m.MessageId)) == 1
            && status is EmailStatus.Sent or EmailStatus.Failed)
        {
            var type = status == EmailStatus.Sent ? "email.sent" : "email.failed";
            await EventOutbox.AppendAsync(tx, m.Scope, type,
                new { messageId = m.MessageId, to = m.To, category = m.Category, status, errorCode = code }, $"{type}:{m.MessageId}");
        }
        await tx.CommitAsync();
    }

    private static string? Truncate(string? s) => s is { Length: > 500 } ? s[..500] : s;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Delivering email {MessageId} failed; it will be retried")]
    private static partial void LogDeliveryFailed(ILogger logger, string messageId, Exception e);

    [LoggerMessage(Level = LogLevel.Information, Message = "Email {MessageId}: SMTP {Code}, retry in {Delay}")]
    private static partial void LogRetry(ILogger logger, string messageId, string code, TimeSpan delay);
}
