using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Platform;

namespace CloudFran.Abstractions.Locations;

[GenerateSerializer, Immutable, Alias("cf.Address")]
public sealed record Address(
    [property: Id(0)] string? Street,
    [property: Id(1)] string? City,
    [property: Id(2)] string? State,
    [property: Id(3)] string? Zip,
    [property: Id(4)] string? Country);

/// <summary>One opening interval of a day, local time "HH:mm"; close may be "24:00".</summary>
[GenerateSerializer, Immutable, Alias("cf.OpenInterval")]
public sealed record OpenInterval([property: Id(0)] string Open, [property: Id(1)] string Close);

[GenerateSerializer, Immutable, Alias("cf.LocationView")]
public sealed record LocationView(
    [property: Id(0)] string LocationId,
    [property: Id(1)] string Name,
    [property: Id(2)] Address Address,
    [property: Id(3)] string? Phone,
    [property: Id(4)] IReadOnlyDictionary<string, IReadOnlyList<OpenInterval>> Hours,
    [property: Id(5)] IReadOnlyList<string> Services,
    [property: Id(6)] string Timezone,
    [property: Id(7)] string Status,
    [property: Id(8)] DateTimeOffset CreatedAt,
    [property: Id(9)] DateTimeOffset UpdatedAt);

/// <summary>Create (all required fields present) or patch (null = unchanged) input for a location.</summary>
[GenerateSerializer, Immutable, Alias("cf.LocationInput")]
public sealed record LocationInput(
    [property: Id(0)] string? Name,
    [property: Id(1)] Address? Address,
    [property: Id(2)] string? Phone,
    [property: Id(3)] IReadOnlyDictionary<string, IReadOnlyList<OpenInterval>>? Hours,
    [property: Id(4)] IReadOnlyList<string>? Services,
    [property: Id(5)] string? Timezone,
    [property: Id(6)] string? Status);

[GenerateSerializer, Immutable, Alias("cf.LocationQuery")]
public sealed record LocationQuery(
    [property: Id(0)] string? Status,
    [property: Id(1)] string? Search,
    [property: Id(2)] int Page,
    [property: Id(3)] int PageSize);

/// <summary>One franchise location. Key: <c>tn_…/live|test/loc_…</c>.</summary>
public interface ILocationGrain : IGrainWithStringKey
{
    Task<LocationView> CreateAsync(LocationInput input);
    Task<LocationView> GetAsync();
    Task<LocationView> UpdateAsync(LocationInput patch);
    Task<LocationView> DeactivateAsync();
}

/// <summary>List/search of a tenant's locations from PostgreSQL (stateless). Key: <c>tn_…/live|test</c>.</summary>
public interface ILocationDirectoryGrain : IGrainWithStringKey
{
    Task<PagedList<LocationView>> ListAsync(LocationQuery query);
}

public static class LocationGrainFactoryExtensions
{
    public static ILocationGrain GetLocation(this IGrainFactory factory, TenantScope scope, string locationId) =>
        factory.GetGrain<ILocationGrain>(new LocationKey(scope, locationId).ToString());

    public static ILocationDirectoryGrain GetLocationDirectory(this IGrainFactory factory, TenantScope scope) =>
        factory.GetGrain<ILocationDirectoryGrain>(scope.ToString());
}
