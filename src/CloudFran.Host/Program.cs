using CloudFran.Grains.Autopilot;
using CloudFran.Grains.Calendar;
using CloudFran.Grains.Crm;
using CloudFran.Grains.Email;
using CloudFran.Grains.Inventory;
using CloudFran.Grains.Loyalty;
using CloudFran.Grains.Messaging;
using CloudFran.Grains.TextIntelligence;
using CloudFran.Grains.Voice;
using CloudFran.Grains.Webhooks;
using CloudFran.Host;
using CloudFran.Host.Database;
using CloudFran.Host.Health;
using CloudFran.Web;
using CloudFran.Web.Infrastructure;
using Orleans.Dashboard;

if (args is ["db", var command, var dataDir, ..])
{
    // Operator helper used by deploy/local-cluster.sh: one shared PostgreSQL for several nodes.
    return await DatabaseCommand.RunAsync(command, dataDir);
}

var builder = WebApplication.CreateBuilder(args);

var database = await builder.AddPlatformDatabaseAsync();
builder.AddPlatformSilo(database);
builder.AddPlatformObservability();
builder.Services.AddPlatformHealthChecks();
builder.AddCloudFranWeb();
builder.Services.AddHostedService<PlatformBootstrap>();

// The modules, one registration each (their routes are listed in the same order in WebSetup.MapCloudFranApis).
builder.Services.AddMessaging(builder.Configuration);
builder.Services.AddEmail(builder.Configuration);
builder.Services.AddWebhooks(builder.Configuration);
builder.Services.AddCalendar(builder.Configuration);
builder.Services.AddVoice(builder.Configuration);
builder.Services.AddInventory(builder.Configuration);
builder.Services.AddLoyalty(builder.Configuration);
builder.Services.AddTextIntelligence(builder.Configuration);
builder.Services.AddCrm(builder.Configuration);
builder.Services.AddAutopilot(builder.Configuration);
builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = ErrorHandlingMiddleware.MaxBodyBytes);

var app = builder.Build();

app.UseCloudFranWeb();
app.MapCloudFranApis();
app.MapOrleansDashboard(routePrefix: "/dashboard").RequirePlatformAdmin();
if (app.Configuration.GetValue("CLOUDFRAN_BENCH_ROUTES", false))
{
    // The benchmark's baseline: a bare minimal-API JSON route with no auth, grain or database behind it.
    app.MapGet("/bench/bare", () => TypedResults.Json(new { ok = true, at = DateTimeOffset.UtcNow })).ExcludeFromDescription();
    app.MapBenchRoutes();
}

await app.RunAsync();
return 0;

/// <summary>Entry point type, visible to WebApplicationFactory in the tests.</summary>
public partial class Program;
