using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Platform;
using CloudFran.Grains.Storage;
using Microsoft.Extensions.Options;

namespace CloudFran.Grains.Platform;

public sealed class PlatformLimitsOptions
{
    /// <summary>Per-minute limit of each sk_admin_ key.</summary>
    public int AdminRequestsPerMinute { get; set; } = 600;

    /// <summary>How often a key re-reads its tenant's plan and status even without an invalidation.</summary>
    public TimeSpan TenantRefresh { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>
/// See <see cref="IApiKeyGrain"/>. The per-minute window is a fixed window aligned to the clock minute, counted
/// in this single activation, so the count is exact however many nodes serve the key's requests.
/// Monthly usage of capped plans is checked with the tenant's usage grain on every call; uncapped calls (test
/// keys, unlimited plans) are counted in batches flushed every second.
/// </summary>
public sealed class ApiKeyGrain(PlatformDb db, TimeProvider clock, IOptions<PlatformLimitsOptions> options)
    : Grain, IApiKeyGrain
{
    private sealed record KeyRow(string KeyId, string? TenantId, KeyType Type, Role Role,
        DateTimeOffset? ExpiresAt, DateTimeOffset? RevokedAt);

    private string _keyHash = "";
    private bool _loaded;
    private KeyRow? _key;
    private TenantLimits? _limits;
    private DateTimeOffset _limitsLoadedAt;
    private long _windowMinute = -1;
    private int _windowCount;
    private long _unflushed;
    private IGrainTimer? _flushTimer;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // The key is "ak-" and the SHA-256 of the secret (see GetApiKey).
        _keyHash = this.GetPrimaryKeyString()["ak-".Length..];
        return Task.CompletedTask;
    }

    public async Task<AuthDecision> AuthorizeAsync(AuthRequest request)
    {
        if (!_loaded)
        {
            await LoadKeyAsync();
        }
        if (_key is null)
        {
            // Nothing to keep in memory for a secret that does not exist.
            DeactivateOnIdle();
            return AuthDecision.Reject(AuthOutcome.UnknownKey);
        }

        var now = clock.GetUtcNow();
        if (_key.RevokedAt is not null)
        {
            return AuthDecision.Reject(AuthOutcome.RevokedKey, "This API key has been revoked.");
        }
        if (_key.ExpiresAt is { } expires && expires <= now)
        {
            return AuthDecision.Reject(AuthOutcome.ExpiredKey, "This API key has expired.");
        }

        int limit;
        if (request.PlatformRoute)
        {
            if (_key.Type != KeyType.Admin)
            {
                return AuthDecision.Reject(AuthOutcome.InsufficientRole, "This route requires an sk_admin_ key.");
            }
            limit = options.Value.AdminRequestsPerMinute;
        }
        else
        {
            if (_key.Type == KeyType.Admin)
            {
                return AuthDecision.Reject(AuthOutcome.InsufficientRole,
                    "Platform (sk_admin_) keys act on /v1/admin routes only; use a tenant key.");
            }
            if (string.IsNullOrEmpty(request.HeaderTenantId))
            {
                return AuthDecision.Reject(AuthOutcome.MissingTenantHeader);
            }
            if (!string.Equals(request.HeaderTenantId, _key.TenantId, StringComparison.Ordinal))
            {
                return AuthDecision.Reject(AuthOutcome.TenantMismatch);
            }
            var limits = await GetLimitsAsync(now);
            if (limits.Status is "suspended" or "cancelled")
            {
                return AuthDecision.Reject(AuthOutcome.TenantSuspended, $"Tenant is {limits.Status}.");
            }
            if (_key.Role < request.MinRole)
            {
                return AuthDecision.Reject(AuthOutcome.InsufficientRole,
                    $"This operation needs the {request.MinRole.Name()} role; the key has {_key.Role.Name()}.");
            }
            limit = limits.RequestsPerMinute;
        }

        var nowSeconds = now.ToUnixTimeSeconds();
        var minute = nowSeconds / 60;
        if (minute != _windowMinute)
        {
            _windowMinute = minute;
            _windowCount = 0;
        }
        var reset = (minute + 1) * 60;
        if (_windowCount >= limit)
        {
            return Decision(AuthOutcome.RateLimited, limit, 0, reset, (int)Math.Max(1, reset - nowSeconds));
        }
        _windowCount++;
        var remaining = limit - _windowCount;

        if (!request.PlatformRoute)
        {
            var monthly = _key.Type == KeyType.Test ? 0 : _limits!.MonthlyCalls;
            if (monthly > 0)
            {
                var quota = await GrainFactory.GetTenantUsage(_key.TenantId!).TryConsumeAsync(_key.Type, monthly);
                if (!quota.Allowed)
                {
                    return Decision(AuthOutcome.QuotaExceeded, limit, remaining, reset, SecondsToNextMonth(now));
                }
            }
            else
            {
                CountLater();
            }
        }
        return Decision(AuthOutcome.Ok, limit, remaining, reset, 0);
    }

    public Task InvalidateAsync()
    {
        _loaded = false;
        _key = null;
        _limits = null;
        return Task.CompletedTask;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        // While the silo shuts down, new activations (the usage grain) cannot be placed on it; the at most one
        // second of uncapped, unbilled counts (sandbox keys, unlimited plans) is dropped instead of failing.
        if (reason.ReasonCode != DeactivationReasonCode.ShuttingDown)
        {
            await FlushAsync();
        }
    }

    private AuthDecision Decision(AuthOutcome outcome, int limit, int remaining, long reset, int retryAfter) =>
        new(outcome, _key!.TenantId, _key.KeyId, _key.Type, _key.Role, limit, remaining, reset, retryAfter, null);

    private void CountLater()
    {
        _unflushed++;
        _flushTimer ??= this.RegisterGrainTimer(FlushAsync, new GrainTimerCreationOptions
        {
            DueTime = TimeSpan.FromSeconds(1),
            Period = TimeSpan.FromSeconds(1),
        });
    }

    private async Task FlushAsync()
    {
        if (_unflushed == 0 || _key?.TenantId is null)
        {
            return;
        }
        var count = _unflushed;
        _unflushed = 0;
        await GrainFactory.GetTenantUsage(_key.TenantId).AddAsync(_key.Type, count);
    }

    private static int SecondsToNextMonth(DateTimeOffset now)
    {
        var next = new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero).AddMonths(1);
        return (int)Math.Max(1, (next - now).TotalSeconds);
    }

    private async Task<TenantLimits> GetLimitsAsync(DateTimeOffset now)
    {
        if (_limits is null || now - _limitsLoadedAt > options.Value.TenantRefresh)
        {
            _limits = await GrainFactory.GetTenant(_key!.TenantId!).GetLimitsAsync();
            _limitsLoadedAt = now;
        }
        return _limits;
    }

    private async Task LoadKeyAsync()
    {
        _key = await db.QuerySingleAsync(
            "SELECT key_id, tenant_id, key_type, role, expires_at, revoked_at FROM api_keys WHERE key_hash = @h",
            r => new KeyRow(
                r.GetString(0),
                r.IsDBNull(1) ? null : r.GetString(1),
                AccessNames.ParseKeyType(r.GetString(2)),
                AccessNames.ParseRole(r.GetString(3)),
                r.NullableTime("expires_at"),
                r.NullableTime("revoked_at")),
            ("h", _keyHash));
        _loaded = true;
        _limits = null;
    }
}
