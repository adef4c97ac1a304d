using System.Text.Json;
using CloudFran.Abstractions.Errors;
using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Locations;
using CloudFran.Abstractions.Platform;
using CloudFran.Grains.Events;
using CloudFran.Grains.Storage;

namespace CloudFran.Grains.Locations;

/// <summary>
/// One franchise location. Its row in <c>locations</c> (a JSON document plus the columns lists filter on) is
/// both this grain's storage and the list/search index: one atomic, version-checked write per change, so a
/// list right after a create includes it and listing never activates grains.
/// </summary>
public sealed class LocationGrain(PlatformDb db, TimeProvider clock) : Grain, ILocationGrain
{
    private LocationKey _key;
    private LocationView? _view;
    private int _version;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _key = LocationKey.Parse(this.GetPrimaryKeyString());
        var row = await db.QuerySingleAsync(
            "SELECT doc::text, version FROM locations WHERE tenant_id = @t AND env = @e AND location_id = @id",
            r => new Tuple<string, int>(r.GetString(0), r.GetInt32(1)),
            ("t", _key.Scope.TenantId), ("e", _key.Scope.EnvName), ("id", _key.LocationId));
        if (row is not null)
        {
            _view = JsonSerializer.Deserialize<LocationView>(row.Item1, Json.Options);
            _version = row.Item2;
        }
    }

    public async Task<LocationView> CreateAsync(LocationInput input)
    {
        if (_view is not null)
        {
            throw CloudFranException.Conflict("A location with this id already exists.");
        }
        LocationRules.Validate(input, create: true);
        var timezone = input.Timezone ?? (await GrainFactory.GetTenant(_key.Scope.TenantId).GetAsync()).Timezone;
        var now = clock.GetUtcNow();
        var view = new LocationView(_key.LocationId, input.Name!.Trim(), Normalize(input.Address!), input.Phone,
            input.Hours ?? new Dictionary<string, IReadOnlyList<OpenInterval>>(), input.Services ?? [], timezone,
            input.Status ?? "active", now, now);
        await SaveAsync(view, expectedVersion: null, "created");
        return view;
    }

    public Task<LocationView> GetAsync() => Task.FromResult(Require());

    public async Task<LocationView> UpdateAsync(LocationInput patch)
    {
        var current = Require();
        LocationRules.Validate(patch, create: false);
        var address = patch.Address is null
            ? current.Address
            : Normalize(new Address(
                patch.Address.Street ?? current.Address.Street,
                patch.Address.City ?? current.Address.City,
                patch.Address.State ?? current.Address.State,
                patch.Address.Zip ?? current.Address.Zip,
                patch.Address.Country ?? current.Address.Country));
        var view = current with
        {
            Name = patch.Name?.Trim() ?? current.Name,
            Address = address,
            Phone = patch.Phone ?? current.Phone,
            Hours = patch.Hours ?? current.Hours,
            Services = patch.Services ?? current.Services,
            Timezone = patch.Timezone ?? current.Timezone,
            Status = patch.Status ?? current.Status,
            UpdatedAt = clock.GetUtcNow(),
        };
        await SaveAsync(view, _version, "updated");
        return view;
    }

    public async Task<LocationView> DeactivateAsync()
    {
        var current = Require();
        if (current.Status == "inactive")
        {
            return current;
        }
        var view = current with { Status = "inactive", UpdatedAt = clock.GetUtcNow() };
        await SaveAsync(view, _version, "deleted");
        return view;
    }

    private LocationView Require()
    {
        if (_view is null)
        {
            DeactivateOnIdle();
            throw CloudFranException.NotFound("Location");
        }
        return _view;
    }

    private static Address Normalize(Address a) =>
        new(a.Street?.Trim(), a.City?.Trim(), a.State?.Trim(), a.Zip?.Trim(), a.Country?.Trim());

    private async Task SaveAsync(LocationView view, int? expectedVersion, string change)
    {
        var doc = JsonSerializer.Serialize(view, Json.Options);
        var search = string.Join(' ', new[] { view.Name, view.Address.Street, view.Address.City, view.Address.State,
            view.Address.Zip, view.Phone }.Where(s => !string.IsNullOrEmpty(s))).ToLowerInvariant();
        await using var tx = await db.BeginAsync();
        var written = await tx.ExecuteAsync(expectedVersion is null
            ? """
              INSERT INTO locations (tenant_id, env, location_id, name, status, city, search_text, doc, version,
                                     created_at, updated_at)
              VALUES (@t, @e, @id, @name, @status, @city, @search, @doc::jsonb, 1, @created, @updated)
              ON CONFLICT DO NOTHING
              """
            : """
              UPDATE locations SET name = @name, status = @status, city = @city, search_text = @search,
                     doc = @doc::jsonb, version = version + 1, updated_at = @updated
               WHERE tenant_id = @t AND env = @e AND location_id = @id AND version = @v
              """,
            ("t", _key.Scope.TenantId), ("e", _key.Scope.EnvName), ("id", _key.LocationId), ("name", view.Name),
            ("status", view.Status), ("city", view.Address.City), ("search", search), ("doc", doc),
            ("created", view.CreatedAt.ToUniversalTime()), ("updated", view.UpdatedAt.ToUniversalTime()),
            ("v", expectedVersion ?? 0));
        if (written != 1)
        {
            // Someone else wrote the row (cannot happen with one activation; guards against split brain).
            DeactivateOnIdle();
            throw CloudFranException.Conflict("The location changed concurrently; retry the request.");
        }
        var version = (expectedVersion ?? 0) + 1;
        // Entity-change event (Push API) in the same transaction as the change it reports.
        await EventOutbox.AppendAsync(tx, _key.Scope, $"location.{change}", view, $"location.{change}:{_key.LocationId}:{version}");
        await tx.CommitAsync();
        _view = view;
        _version = version;
    }
}
