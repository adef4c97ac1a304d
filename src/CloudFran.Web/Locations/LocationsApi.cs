using CloudFran.Abstractions.Errors;
using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Locations;
using CloudFran.Abstractions.Platform;
using CloudFran.Abstractions.Validation;
using CloudFran.Web.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace CloudFran.Web.Locations;

/// <summary>POST /v1/locations and PATCH /v1/locations/{locationId} (omitted fields stay as they are).</summary>
public sealed record LocationRequest(string? Name, Address? Address, string? Phone, IReadOnlyDictionary<string, IReadOnlyList<OpenInterval>>? Hours,
    IReadOnlyList<string>? Services, string? Timezone, string? Status)
{
    public LocationInput ToInput() => new(Name, Address, Phone, Hours, Services, Timezone, Status);
}

/// <summary>Franchise locations: one grain per location, list/search from PostgreSQL.</summary>
public static class LocationsApi
{
    private static readonly string[] Statuses = ["active", "inactive", "coming_soon"];

    public static RouteGroupBuilder MapLocationsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/locations").WithTags("Franchise locations").RequireTenant(Role.Viewer);

        group.MapGet("/", (HttpContext http, IGrainFactory grains) =>
            {
                var check = new Check();
                var status = check.Enum(http, "status", Statuses);
                var search = check.Text(http, "search", 100);
                var page = check.Int(http, "page", 1, 1, 100_000);
                var pageSize = check.Int(http, "pageSize", 20, 1, 100);
                check.ThrowIfInvalid();
                return grains.GetLocationDirectory(http.Caller().Scope).ListAsync(new LocationQuery(status, search, page, pageSize));
            })
            .WithName("ListLocations").WithSummary("Locations by status (active, inactive, coming_soon) and search over name, address and phone.");

        group.MapPost("/", async Task<Created<LocationView>> (LocationRequest body, HttpContext http, IGrainFactory grains) =>
            {
                var location = await grains.GetLocation(http.Caller().Scope, Ids.New("loc")).CreateAsync(body.ToInput());
                return TypedResults.Created($"/v1/locations/{location.LocationId}", location);
            })
            .RequireTenant(Role.Manager)
            .WithName("CreateLocation").WithSummary("Create a location: name, address {street, city, state, zip, country}, phone, hours, services, timezone.");

        group.MapGet("/{locationId}", (string locationId, HttpContext http, IGrainFactory grains) =>
                Grain(grains, http, locationId).GetAsync())
            .WithName("GetLocation").WithSummary("One location.");

        group.MapPatch("/{locationId}", (string locationId, LocationRequest body, HttpContext http, IGrainFactory grains) =>
                Grain(grains, http, locationId).UpdateAsync(body.ToInput()))
            .RequireTenant(Role.Manager)
            .WithName("UpdateLocation").WithSummary("Change any of the location's fields; omitted fields stay as they are.");

        group.MapDelete("/{locationId}", (string locationId, HttpContext http, IGrainFactory grains) =>
                Grain(grains, http, locationId).DeactivateAsync())
            .RequireTenant(Role.Manager)
            .WithName("DeactivateLocation").WithSummary("Deactivate (status inactive); the record and its history stay.");

        return group;
    }

    private static ILocationGrain Grain(IGrainFactory grains, HttpContext http, string locationId) =>
        Ids.IsValid(locationId, "loc")
            ? grains.GetLocation(http.Caller().Scope, locationId)
            : throw CloudFranException.NotFound("Location");
}
