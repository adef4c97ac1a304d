using CloudFran.Abstractions.Keys;

namespace CloudFran.Abstractions.Platform;

/// <summary>Roles in increasing power; a route names the least role it needs.</summary>
public enum Role
{
    Viewer = 0,
    Agent = 1,
    Manager = 2,
    Admin = 3,
}

public enum KeyType
{
    Live = 0,
    Test = 1,
    Admin = 2,
}

public static class AccessNames
{
    public static readonly string[] Roles = ["admin", "manager", "agent", "viewer"];
    public static readonly string[] Plans = ["starter", "pro", "enterprise"];
    public static readonly string[] TenantStatuses = ["active", "suspended", "trial", "cancelled"];

    public static string Name(this Role role) => role switch
    {
        Role.Admin => "admin",
        Role.Manager => "manager",
        Role.Agent => "agent",
        _ => "viewer",
    };

    public static Role ParseRole(string value) => value switch
    {
        "admin" => Role.Admin,
        "manager" => Role.Manager,
        "agent" => Role.Agent,
        "viewer" => Role.Viewer,
        _ => throw new FormatException($"Unknown role '{value}'."),
    };

    public static string Name(this KeyType type) => type switch
    {
        KeyType.Live => "live",
        KeyType.Test => "test",
        _ => "admin",
    };

    public static KeyType ParseKeyType(string value) => value switch
    {
        "live" => KeyType.Live,
        "test" => KeyType.Test,
        "admin" => KeyType.Admin,
        _ => throw new FormatException($"Unknown key type '{value}'."),
    };

    public static DataEnv Env(this KeyType type) => type == KeyType.Test ? DataEnv.Test : DataEnv.Live;

    /// <summary>Secret prefixes per the seed's key types.</summary>
    public static string SecretPrefix(this KeyType type) => type switch
    {
        KeyType.Live => "sk_live_",
        KeyType.Test => "sk_test_",
        _ => "sk_admin_",
    };
}

/// <summary>What a route requires of the caller's key.</summary>
[GenerateSerializer, Immutable, Alias("cf.AuthRequest")]
public sealed record AuthRequest(
    [property: Id(0)] bool PlatformRoute,
    [property: Id(1)] string? HeaderTenantId,
    [property: Id(2)] Role MinRole);

public enum AuthOutcome
{
    Ok = 0,
    UnknownKey,
    ExpiredKey,
    RevokedKey,
    MissingTenantHeader,
    TenantMismatch,
    TenantSuspended,
    InsufficientRole,
    RateLimited,
    QuotaExceeded,
}

/// <summary>The one answer the API-key grain gives per request: who, and whether the call may proceed.</summary>
[GenerateSerializer, Immutable, Alias("cf.AuthDecision")]
public sealed record AuthDecision(
    [property: Id(0)] AuthOutcome Outcome,
    [property: Id(1)] string? TenantId,
    [property: Id(2)] string? KeyId,
    [property: Id(3)] KeyType KeyType,
    [property: Id(4)] Role Role,
    [property: Id(5)] int Limit,
    [property: Id(6)] int Remaining,
    [property: Id(7)] long ResetUnixSeconds,
    [property: Id(8)] int RetryAfterSeconds,
    [property: Id(9)] string? Detail)
{
    public static AuthDecision Reject(AuthOutcome outcome, string? detail = null) =>
        new(outcome, null, null, KeyType.Live, Role.Viewer, 0, 0, 0, 0, detail);

    public bool HasRateHeaders => Limit > 0;
}

/// <summary>Effective limits of a tenant: plan defaults with SuperAdmin overrides applied.</summary>
[GenerateSerializer, Immutable, Alias("cf.TenantLimits")]
public sealed record TenantLimits(
    [property: Id(0)] string Status,
    [property: Id(1)] string Plan,
    [property: Id(2)] int RequestsPerMinute,
    [property: Id(3)] long MonthlyCalls)
{
    /// <summary>0 means unlimited.</summary>
    public bool MonthlyUnlimited => MonthlyCalls <= 0;

    public static (int PerMinute, long Monthly) PlanDefaults(string plan) => plan switch
    {
        "enterprise" => (200, 0),
        "pro" => (60, 25_000),
        _ => (30, 10_000),
    };
}
