namespace CloudFran.Abstractions.Keys;

/// <summary>Which data partition a credential sees: sk_live_ keys see live records, sk_test_ keys test records.</summary>
public enum DataEnv
{
    Live = 0,
    Test = 1,
}

/// <summary>
/// A tenant plus its data partition; the first segment of every environment-partitioned grain key.
/// Canonical form: <c>tn_abc/live</c>.
/// </summary>
[GenerateSerializer, Immutable, Alias("cf.TenantScope")]
public readonly record struct TenantScope([property: Id(0)] string TenantId, [property: Id(1)] DataEnv Env)
{
    public string EnvName => Env.Name();

    public override string ToString() => $"{TenantId}/{EnvName}";

    /// <summary>The scope of a row's <c>tenant_id</c> and <c>env</c> columns.</summary>
    public static TenantScope Of(string tenantId, string envName) => new(tenantId, DataEnvs.Parse(envName));

    /// <summary>Parses <c>tn_…/live</c> or <c>tn_…/test</c>, the first two segments of a longer key included.</summary>
    public static TenantScope Parse(string value)
    {
        var parts = value.Split('/');
        if (parts.Length < 2 || !Ids.IsValid(parts[0], "tn"))
        {
            throw new FormatException($"'{value}' is not a tenant scope key.");
        }
        return new TenantScope(parts[0], DataEnvs.Parse(parts[1]));
    }
}

/// <summary>The one spelling of <see cref="DataEnv"/> in keys, rows and credentials: <c>live</c> / <c>test</c>.</summary>
public static class DataEnvs
{
    public static string Name(this DataEnv env) => env == DataEnv.Live ? "live" : "test";

    public static DataEnv Parse(string name) => name switch
    {
        "live" => DataEnv.Live,
        "test" => DataEnv.Test,
        _ => throw new FormatException($"'{name}' is not a data environment (live or test)."),
    };
}

/// <summary>
/// Key of a grain that lives inside one tenant partition: <c>tn_abc/live/&lt;name&gt;</c>, where the name is an
/// object id (<c>mem_…</c>, <c>itm_…</c>, a call SID) or the name of a per-partition grain (<c>leads</c>,
/// <c>voice</c>, <c>loyalty</c>). Grains parse it once on activation.
/// </summary>
[GenerateSerializer, Immutable, Alias("cf.ScopedKey")]
public readonly record struct ScopedKey([property: Id(0)] TenantScope Scope, [property: Id(1)] string Name)
{
    public override string ToString() => $"{Scope}/{Name}";

    public static ScopedKey Parse(string value)
    {
        var first = value.IndexOf('/');
        var cut = first < 0 ? -1 : value.IndexOf('/', first + 1);
        if (cut < 0 || cut == value.Length - 1)
        {
            throw new FormatException($"'{value}' is not a scoped grain key.");
        }
        return new ScopedKey(TenantScope.Parse(value[..cut]), value[(cut + 1)..]);
    }
}

/// <summary>Key of one franchise location grain: <c>tn_abc/live/loc_xyz</c>.</summary>
[GenerateSerializer, Immutable, Alias("cf.LocationKey")]
public readonly record struct LocationKey([property: Id(0)] TenantScope Scope, [property: Id(1)] string LocationId)
{
    public override string ToString() => $"{Scope}/{LocationId}";

    public static LocationKey Parse(string value)
    {
        var cut = value.LastIndexOf('/');
        if (cut < 0)
        {
            throw new FormatException($"'{value}' is not a location key.");
        }
        var id = value[(cut + 1)..];
        if (!Ids.IsValid(id, "loc"))
        {
            throw new FormatException($"'{value}' has an invalid location id.");
        }
        return new LocationKey(TenantScope.Parse(value[..cut]), id);
    }
}

/// <summary>
/// Reading the tenant out of any grain key. Tenant keys begin with <c>tn_</c>; keys that do not are
/// platform-level (API-key lookup, platform administration) and belong to no tenant.
/// </summary>
public static class GrainKeyTenancy
{
    public const string PlatformKey = "platform";

    public static string? TenantOf(string? grainKey)
    {
        if (grainKey is null || !grainKey.StartsWith("tn_", StringComparison.Ordinal))
        {
            return null;
        }
        var cut = grainKey.IndexOf('/');
        return cut < 0 ? grainKey : grainKey[..cut];
    }
}
