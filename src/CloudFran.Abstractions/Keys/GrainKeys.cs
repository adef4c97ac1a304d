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
    public string EnvName => Env == DataEnv.Live ? "live" : "test";

    public override string ToString() => $"{TenantId}/{EnvName}";

    public static TenantScope Parse(string value)
    {
        var parts = value.Split('/');
        if (parts.Length < 2 || !Ids.IsValid(parts[0], "tn"))
        {
            throw new FormatException($"'{value}' is not a tenant scope key.");
        }
        return new TenantScope(parts[0], parts[1] switch
        {
            "live" => DataEnv.Live,
            "test" => DataEnv.Test,
            _ => throw new FormatException($"'{value}' has an unknown environment."),
        });
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
