using System.Net;
using CloudFran.Grains.Isolation;
using CloudFran.Grains.Storage;
using CloudFran.Grains.Platform;
using CloudFran.Host.Database;
using Npgsql;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using OpenTelemetry;
using Orleans.Configuration;
using Orleans.Dashboard;

namespace CloudFran.Host;

/// <summary>
/// The process: PostgreSQL (configured or embedded) + migrations, the Orleans silo on ADO.NET providers, and
/// observability. Every setting is an environment variable (see docs/configuration.md).
/// </summary>
public static class PlatformHosting
{
    /// <summary>Connects to PostgreSQL (starting the embedded server when no connection string is set) and migrates.</summary>
    public static async Task<NpgsqlDataSource> AddPlatformDatabaseAsync(this WebApplicationBuilder builder)
    {
        using var loggerFactory = LoggerFactory.Create(l => l.AddSimpleConsole(o => o.SingleLine = true));
        var logger = loggerFactory.CreateLogger("CloudFran.Database");
        var config = builder.Configuration;

        var connectionString = config.GetConnectionString("Postgres");
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            var dataDir = config["CLOUDFRAN_DATA_DIR"] is { Length: > 0 } d ? d : Path.Combine(".cloudfran", "pg");
            var embedded = await EmbeddedPostgres.StartAsync(dataDir, logger);
            connectionString = embedded.ConnectionString();
            // Registered before the silo so that, stopping in reverse order, PostgreSQL stops last.
            builder.Services.AddHostedService(_ => new EmbeddedPostgresLifetime(embedded));
        }

        var dataSource = new NpgsqlDataSourceBuilder(connectionString).Build();
        await RetryAsync(() => Migrator.ApplyAsync(dataSource, logger), logger);
        builder.Services.AddSingleton(dataSource);
        builder.Services.AddSingleton<PlatformDb>();
        builder.Services.AddSingleton<ITransientFailures, NpgsqlTransientFailures>();
        builder.Services.AddSingleton(TimeProvider.System);
        return dataSource;
    }

    public static WebApplicationBuilder AddPlatformSilo(this WebApplicationBuilder builder, NpgsqlDataSource dataSource)
    {
        var config = builder.Configuration;
        var siloPort = config.GetValue("CLOUDFRAN_SILO_PORT", 11111);
        var gatewayPort = config.GetValue("CLOUDFRAN_GATEWAY_PORT", 30000);
        var advertised = AdvertisedAddress(config["CLOUDFRAN_ADVERTISED_IP"]);

        builder.Services.Configure<PlatformLimitsOptions>(o =>
            o.AdminRequestsPerMinute = config.GetValue("CLOUDFRAN_ADMIN_RPM", o.AdminRequestsPerMinute));
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(30));

        builder.UseOrleans(silo =>
        {
            silo.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = config["CLOUDFRAN_CLUSTER_ID"] is { Length: > 0 } c ? c : "cloudfran";
                o.ServiceId = config["CLOUDFRAN_SERVICE_ID"] is { Length: > 0 } s ? s : "cloudfran";
            });
            if (config["CLOUDFRAN_NODE_NAME"] is { Length: > 0 } node)
            {
                silo.Configure<SiloOptions>(o => o.SiloName = node);
            }
            if (config.GetValue("CLOUDFRAN_KUBERNETES", false))
            {
                // Kubernetes hosting sets the pod IP and listens on the configured ports (the same variables).
                silo.Configure<EndpointOptions>(o => (o.SiloPort, o.GatewayPort) = (siloPort, gatewayPort));
                silo.UseKubernetesHosting();
            }
            else
            {
                silo.ConfigureEndpoints(advertised, siloPort, gatewayPort, listenOnAnyHostAddress: true);
            }
            silo.UseAdoNetClustering(o => { o.Invariant = "Npgsql"; o.DataSource = dataSource; });
            silo.AddAdoNetGrainStorageAsDefault(o => { o.Invariant = "Npgsql"; o.DataSource = dataSource; });
            silo.AddAdoNetGrainStorage("platform", o => { o.Invariant = "Npgsql"; o.DataSource = dataSource; });
            silo.UseAdoNetReminderService(o => { o.Invariant = "Npgsql"; o.DataSource = dataSource; });
            silo.UseSystemTextJsonGrainStorageSerializer();
            // A grain call that fails on another silo because PostgreSQL is unreachable (activation or storage)
            // carries an NpgsqlException back to the caller. Orleans only serializes exceptions of allow-listed
            // namespaces; without this the reply itself fails (CodecNotFoundException) and the caller answers 500
            // instead of 503.
            silo.Services.Configure<Orleans.Serialization.ExceptionSerializationOptions>(o => o.SupportedNamespacePrefixes.Add("Npgsql"));
            silo.AddIncomingGrainCallFilter<TenantIsolationFilter>();
            if (!string.IsNullOrEmpty(config["OTEL_EXPORTER_OTLP_ENDPOINT"]))
            {
                // Grain-call spans cost on every call; only pay for them when traces are exported.
                silo.AddActivityPropagation();
            }
            silo.AddDashboard();
        });
        return builder;
    }

    public static WebApplicationBuilder AddPlatformObservability(this WebApplicationBuilder builder)
    {
        // run.sh and deploy/local-cluster.sh start the Host from the repository root, where there is no
        // appsettings.json: read the one built beside the assembly too, with the lowest precedence, so its log levels
        // (Orleans and Polly at Warning: no per-call resilience lines) apply however the process is started.
        var beside = Path.Combine(AppContext.BaseDirectory, "appsettings.json");
        if (File.Exists(beside) && !File.Exists(Path.Combine(builder.Environment.ContentRootPath, "appsettings.json")))
        {
            builder.Configuration.AddJsonFile(beside, optional: true, reloadOnChange: false);
            var source = builder.Configuration.Sources[^1];
            builder.Configuration.Sources.RemoveAt(builder.Configuration.Sources.Count - 1);
            builder.Configuration.Sources.Insert(0, source);
        }
        builder.Logging.ClearProviders();
        if (string.Equals(builder.Configuration["CLOUDFRAN_LOG_FORMAT"], "json", StringComparison.OrdinalIgnoreCase))
        {
            builder.Logging.AddJsonConsole(o => o.IncludeScopes = true);
        }
        else
        {
            builder.Logging.AddSimpleConsole(o =>
            {
                o.IncludeScopes = true;
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss.fff ";
            });
        }

        // Metrics are always collected (readable by any MeterListener / exporter); traces only when an OTLP
        // endpoint is configured, since an active trace listener makes every request and grain call allocate spans.
        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("cloudfran", serviceInstanceId: Environment.MachineName))
            .WithMetrics(m => m.AddAspNetCoreInstrumentation().AddMeter("Microsoft.Orleans"));
        if (!string.IsNullOrEmpty(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            otel.WithTracing(t => t.AddAspNetCoreInstrumentation()
                    .AddSource("Microsoft.Orleans.Runtime").AddSource("Microsoft.Orleans.Application"))
                .UseOtlpExporter();
        }
        return builder;
    }

    /// <summary>The silo address other nodes dial: an IP, "auto" (this host's first non-loopback IPv4, for
    /// containers), or 127.0.0.1 when unset (all nodes on one machine).</summary>
    private static IPAddress AdvertisedAddress(string? setting)
    {
        if (string.IsNullOrWhiteSpace(setting))
        {
            return IPAddress.Loopback;
        }
        if (setting == "auto")
        {
            return Dns.GetHostAddresses(Dns.GetHostName())
                .FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && !IPAddress.IsLoopback(a))
                ?? IPAddress.Loopback;
        }
        return IPAddress.Parse(setting);
    }

    private static async Task RetryAsync(Func<Task> action, ILogger logger)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await action();
                return;
            }
            catch (NpgsqlException e) when (attempt < 30 && e.IsTransient)
            {
                logger.LogWarning("PostgreSQL not reachable yet ({Message}); retrying", e.Message);
                await Task.Delay(TimeSpan.FromSeconds(1));
            }
        }
    }

    private sealed class EmbeddedPostgresLifetime(EmbeddedPostgres server) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => server.StopAsync();
    }
}
