using System.Text.Json;
using CloudFran.Abstractions.Errors;
using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Platform;
using CloudFran.Abstractions.Validation;
using CloudFran.Grains.Storage;
using Npgsql;

namespace CloudFran.Grains.Platform;

/// <summary>
/// A tenant. Its row in <c>tenants</c> is the source of truth (SuperAdmin lists read that table); this grain
/// caches it, serialises changes to it and keeps the tenant's API-key grains in step when plan or status change.
/// </summary>
public sealed class TenantGrain(PlatformDb db, TimeProvider clock) : Grain, ITenantGrain
{
    private TenantView? _tenant;
    private string TenantId => this.GetPrimaryKeyString();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _tenant = await LoadAsync();
    }

    public async Task<CreatedTenant> CreateAsync(NewTenant tenant)
    {
        if (_tenant is not null)
        {
            throw CloudFranException.Conflict("The tenant already exists.");
        }
        await db.ExecuteAsync(
            """
            INSERT INTO tenants (tenant_id, business_name, plan, status, timezone, notification_email)
            VALUES (@id, @name, @plan, @status, @tz, @email)
            """,
            ("id", TenantId), ("name", tenant.BusinessName), ("plan", tenant.Plan), ("status", tenant.Status),
            ("tz", tenant.Timezone), ("email", tenant.NotificationEmail));
        _tenant = await LoadAsync();

        var keys = new List<CreatedApiKey>
        {
            await InsertKeyAsync(new NewApiKey(KeyType.Live, Role.Admin, "Initial live admin key", null)),
            await InsertKeyAsync(new NewApiKey(KeyType.Test, Role.Admin, "Initial test admin key", null)),
        };
        if (tenant.AdminEmail is not null)
        {
            await InsertMemberAsync(new Invitation(tenant.AdminEmail, "admin", [], []), "active");
        }
        return new CreatedTenant(_tenant!, keys);
    }

    public Task<TenantView> GetAsync() => Task.FromResult(Require());

    public Task<TenantLimits> GetLimitsAsync()
    {
        var t = Require();
        return Task.FromResult(new TenantLimits(t.Status, t.Plan, t.RequestsPerMinute, t.MonthlyCallLimit ?? 0));
    }

    public async Task<TenantView> UpdateSettingsAsync(TenantSettingsPatch patch)
    {
        Require();
        new Check()
            .Text("businessName", patch.BusinessName, 200)
            .TimeZone("timezone", patch.Timezone)
            .Email("notificationEmail", patch.NotificationEmail)
            .HexColor("brandColor", patch.BrandColor)
            .ThrowIfInvalid();
        await db.ExecuteAsync(
            """
            UPDATE tenants SET
                business_name      = coalesce(@name, business_name),
                timezone           = coalesce(@tz, timezone),
                notification_email = coalesce(@email, notification_email),
                brand_color        = coalesce(@color, brand_color),
                updated_at         = now()
            WHERE tenant_id = @id
            """,
            ("id", TenantId), ("name", patch.BusinessName), ("tz", patch.Timezone),
            ("email", patch.NotificationEmail), ("color", patch.BrandColor?.ToUpperInvariant()));
        _tenant = await LoadAsync();
        return _tenant!;
    }

    public async Task<TenantView> ApplyAdminPatchAsync(TenantAdminPatch patch)
    {
        Require();
        await db.ExecuteAsync(
            """
            UPDATE tenants SET
                plan          = coalesce(@plan, plan),
                status        = coalesce(@status, status),
                custom_quotas = CASE WHEN @setQuotas THEN @quotas::jsonb ELSE custom_quotas END,
                updated_at    = now()
            WHERE tenant_id = @id
            """,
            ("id", TenantId), ("plan", patch.Plan), ("status", patch.Status),
            ("setQuotas", patch.CustomQuotas is not null),
            ("quotas", patch.CustomQuotas is null ? null : JsonSerializer.Serialize(patch.CustomQuotas, Json.Options)));
        _tenant = await LoadAsync();
        await InvalidateKeysAsync();
        return _tenant!;
    }

    public async Task<IReadOnlyList<TeamMember>> ListTeamAsync(string? role)
    {
        Require();
        return await db.QueryAsync(
            """
            SELECT member_id, email, role, permissions::text, locations::text, status, invited_at
              FROM team_members
             WHERE tenant_id = @id AND (@role::text IS NULL OR role = @role::text)
             ORDER BY invited_at, member_id
            """,
            ReadMember, ("id", TenantId), ("role", role));
    }

    public async Task<TeamMember> InviteAsync(Invitation invitation)
    {
        Require();
        return await InsertMemberAsync(invitation, "invited");
    }

    public async Task<CreatedApiKey> CreateKeyAsync(NewApiKey key)
    {
        Require();
        if (key.ExpiresAt is { } expires && expires <= clock.GetUtcNow())
        {
            throw CloudFranException.Invalid("expiresAt", "expiresAt must be in the future.");
        }
        return await InsertKeyAsync(key with { ExpiresAt = key.ExpiresAt?.ToUniversalTime() });
    }

    public async Task<IReadOnlyList<ApiKeyView>> ListKeysAsync()
    {
        Require();
        var now = clock.GetUtcNow();
        return await db.QueryAsync(
            """
            SELECT key_id, key_type, role, name, last_four, created_at, expires_at, revoked_at
              FROM api_keys WHERE tenant_id = @id ORDER BY created_at, key_id
            """,
            r => ReadKey(r, now), ("id", TenantId));
    }

    public async Task RevokeKeyAsync(string keyId)
    {
        Require();
        var hash = await db.ScalarAsync<string>(
            """
            UPDATE api_keys SET revoked_at = coalesce(revoked_at, now())
             WHERE tenant_id = @id AND key_id = @key
            RETURNING key_hash
            """,
            ("id", TenantId), ("key", keyId));
        if (hash is null)
        {
            throw CloudFranException.NotFound("API key");
        }
        await GrainFactory.GetApiKey(hash).InvalidateAsync();
    }

    private TenantView Require() => _tenant ?? throw CloudFranException.NotFound("Tenant");

    private async Task<CreatedApiKey> InsertKeyAsync(NewApiKey key)
    {
        var secret = ApiKeySecrets.NewSecret(key.Type);
        var keyId = Ids.New("key");
        var now = clock.GetUtcNow();
        await db.ExecuteAsync(
            """
            INSERT INTO api_keys (key_id, key_hash, tenant_id, key_type, role, name, last_four, created_at, expires_at)
            VALUES (@kid, @hash, @tid, @type, @role, @name, @last4, @now, @expires)
            """,
            ("kid", keyId), ("hash", ApiKeySecrets.Hash(secret)), ("tid", TenantId), ("type", key.Type.Name()),
            ("role", key.Role.Name()), ("name", key.Name), ("last4", secret[^4..]), ("now", now),
            ("expires", key.ExpiresAt));
        var view = new ApiKeyView(keyId, key.Type.Name(), key.Role.Name(), key.Name,
            Preview(key.Type, secret[^4..]), now, key.ExpiresAt, null, "active");
        return new CreatedApiKey(view, secret);
    }

    private async Task<TeamMember> InsertMemberAsync(Invitation invitation, string status)
    {
        var memberId = Ids.New("usr");
        var inserted = await db.QueryAsync(
            """
            INSERT INTO team_members (tenant_id, member_id, email, role, permissions, locations, status)
            VALUES (@id, @mid, @email, @role, @perms::jsonb, @locs::jsonb, @status)
            ON CONFLICT (tenant_id, email) DO NOTHING
            RETURNING member_id, email, role, permissions::text, locations::text, status, invited_at
            """,
            ReadMember,
            ("id", TenantId), ("mid", memberId), ("email", invitation.Email.ToLowerInvariant()),
            ("role", invitation.Role), ("perms", JsonSerializer.Serialize(invitation.Permissions)),
            ("locs", JsonSerializer.Serialize(invitation.Locations)), ("status", status));
        return inserted.Count == 1
            ? inserted[0]
            : throw CloudFranException.Conflict($"{invitation.Email} is already a member or invited.");
    }

    private async Task InvalidateKeysAsync()
    {
        var hashes = await db.QueryAsync("SELECT key_hash FROM api_keys WHERE tenant_id = @id AND revoked_at IS NULL",
            r => r.GetString(0), ("id", TenantId));
        await Task.WhenAll(hashes.Select(h => GrainFactory.GetApiKey(h).InvalidateAsync()));
    }

    private async Task<TenantView?> LoadAsync() =>
        await db.QuerySingleAsync(
            """
            SELECT tenant_id, business_name, plan, status, timezone, notification_email, brand_color,
                   custom_quotas::text AS custom_quotas, created_at, updated_at
              FROM tenants WHERE tenant_id = @id
            """,
            ReadTenant, ("id", TenantId));

    public static TenantView ReadTenant(NpgsqlDataReader r)
    {
        var plan = r.GetString(2);
        var quotasJson = r.NullableString("custom_quotas");
        var quotas = quotasJson is null ? null : JsonSerializer.Deserialize<CustomQuotas>(quotasJson, Json.Options);
        var (perMinute, monthly) = TenantLimits.PlanDefaults(plan);
        perMinute = quotas?.RequestsPerMinute ?? perMinute;
        monthly = quotas?.MonthlyCalls ?? monthly;
        return new TenantView(r.GetString(0), r.GetString(1), plan, r.GetString(3), r.GetString(4),
            r.NullableString("notification_email"), r.NullableString("brand_color"), quotas, perMinute,
            monthly > 0 ? monthly : null, r.Time("created_at"), r.Time("updated_at"));
    }

    private static TeamMember ReadMember(NpgsqlDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetString(2),
            JsonSerializer.Deserialize<List<string>>(r.GetString(3)) ?? [],
            JsonSerializer.Deserialize<List<string>>(r.GetString(4)) ?? [],
            r.GetString(5), r.Time("invited_at"));

    private static ApiKeyView ReadKey(NpgsqlDataReader r, DateTimeOffset now)
    {
        var type = AccessNames.ParseKeyType(r.GetString(1));
        var expires = r.NullableTime("expires_at");
        var revoked = r.NullableTime("revoked_at");
        var state = revoked is not null ? "revoked" : expires is { } e && e <= now ? "expired" : "active";
        return new ApiKeyView(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3),
            Preview(type, r.GetString(4)), r.Time("created_at"), expires, revoked, state);
    }

    private static string Preview(KeyType type, string lastFour) => type.SecretPrefix() + "…" + lastFour;
}
