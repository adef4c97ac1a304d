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
using Npgsql;

namespace CloudFran.Grains.Messaging.Email;

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

    private sealed record Claimed(string MessageId, TenantScope Scope, string To, string Subject, string Body, string Category, int Attempts);

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
            RETURNING message_id, tenant_id, env, to_address, subject, text_body, category, attempts
            """,
            r => new Claimed(r.GetString(0), new TenantScope(r.GetString(1), r.GetString(2) == "test" ? DataEnv.Test : DataEnv.Live),
                r.GetString(3), r.GetString(4), r.GetString(5), r.GetString(6), r.GetInt32(7)),
            ("lease", now + Lease), ("now", now));
        await Parallel.ForEachAsync(batch, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct },
            async (m, token) =>
            {
                try
                {
                    await DeliverAsync(m, token);
                }
                catch (Exception e) when (e is not OperationCanceledException || !token.IsCancellationRequested)
                {
                    // The lease expires and the message is claimed again.
                    LogDeliveryFailed(logger, m.MessageId, e);
                }
            });
        return batch.Count;
    }

    private async Task DeliverAsync(Claimed m, CancellationToken ct)
    {
        if (m.Category == "marketing" && await db.ScalarAsync<string>(
                "SELECT status FROM email_consent WHERE tenant_id = @t AND env = @e AND address = @a",
                ("t", m.Scope.TenantId), ("e", m.Scope.EnvName), ("a", m.To)) == "opted_out")
        {
            await FinishAsync(m, EmailStatus.Suppressed, MessagingErrors.RecipientOptedOut, "Recipient unsubscribed.", null);
            return;
        }
        var settings = await db.QuerySingleAsync(
            "SELECT host, port, username, password, from_address, from_name, security FROM tenant_email WHERE tenant_id = @t AND env = @e",
            r => new Settings(r.GetString(0), r.GetInt32(1), r.NullableString("username"), r.NullableString("password"), r.GetString(4),
                r.NullableString("from_name"), r.GetString(6)),
            ("t", m.Scope.TenantId), ("e", m.Scope.EnvName));
        if (settings is null)
        {
            await FinishAsync(m, EmailStatus.Failed, "EMAIL_NOT_CONFIGURED", "The tenant has no email settings (PUT /v1/tenant/email).", null);
            return;
        }
        string? unsubscribeUrl = null;
        if (m.Category == "marketing")
        {
            if (messaging.Value.PublicBaseUrl is not { Length: > 0 } baseUrl)
            {
                await FinishAsync(m, EmailStatus.Failed, "NO_UNSUBSCRIBE_URL",
                    "Marketing email needs CLOUDFRAN_PUBLIC_BASE_URL for its unsubscribe link.", null);
                return;
            }
            unsubscribeUrl = $"{baseUrl.TrimEnd('/')}/v1/email/unsubscribe?token={Uri.EscapeDataString(await tokens.CreateAsync(m.Scope, m.To))}";
        }

        var message = Compose(m, settings, unsubscribeUrl, clock.GetUtcNow());
        try
        {
            using var client = new SmtpClient { Timeout = (int)options.Value.SmtpTimeout.TotalMilliseconds };
            var security = settings.Security switch
            {
                "tls" => SecureSocketOptions.SslOnConnect,
                "starttls" => SecureSocketOptions.StartTls,
                _ => SecureSocketOptions.None,
            };
            await client.ConnectAsync(settings.Host, settings.Port, security, ct);
            if (settings.Username is not null)
            {
                await client.AuthenticateAsync(settings.Username, settings.Password ?? "", ct);
            }
            await client.SendAsync(message, ct);
            await client.DisconnectAsync(true, ct);
        }
        catch (SmtpCommandException e) when ((int)e.StatusCode >= 500)
        {
            await FinishAsync(m, EmailStatus.Failed, ((int)e.StatusCode).ToString(CultureInfo.InvariantCulture), e.Message, null);
            return;
        }
        catch (AuthenticationException e)
        {
            await FinishAsync(m, EmailStatus.Failed, "SMTP_AUTH_FAILED", e.Message, null);
            return;
        }
        catch (Exception e) when (e is SmtpCommandException or SmtpProtocolException or ServiceNotConnectedException or IOException
                                      or SocketException or TimeoutException or SslHandshakeException or NotSupportedException
                                      || e is OperationCanceledException && !ct.IsCancellationRequested)
        {
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
            return;
        }
        await FinishAsync(m, EmailStatus.Sent, null, null, message.MessageId);
    }

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
        message.Body = new TextPart("plain") { Text = text };
        return message;
    }

    /// <summary>Final status plus its event in one transaction; only a queued row changes (a replayed claim does nothing).</summary>
    private async Task FinishAsync(Claimed m, string status, string? code, string? error, string? smtpMessageId)
    {
        var now = clock.GetUtcNow();
        await using var conn = await db.Source.OpenConnectionAsync();
        await using var tx = await conn.BeginTransactionAsync();
        await using var update = new NpgsqlCommand(
            """
            UPDATE email_messages SET status = @s, error_code = @code, error_message = @err, smtp_message_id = @mid,
                   sent_at = CASE WHEN @s = 'sent' THEN @now END, next_attempt_at = NULL, updated_at = @now
             WHERE message_id = @m AND status = 'queued'
            """, conn, tx);
        update.Parameters.AddWithValue("s", status);
        update.Parameters.AddWithValue("code", (object?)code ?? DBNull.Value);
        update.Parameters.AddWithValue("err", (object?)Truncate(error) ?? DBNull.Value);
        update.Parameters.AddWithValue("mid", (object?)smtpMessageId ?? DBNull.Value);
        update.Parameters.AddWithValue("now", now);
        update.Parameters.AddWithValue("m", m.MessageId);
        if (await update.ExecuteNonQueryAsync() == 1 && status is EmailStatus.Sent or EmailStatus.Failed)
        {
            var type = status == EmailStatus.Sent ? "email.sent" : "email.failed";
            await EventOutbox.AppendAsync(conn, tx, m.Scope, type,
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
