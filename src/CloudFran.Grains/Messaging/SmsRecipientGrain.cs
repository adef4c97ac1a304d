using System.Text.Json;
using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Email;
using CloudFran.Abstractions.Messaging;
using CloudFran.Abstractions.Webhooks;
using CloudFran.Abstractions.Platform;
using CloudFran.Grains.Events;
using CloudFran.Grains.Messaging.Twilio;
using CloudFran.Grains.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CloudFran.Grains.Messaging;

/// <summary>See <see cref="ISmsRecipientGrain"/>. One activation per (tenant partition, phone).</summary>
public sealed partial class SmsRecipientGrain(
    PlatformDb db,
    TimeProvider clock,
    TwilioClient twilio,
    SenderAccountCache senders,
    SmsAcceptedWriter accepted,
    IOptions<MessagingOptions> options,
    IOptions<TwilioCallbackRoutes> callbacks,
    ILogger<SmsRecipientGrain> logger) : Grain, ISmsRecipientGrain
{
    private TenantScope _scope;
    private string _phone = "";
    private ConsentView? _consent;

    // Messages this activation has finished with (sent, suppressed or failed for good), newest last. A claim replayed
    // after its lease ran out while the first delivery was still under way reaches this same activation (calls are
    // one at a time), which then skips it instead of posting it to Twilio again.
    private readonly Queue<string> _finishedOrder = new();
    private readonly HashSet<string> _finished = new(StringComparer.Ordinal);

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var key = ScopedKey.Parse(this.GetPrimaryKeyString());
        _scope = key.Scope;
        _phone = "+" + key.Name["ph_".Length..];
        return Task.CompletedTask;
    }

    public async Task DeliverAsync(ClaimedSms message)
    {
        // The claim selected the row only while it was queued; every status write below is guarded by status or rank,
        // so a claim replayed after its lease ran out cannot move a message backwards.
        var messageId = message.MessageId;
        if (!_finished.Contains(messageId))
        {
            await DeliverCoreAsync(message);
        }
    }

    private void Remember(string messageId)
    {
        if (_finished.Add(messageId))
        {
            _finishedOrder.Enqueue(messageId);
            if (_finishedOrder.Count > 256)
            {
                _finished.Remove(_finishedOrder.Dequeue());
            }
        }
    }

    /// <summary>
    /// A message is remembered as finished once Twilio accepted it (before its row is updated, so a failing update
    /// cannot lead to a second post from this activation) or once it was given up; a retry keeps it claimable.
    /// </summary>
    private async Task DeliverCoreAsync(ClaimedSms message)
    {
        var messageId = message.MessageId;
        if ((await GetConsentAsync()).Status == "opted_out")
        {
            await FinishAsync(messageId, SmsStatus.Suppressed, MessagingErrors.RecipientOptedOut, "Recipient opted out.");
            Remember(messageId);
            return;
        }

        var sender = await senders.GetAsync(_scope);
        if (sender.Account is not { } account)
        {
            await FinishAsync(messageId, SmsStatus.Failed, "TWILIO_NOT_CONFIGURED", "The tenant has no Twilio account (PUT /v1/tenant/twilio).");
            Remember(messageId);
            return;
        }
        var from = sender.FromFor(message.LocationId);
        if (from is null && account.MessagingServiceSid is null)
        {
            await FinishAsync(messageId, SmsStatus.Failed, "NO_SENDER_NUMBER", "The tenant has no phone number to send from.");
            Remember(messageId);
            return;
        }

        var callback = callbacks.Value.SmsStatusUrl(options.Value.PublicBaseUrl, messageId);
        try
        {
            var sent = await twilio.SendMessageAsync(account, _phone, from, message.Body, message.Media, callback);
            Remember(messageId);
            var status = SmsStatus.FromTwilio(sent.Status) ?? SmsStatus.Sending;
            await accepted.RecordAsync(messageId, status, sent.Sid, sent.From ?? from, clock.GetUtcNow());
        }
        catch (TwilioException e) when (e.Code == 21610)
        {
            // The carrier says the recipient opted out: record it so nobody sends again.
            await FinishAsync(messageId, SmsStatus.Failed, "21610", e.Message);
            Remember(messageId);
            await OptOutAsync("carrier", "twilio_21610", "twilio");
        }
        catch (TwilioException e) when (e.Retryable && message.Attempts < options.Value.MaxSendAttempts)
        {
            var delay = TimeSpan.FromSeconds(5 * Math.Pow(2, message.Attempts));
            LogRetry(logger, messageId, e.Code, delay);
            await db.ExecuteAsync(
                "UPDATE sms_messages SET next_attempt_at = @next, error_code = @code, error_message = @msg, updated_at = @now WHERE message_id = @m AND status = 'queued'",
                ("next", clock.GetUtcNow() + delay), ("code", e.Code.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                ("msg", Truncate(e.Message)), ("now", clock.GetUtcNow()), ("m", messageId));
        }
        catch (TwilioException e)
        {
            await FinishAsync(messageId, SmsStatus.Failed, e.Code == 0 ? "TWILIO_UNAVAILABLE" : e.Code.ToString(System.Globalization.CultureInfo.InvariantCulture), e.Message);
            Remember(messageId);
        }
    }

    public async Task<bool> ApplyStatusAsync(string messageId, string twilioStatus, string? errorCode)
    {
        var status = SmsStatus.FromTwilio(twilioStatus);
        if (status is null)
        {
            return false;
        }
        await using var tx = await db.BeginAsync();
        var changed = await tx.ExecuteAsync(
            """
            UPDATE sms_messages SET status = @s, status_rank = @r, error_code = coalesce(@err, error_code), updated_at = @now
             WHERE message_id = @m AND tenant_id = @t AND env = @e AND status_rank < @r
            """,
            ("s", status), ("r", SmsStatus.Rank(status)), ("err", errorCode), ("now", clock.GetUtcNow()), ("m", messageId),
            ("t", _scope.TenantId), ("e", _scope.EnvName)) == 1;
        if (changed && status is SmsStatus.Delivered or SmsStatus.Undelivered or SmsStatus.Failed)
        {
            var type = status == SmsStatus.Delivered ? "sms.delivered" : "sms.failed";
            await EventOutbox.AppendAsync(tx, _scope, type,
                new { messageId, to = _phone, status, errorCode }, $"{type}:{messageId}");
        }
        await tx.CommitAsync();
        return changed;
    }

    public async Task<InboundResult> ReceiveAsync(InboundSms sms)
    {
        var word = sms.Body.Trim().TrimEnd('.', '!').ToUpperInvariant();
        var kind = SmsStatus.OptOutWords.Contains(word) ? "opt_out"
            : SmsStatus.OptInWords.Contains(word) ? "opt_in"
            : SmsStatus.HelpWords.Contains(word) ? "help"
            : "message";

        await using (var tx = await db.BeginAsync())
        {
            var inboundId = Ids.New("msg", 20);
            if (await tx.ExecuteAsync(
                    """
                    INSERT INTO sms_messages (message_id, tenant_id, env, direction, contact_phone, platform_phone, body, media_urls,
                                              location_id, status, status_rank, twilio_sid, created_at, updated_at)
                    VALUES (@id, @t, @e, 'inbound', @from, @to, @body, @media::jsonb, @loc, 'received', 3, @sid, @now, @now)
                    ON CONFLICT (twilio_sid) DO NOTHING
                    """,
                    ("id", inboundId), ("t", _scope.TenantId), ("e", _scope.EnvName), ("from", _phone), ("to", sms.To),
                    ("body", sms.Body.Length > 1600 ? sms.Body[..1600] : sms.Body), ("media", JsonSerializer.Serialize(sms.MediaUrls)),
                    ("loc", sms.LocationId), ("sid", sms.MessageSid), ("now", clock.GetUtcNow())) == 0)
            {
                return new InboundResult(null, "duplicate"); // Twilio retried the webhook: handled once already
            }
            if (kind == "message")
            {
                await EventOutbox.AppendAsync(tx, _scope, "sms.received",
                    new { messageId = inboundId, from = _phone, to = sms.To, body = sms.Body, locationId = sms.LocationId },
                    $"sms.received:{sms.MessageSid}");
            }
            await tx.CommitAsync();
        }

        var business = (await GrainFactory.GetTenant(_scope.TenantId).GetAsync()).BusinessName;
        string? reply = null;
        switch (kind)
        {
            case "opt_out":
                await OptOutAsync("customer_request", "sms_keyword", _phone);
                reply = $"{business}: You are unsubscribed and will receive no more messages. Reply START to resubscribe.";
                break;
            case "opt_in":
                await OptInAsync("sms_keyword", _phone);
                reply = $"{business}: You are subscribed again. Reply HELP for help, STOP to opt out.";
                break;
            case "help":
                reply = $"{business}: Reply STOP to opt out, START to resubscribe. Msg & data rates may apply.";
                break;
        }
        if (reply is not null)
        {
            // The reply goes back in the webhook's TwiML; record it on the thread.
            await db.ExecuteAsync(
                """
                INSERT INTO sms_messages (message_id, tenant_id, env, direction, contact_phone, platform_phone, body, category,
                                          status, status_rank, created_at, updated_at)
                VALUES (@id, @t, @e, 'outbound', @to, @from, @body, 'transactional', 'sent', 2, @now, @now)
                """,
                ("id", Ids.New("msg", 20)), ("t", _scope.TenantId), ("e", _scope.EnvName), ("to", _phone), ("from", sms.To),
                ("body", reply), ("now", clock.GetUtcNow()));
        }
        return new InboundResult(reply, kind);
    }

    public async Task<ConsentView> OptOutAsync(string reason, string source, string actor)
    {
        var now = clock.GetUtcNow();
        await using var tx = await db.BeginAsync();
        var previous = await SmsConsentRows.SetConsentAsync(tx, _scope, _phone, "opted_out", reason, source, now);
        await SmsConsentRows.AuditAsync(tx, _scope, _phone, "opt_out", source, actor, reason, now);
        await tx.ExecuteAsync(
            """
            UPDATE sms_messages SET status = 'suppressed', status_rank = 3, error_code = 'RECIPIENT_OPTED_OUT', next_attempt_at = NULL, updated_at = @now
             WHERE tenant_id = @t AND env = @e AND contact_phone = @p AND direction = 'outbound' AND status = 'queued'
            """,
            ("now", now), ("t", _scope.TenantId), ("e", _scope.EnvName), ("p", _phone));
        if (previous != "opted_out")
        {
            await EventOutbox.AppendAsync(tx, _scope, "sms.opt_out", new { phone = _phone, reason, source, at = now });
        }
        await tx.CommitAsync();
        _consent = new ConsentView(_phone, "opted_out", reason, source, now);
        return _consent;
    }

    public async Task<ConsentView> OptInAsync(string source, string actor)
    {
        var now = clock.GetUtcNow();
        await using var tx = await db.BeginAsync();
        await SmsConsentRows.SetConsentAsync(tx, _scope, _phone, "opted_in", null, source, now);
        await SmsConsentRows.AuditAsync(tx, _scope, _phone, "opt_in", source, actor, null, now);
        await tx.CommitAsync();
        _consent = new ConsentView(_phone, "opted_in", null, source, now);
        return _consent;
    }

    public async Task<ConsentView> GetConsentAsync() =>
        _consent ??= await db.QuerySingleAsync(
            "SELECT status, reason, source, updated_at FROM sms_consent WHERE tenant_id = @t AND env = @e AND phone = @p",
            r => new ConsentView(_phone, r.GetString(0), r.NullableString("reason"), r.GetString(2), r.Time("updated_at")),
            ("t", _scope.TenantId), ("e", _scope.EnvName), ("p", _phone))
        ?? new ConsentView(_phone, "opted_in", null, null, null);

    private async Task FinishAsync(string messageId, string status, string errorCode, string errorMessage)
    {
        await using var tx = await db.BeginAsync();
        if (await tx.ExecuteAsync(
                """
                UPDATE sms_messages SET status = @s, status_rank = 3, error_code = @code, error_message = @msg, next_attempt_at = NULL, updated_at = @now
                 WHERE message_id = @m AND status = 'queued'
                """,
                ("s", status), ("code", errorCode), ("msg", Truncate(errorMessage)), ("now", clock.GetUtcNow()), ("m", messageId)) == 1)
        {
            await EventOutbox.AppendAsync(tx, _scope, "sms.failed",
                new { messageId, to = _phone, status, errorCode }, $"sms.failed:{messageId}");
        }
        await tx.CommitAsync();
    }

    private static string Truncate(string s) => s.Length > 500 ? s[..500] : s;

    [LoggerMessage(Level = LogLevel.Warning, Message = "SMS {MessageId}: Twilio error {Code}, retrying in {Delay}")]
    private static partial void LogRetry(ILogger logger, string messageId, int code, TimeSpan delay);
}
