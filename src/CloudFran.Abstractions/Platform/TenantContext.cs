namespace CloudFran.Abstractions.Platform;

/// <summary>
/// The Orleans request-context entry that carries the authenticated tenant from the web edge into grain calls,
/// where the isolation filter compares it with the tenant in the grain's key.
/// </summary>
public static class TenantContext
{
    public const string Key = "cf-tenant";
}
