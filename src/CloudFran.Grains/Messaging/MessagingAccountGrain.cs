using System.Text.RegularExpressions;
using CloudFran.Abstractions.Errors;
using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Email;
using CloudFran.Abstractions.Messaging;
using CloudFran.Abstractions.Webhooks;
using CloudFran.Abstractions.Platform;
using CloudFran.Abstractions.Validation;
using CloudFran.Grains.Storage;
using Npgsql;

namespace CloudFran.Grains.Messaging;

/// <summary>See <see cref="IMessagingAccountGrain"/>: configuration rows plus the thread and audit queries.</summary>
public sealed partial class MessagingAccountGrain(PlatformDb db, TimeProvider clock, SenderAccountCache senders) : Grain, IMessagingAccountGrain
{
    private TenantScope _scope;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _scope = ScopedKey.Parse(this.GetPrimaryKeyString()).Scope;
        return Task.CompletedTask;
    }

    public async Task<TwilioAccountView> SetTwilioAsync(TwilioAccountInput input)
    {
        var check = new Check().Required("accountSid", input.AccountSid, 34).Required("authToken", input.AuthToken, 128);
        if (input.AccountSid is not null && !Sid("AC").IsMatch(input.AccountSid)) check.Invalid("accountSid", "accountSid must be AC followed by 32 hex characters.");
        if (input.AuthToken is not null && !Token().IsMatch(input.AuthToken)) check.Invalid("authToken", "authToken must be 16-128 letters and digits.");
        if (input.ApiKeySid is not null && !Sid("SK").IsMatch(input.ApiKeySid)) check.Invalid("apiKeySid", "apiKeySid must be SK followed by 32 hex characters.");
        if ((input.ApiKeySid is null) != (input.ApiKeySecret is null)) check.Invalid("apiKeySecret", "apiKeySid and apiKeySecret go together.");
        if (input.ApiKeySecret is not null && !Token().IsMatch(input.ApiKeySecret)) check.Invalid("apiKeySecret", "apiKeySecret must be 16-128 letters and digits.");
        if (input.MessagingServiceSid is not null && !Sid("MG").IsMatch(input.MessagingServiceSid)) check.Invalid("messagingServiceSid", "messagingServiceSid must be MG followed by 32 hex characters.");
        check.ThrowIfInvalid();
        var scope = _scope;
        await db.ExecuteAsync(
            """
            INSERT INTO tenant_twilio (tenant_id, env, account_sid, auth_user, auth_secret, webhook_token, messaging_service_sid, updated_at)
            VALUES (@t, @e, @sid, @user, @secret, @token, @mg, @now)
            ON CONFLICT (tenant_id, env) DO UPDATE SET account_sid = excluded.account_sid, auth_user = excluded.auth_user,
                auth_secret = excluded.auth_secret, webhook_token = excluded.webhook_token,
                messaging_service_sid = excluded.messaging_service_sid, updated_at = excluded.updated_at
            """,
            ("t", scope.TenantId), ("e", scope.EnvName), ("sid", input.AccountSid), ("user", input.ApiKeySid ?? input.AccountSid),
            ("secret", input.ApiKeySecret ?? input.AuthToken), ("token", input.AuthToken), ("mg", input.MessagingServiceSid),
            ("now", clock.GetUtcNow()));
        senders.Invalidate(scope);
        return await GetTwilioAsync();
    }

    public async Task<TwilioAccountView> GetTwilioAsync()
    {
        var scope = _scope;
        return await db.QuerySingleAsync(
            "SELECT account_sid, auth_user, messaging_service_sid, updated_at FROM tenant_twilio WHERE tenant_id = @t AND env = @e",
            r => new TwilioAccountView(r.GetString(0), r.GetString(1).StartsWith("SK", StringComparison.Ordinal) ? r.GetString(1) : null,
                r.NullableString("messaging_service_sid"), true, r.Time("updated_at")),
            ("t", scope.TenantId), ("e", scope.EnvName))
            ?? throw CloudFranException.NotFound("Twilio account");
    }

    public async Task<PhoneNumberView> AddNumberAsync(string phoneNumber, string? locationId)
    {
        var scope = _scope;
        if (locationId is not null)
        {
            var exists = await db.ScalarAsync<int?>(
                "SELECT 1 FROM locations WHERE tenant_id = @t AND env = @e AND location_id = @l",
                ("t", scope.TenantId), ("e", scope.EnvName), ("l", locationId));
            if (exists is null)
            {
                throw CloudFranException.Invalid("locationId", "No such location.");
            }
        }
        var rows = await db.QueryAsync(
            """
            INSERT INTO phone_numbers (phone_number, number_id, tenant_id, env, location_id, created_at)
            VALUES (@p, @id, @t, @e, @l, @now)
            ON CONFLICT (phone_number) DO NOTHING
            RETURNING number_id, phone_number, location_id, created_at
            """,
            ReadNumber, ("p", phoneNumber), ("id", Ids.New("num")), ("t", scope.TenantId), ("e", scope.EnvName),
            ("l", locationId), ("now", clock.GetUtcNow()));
        senders.Invalidate(scope);
        // Whose number it is stays private: the same answer whether this or another tenant holds it.
        return rows.Count == 1 ? rows[0] : throw CloudFranException.Conflict("This phone number is already registered.");
    }

    public async Task<IReadOnlyList<PhoneNumberView>> ListNumbersAsync()
    {
        var scope = _scope;
        return await db.QueryAsync(
            "SELECT number_id, phone_number, location_id, created_at FROM phone_numbers WHERE tenant_id = @t AND env = @e ORDER BY created_at, number_id",
            ReadNumber, ("t", scope.TenantId), ("e", scope.EnvName));
    }

    public async Task RemoveNumberAsync(string numberId)
    {
        var scope = _scope;
        var removed = await db.ExecuteAsync("DELETE FROM phone_numbers WHERE tenant_id = @t AND env = @e AND number_id = @n",
            ("t", scope.TenantId), ("e", scope.EnvName), ("n", numberId));
        if (removed == 0)
        {
            throw CloudFranException.NotFound("Phone number");
        }
        senders.Invalidate(scope);
    }

    public Task<PagedList<ThreadMessage>> ListThreadAsync(string? phone, int page, int pageSize) =>
        db.PageAsync(
            $"""
            SELECT {SmsStatus.Columns}, count(*) OVER () AS total FROM sms_messages
             WHERE tenant_id = @t AND env = @e AND (@p::text IS NULL OR contact_phone = @p::text)
             ORDER BY created_at DESC, message_id DESC
            """,
            SmsStatus.Read, page, pageSize, ("t", _scope.TenantId), ("e", _scope.EnvName), ("p", phone));

    public Task<PagedList<ConsentAuditEntry>> ConsentAuditAsync(ConsentAuditQuery query) =>
        db.PageAsync(
            """
            SELECT audit_id, customer_id, type, channel, source, actor, reason, created_at, count(*) OVER () AS total
              FROM consent_audit
             WHERE tenant_id = @t AND env = @e
               AND (@c::text IS NULL OR customer_id = @c::text)
               AND (@type::text IS NULL OR type = @type::text)
               AND (@from::timestamptz IS NULL OR created_at >= @from::timestamptz)
               AND (@to::timestamptz IS NULL OR created_at <= @to::timestamptz)
             ORDER BY created_at, audit_id
            """,
            r => new ConsentAuditEntry(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4),
                r.GetString(5), r.NullableString("reason"), r.Time("created_at")),
            query.Page, query.PageSize,
            ("t", _scope.TenantId), ("e", _scope.EnvName), ("c", query.CustomerId), ("type", query.Type),
            ("from", query.From?.ToUniversalTime()), ("to", query.To?.ToUniversalTime()));

    private static PhoneNumberView ReadNumber(NpgsqlDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.NullableString("location_id"), r.Time("created_at"));

    private static Regex Sid(string prefix) => prefix switch
    {
        "AC" => AccountSid(),
        "SK" => ApiKeySid(),
        _ => ServiceSid(),
    };

    [GeneratedRegex("^AC[0-9a-fA-F]{32}$")] private static partial Regex AccountSid();
    [GeneratedRegex("^SK[0-9a-fA-F]{32}$")] private static partial Regex ApiKeySid();
    [GeneratedRegex("^MG[0-9a-fA-F]{32}$")] private static partial Regex ServiceSid();
    [GeneratedRegex("^[A-Za-z0-9]{16,128}$")] private static partial Regex Token();
}
