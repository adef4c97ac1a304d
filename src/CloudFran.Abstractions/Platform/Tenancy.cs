namespace CloudFran.Abstractions.Platform;

[GenerateSerializer, Immutable, Alias("cf.CustomQuotas")]
public sealed record CustomQuotas(
    [property: Id(0)] int? RequestsPerMinute,
    [property: Id(1)] long? MonthlyCalls);

[GenerateSerializer, Immutable, Alias("cf.TenantView")]
public sealed record TenantView(
    [property: Id(0)] string TenantId,
    [property: Id(1)] string BusinessName,
    [property: Id(2)] string Plan,
    [property: Id(3)] string Status,
    [property: Id(4)] string Timezone,
    [property: Id(5)] string? NotificationEmail,
    [property: Id(6)] string? BrandColor,
    [property: Id(7)] CustomQuotas? CustomQuotas,
    [property: Id(8)] int RequestsPerMinute,
    [property: Id(9)] long? MonthlyCallLimit,
    [property: Id(10)] DateTimeOffset CreatedAt,
    [property: Id(11)] DateTimeOffset UpdatedAt);

[GenerateSerializer, Immutable, Alias("cf.TenantSettingsPatch")]
public sealed record TenantSettingsPatch(
    [property: Id(0)] string? BusinessName,
    [property: Id(1)] string? Timezone,
    [property: Id(2)] string? NotificationEmail,
    [property: Id(3)] string? BrandColor);

[GenerateSerializer, Immutable, Alias("cf.NewTenant")]
public sealed record NewTenant(
    [property: Id(0)] string BusinessName,
    [property: Id(1)] string Plan,
    [property: Id(2)] string Status,
    [property: Id(3)] string Timezone,
    [property: Id(4)] string? NotificationEmail,
    [property: Id(5)] string? AdminEmail);

[GenerateSerializer, Immutable, Alias("cf.TenantAdminPatch")]
public sealed record TenantAdminPatch(
    [property: Id(0)] string? Plan,
    [property: Id(1)] CustomQuotas? CustomQuotas,
    [property: Id(2)] string? Status);

[GenerateSerializer, Immutable, Alias("cf.TeamMember")]
public sealed record TeamMember(
    [property: Id(0)] string MemberId,
    [property: Id(1)] string Email,
    [property: Id(2)] string Role,
    [property: Id(3)] IReadOnlyList<string> Permissions,
    [property: Id(4)] IReadOnlyList<string> Locations,
    [property: Id(5)] string Status,
    [property: Id(6)] DateTimeOffset InvitedAt);

[GenerateSerializer, Immutable, Alias("cf.Invitation")]
public sealed record Invitation(
    [property: Id(0)] string Email,
    [property: Id(1)] string Role,
    [property: Id(2)] IReadOnlyList<string> Permissions,
    [property: Id(3)] IReadOnlyList<string> Locations);

[GenerateSerializer, Immutable, Alias("cf.NewApiKey")]
public sealed record NewApiKey(
    [property: Id(0)] KeyType Type,
    [property: Id(1)] Role Role,
    [property: Id(2)] string Name,
    [property: Id(3)] DateTimeOffset? ExpiresAt);

[GenerateSerializer, Immutable, Alias("cf.ApiKeyView")]
public sealed record ApiKeyView(
    [property: Id(0)] string KeyId,
    [property: Id(1)] string Type,
    [property: Id(2)] string Role,
    [property: Id(3)] string Name,
    [property: Id(4)] string Preview,
    [property: Id(5)] DateTimeOffset CreatedAt,
    [property: Id(6)] DateTimeOffset? ExpiresAt,
    [property: Id(7)] DateTimeOffset? RevokedAt,
    [property: Id(8)] string State);

/// <summary>A key as returned once, at creation: the only time the secret leaves the platform.</summary>
[GenerateSerializer, Immutable, Alias("cf.CreatedApiKey")]
public sealed record CreatedApiKey(
    [property: Id(0)] ApiKeyView Key,
    [property: Id(1)] string Secret);

[GenerateSerializer, Immutable, Alias("cf.CreatedTenant")]
public sealed record CreatedTenant(
    [property: Id(0)] TenantView Tenant,
    [property: Id(1)] IReadOnlyList<CreatedApiKey> Keys);

[GenerateSerializer, Immutable, Alias("cf.UsageView")]
public sealed record UsageView(
    [property: Id(0)] string TenantId,
    [property: Id(1)] string Month,
    [property: Id(2)] long TotalCalls,
    [property: Id(3)] long LiveCalls,
    [property: Id(4)] long TestCalls,
    [property: Id(5)] long? MonthlyLimit,
    [property: Id(6)] long? Remaining);

[GenerateSerializer, Immutable, Alias("cf.QuotaDecision")]
public sealed record QuotaDecision([property: Id(0)] bool Allowed, [property: Id(1)] long Used);

[GenerateSerializer, Immutable, Alias("cf.PagedList")]
public sealed record PagedList<T>(
    [property: Id(0)] IReadOnlyList<T> Data,
    [property: Id(1)] int Page,
    [property: Id(2)] int PageSize,
    [property: Id(3)] long Total);
