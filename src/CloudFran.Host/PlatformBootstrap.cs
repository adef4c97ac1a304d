using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Locations;
using CloudFran.Abstractions.Platform;
using CloudFran.Grains.Storage;

namespace CloudFran.Host;

/// <summary>
/// After the silo starts: registers CLOUDFRAN_BOOTSTRAP_ADMIN_KEY as a platform key, and with
/// CLOUDFRAN_SEED_DEMO=true creates a demo tenant with one location on the first start, printing its admin
/// key and a curl command (kept in the demo credentials file for later starts).
/// </summary>
public sealed partial class PlatformBootstrap(IGrainFactory grains, PlatformDb db, IConfiguration config,
    ILogger<PlatformBootstrap> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (config["CLOUDFRAN_BOOTSTRAP_ADMIN_KEY"] is { Length: > 0 } adminKey)
        {
            if (!ApiKeySecrets.IsWellFormed(adminKey) || !adminKey.StartsWith("sk_admin_", StringComparison.Ordinal))
            {
                throw new InvalidOperationException(
                    "CLOUDFRAN_BOOTSTRAP_ADMIN_KEY must be 'sk_admin_' followed by 20-100 letters and digits.");
            }
            await grains.GetPlatformAdmin().RegisterBootstrapKeyAsync(adminKey);
            LogBootstrap(logger);
        }
        if (config.GetValue("CLOUDFRAN_SEED_DEMO", false))
        {
            await SeedDemoAsync();
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task SeedDemoAsync()
    {
        var file = config["CLOUDFRAN_DEMO_FILE"] is { Length: > 0 } f ? f : Path.Combine(".cloudfran", "demo-credentials.txt");
        var url = (config["ASPNETCORE_URLS"] is { Length: > 0 } u ? u.Split(';')[0] : "http://127.0.0.1:5080").TrimEnd('/');
        var tenants = await db.ScalarAsync<long>("SELECT count(*) FROM tenants");
        if (tenants > 0)
        {
            if (File.Exists(file))
            {
                Console.WriteLine(await File.ReadAllTextAsync(file));
            }
            return;
        }

        var created = await grains.GetPlatformAdmin().CreateTenantAsync(
            new NewTenant("Demo Burger Co.", "pro", "active", "America/New_York", null, null));
        var tenantId = created.Tenant.TenantId;
        var key = created.Keys.First(k => k.Key.Type == "live").Secret;
        var location = await grains.GetLocation(new TenantScope(tenantId, DataEnv.Live), Ids.New("loc")).CreateAsync(
            new LocationInput("Demo Burger — Main Street",
                new Address("100 Main Street", "Springfield", "IL", "62701", "US"), "+12175550123",
                new Dictionary<string, IReadOnlyList<OpenInterval>>
                {
                    ["monday"] = [new("11:00", "22:00")], ["tuesday"] = [new("11:00", "22:00")],
                    ["wednesday"] = [new("11:00", "22:00")], ["thursday"] = [new("11:00", "22:00")],
                    ["friday"] = [new("11:00", "23:00")], ["saturday"] = [new("10:00", "23:00")], ["sunday"] = [],
                },
                ["dine-in", "takeout", "delivery"], "America/Chicago", "active"));

        var text = $"""
            CloudFran demo tenant
              tenant id : {tenantId}
              admin key : {key}
              location  : {location.LocationId}
            Try it:
              curl -s {url}/v1/locations -H "Authorization: Bearer {key}" -H "X-Tenant-Id: {tenantId}"
            """;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
        await File.WriteAllTextAsync(file, text);
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Console.WriteLine(text);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Registered the bootstrap platform admin key")]
    private static partial void LogBootstrap(ILogger logger);
}
