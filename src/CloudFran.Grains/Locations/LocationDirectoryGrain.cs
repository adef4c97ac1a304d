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
    public async Task<PagedList<LocationView>> ListAsync(LocationQuery query)
    {
        var scope = TenantScope.Parse(this.GetPrimaryKeyString());
        string? pattern = string.IsNullOrWhiteSpace(query.Search)
            ? null
            : "%" + query.Search.Trim().ToLowerInvariant().Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_") + "%";
        long total = 0;
        var rows = await db.QueryAsync(
            """
            SELECT doc::text, count(*) OVER () AS total
              FROM locations
             WHERE tenant_id = @t AND env = @e
               AND (@status::text IS NULL OR status = @status::text)
               AND (@pattern::text IS NULL OR search_text LIKE @pattern::text)
             ORDER BY name, location_id
             LIMIT @limit OFFSET @offset
            """,
            r =>
            {
                total = r.GetInt64(1);
                return JsonSerializer.Deserialize<LocationView>(r.GetString(0), Json.Options)!;
            },
            ("t", scope.TenantId), ("e", scope.EnvName), ("status", query.Status), ("pattern", pattern),
            ("limit", query.PageSize), ("offset", (query.Page - 1) * query.PageSize));
        return new PagedList<LocationView>(rows, query.Page, query.PageSize, total);
    }
}
