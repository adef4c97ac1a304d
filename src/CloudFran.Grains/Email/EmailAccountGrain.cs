using CloudFran.Grains.Messaging;
using CloudFran.Abstractions.Errors;
using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Email;
using CloudFran.Abstractions.Messaging;
using CloudFran.Abstractions.Webhooks;
using CloudFran.Grains.Storage;
using Microsoft.Extensions.Options;

namespace CloudFran.Grains.Email;

/// <summary>See <see cref="IEmailAccountGrain"/>: the tenant partition's SMTP settings row (password write-only).</summary>
public sealed class EmailAccountGrain(PlatformDb db, TimeProvider clock, IOptions<EmailOptions> options) : Grain, IEmailAccountGrain
{
    private TenantScope Scope { get; set; }

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        Scope = TenantScope.Parse(this.GetPrimaryKeyString());
        return Task.CompletedTask;
    }

    public async Task<EmailSettingsView> SetAsync(EmailSettingsInput input)
    {
        EmailRules.Validate(input).ThrowIfInvalid();
        // SSRF guard: a relay resolving to an internal address is refused (checked again, and connected to by address, on
        // every send). A name that does not resolve yet is accepted; sending reports it.
        if (!options.Value.AllowPrivateHosts
            && (await Webhooks.WebhookUrlGuard.ResolveAsync(input.Host!.Trim(), allowPrivate: false)).Error is { } refused
            && refused != Webhooks.WebhookUrlGuard.DoesNotResolve)
        {
            throw CloudFranException.Invalid("host", refused);
        }
        var scope = Scope;
        await db.ExecuteAsync(
            """
            INSERT INTO tenant_email (tenant_id, env, host, port, username, password, from_address, from_name, security, updated_at)
            VALUES (@t, @e, @host, @port, @user, @pass, @from, @name, @sec, @now)
            ON CONFLICT (tenant_id, env) DO UPDATE SET host = excluded.host, port = excluded.port, username = excluded.username,
                password = excluded.password, from_address = excluded.from_address, from_name = excluded.from_name,
                security = excluded.security, updated_at = excluded.updated_at
            """,
            ("t", scope.TenantId), ("e", scope.EnvName), ("host", input.Host!.Trim()), ("port", input.Port!.Value), ("user", input.Username),
            ("pass", input.Password), ("from", input.FromAddress), ("name", input.FromName), ("sec", input.Security), ("now", clock.GetUtcNow()));
        return await GetAsync();
    }

    public async Task<EmailSettingsView> GetAsync()
    {
        var scope = Scope;
        return await db.QuerySingleAsync(
            """
            SELECT host, port, username, password IS NOT NULL AS password_set, from_address, from_name, security, updated_at
              FROM tenant_email WHERE tenant_id = @t AND env = @e
            """,
            r => new EmailSettingsView(r.GetString(0), r.GetInt32(1), r.NullableString("username"), r.GetBoolean(3), r.GetString(4),
                r.NullableString("from_name"), r.GetString(6), r.Time("updated_at")),
            ("t", scope.TenantId), ("e", scope.EnvName))
            ?? throw CloudFranException.NotFound("Email settings");
    }
}
