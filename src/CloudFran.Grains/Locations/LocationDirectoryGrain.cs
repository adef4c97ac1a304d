using System.Text.Json;
using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Locations;
using CloudFran.Abstractions.Platform;
using CloudFran.Grains.Storage;
using Orleans.Concurrency;

namespace CloudFran.Grains.Locations;

/// <summary>Lists and searches one tenant partition's locations straight from PostgreSQL.</summary>
// Stateless: calls may interleave, so one worker overlaps many database round-trips.
[StatelessWorker, Reentrant]
public sealed class LocationDirectoryGrain(PlatformDb db) : Grain, ILocationDirectoryGrain
{
    private TenantScope _scope;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _scope = TenantScope.Parse(this.GetPrimaryKeyString());
        return Task.CompletedTask;
    }

    public Task<PagedList<LocationView>> ListAsync(LocationQuery query)
    {
        string? pattern = string.IsNullOrWhiteSpace(query.Search)
            ? null
            : "%" + query.Search.Trim().ToLowerInvariant().Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_") + "%";
        return db.PageAsync(
            """
            SELECT doc::text, count(*) OVER () AS total
              FROM locations
             WHERE tenant_id = @t AND env = @e
               AND (@status::text IS NULL OR status = @status::text)
               AND (@pattern::text IS NULL OR search_text LIKE @pattern::text)
             ORDER BY name, location_id
            """,
            r => JsonSerializer.Deserialize<LocationView>(r.GetString(0), Json.Options)!,
            query.Page, query.PageSize,
            ("t", _scope.TenantId), ("e", _scope.EnvName), ("status", query.Status), ("pattern", pattern));
    }
}
