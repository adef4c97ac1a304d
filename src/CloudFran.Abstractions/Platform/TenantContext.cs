namespace CloudFran.Abstractions.Platform;

/// <summary>
/// The tenant a request acts for, carried in the Orleans request context: Web sets it from the credential (or from
/// the row a feed token opens) before calling grains; the tenant isolation filter in Grains refuses calls into
/// another tenant's grains. Both sides read the key from here.
/// </summary>
public static class TenantContext
{
    public const string Key = "cf-tenant";

    /// <summary>Marks the current request (and the grain calls it makes) as acting for <paramref name="tenantId"/>.</summary>
    public static void Set(string tenantId) => RequestContext.Set(Key, tenantId);

    /// <summary>The tenant the current call acts for, or null when none was set.</summary>
    public static string? Current => RequestContext.Get(Key) as string;
}
