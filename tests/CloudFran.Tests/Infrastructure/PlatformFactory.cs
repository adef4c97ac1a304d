using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Npgsql;

namespace CloudFran.Tests.Infrastructure;

/// <summary>
/// The real platform in-process (silo + web) on its own fresh PostgreSQL database and its own silo ports.
/// <see cref="Settings"/> may be extended by a subclass or a test before the first client is created.
/// </summary>
public class PlatformFactory : WebApplicationFactory<Program>
{
    public const string AdminKey = "sk_admin_TestPlatformKey000000000000000000000";

    private readonly string _connectionString;

    public PlatformFactory() : this("platform")
    {
    }

    protected PlatformFactory(string purpose) : this(purpose, null)
    {
    }

    /// <summary>A platform on an existing database (restart tests) or a fresh one.</summary>
    protected PlatformFactory(string purpose, string? connectionString)
    {
        _connectionString = connectionString ?? TestPostgres.CreateDatabaseAsync(purpose).GetAwaiter().GetResult();
        Settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = _connectionString,
            ["CLOUDFRAN_SILO_PORT"] = FreePort().ToString(),
            ["CLOUDFRAN_GATEWAY_PORT"] = FreePort().ToString(),
            ["CLOUDFRAN_CLUSTER_ID"] = "test-" + Guid.NewGuid().ToString("N")[..8],
            ["CLOUDFRAN_BOOTSTRAP_ADMIN_KEY"] = AdminKey,
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Warning",
        };
    }

    public string ConnectionString => _connectionString;

    /// <summary>A scalar count (or any integer) straight from the test database.</summary>
    public async Task<long> CountAsync(string sql, params (string Name, object Value)[] args)
    {
        await using var conn = new NpgsqlConnection(ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        foreach (var (name, value) in args)
        {
            cmd.Parameters.AddWithValue(name, value);
        }
        return Convert.ToInt64(await cmd.ExecuteScalarAsync());
    }

    /// <summary>A statement straight on the test database (arranging states the API cannot reach).</summary>
    public async Task ExecuteAsync(string sql, params (string Name, object Value)[] args)
    {
        await using var conn = new NpgsqlConnection(ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        foreach (var (name, value) in args)
        {
            cmd.Parameters.AddWithValue(name, value);
        }
        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// Waits until no outbound SMS to <paramref name="phone"/> is still queued in the outbox: every message to it has
    /// reached its final state (sent to Twilio, failed or suppressed), so what a fake Twilio saw for it is final.
    /// The signal for "nothing more is sent", instead of sleeping.
    /// </summary>
    public Task SmsOutboxSettledAsync(string phone) =>
        Eventually.Async($"the SMS outbox to {phone} to settle (no queued row)", () => CountAsync(
            "SELECT count(*) FROM sms_messages WHERE direction = 'outbound' AND contact_phone = @p AND status = 'queued'", ("p", phone)),
            queued => queued == 0);

    /// <summary>As <see cref="SmsOutboxSettledAsync"/> for email: no message to <paramref name="address"/> is still queued.</summary>
    public Task EmailOutboxSettledAsync(string address) =>
        Eventually.Async($"the email outbox to {address} to settle (no queued row)", () => CountAsync(
            "SELECT count(*) FROM email_messages WHERE to_address = lower(@a) AND status = 'queued'", ("a", address)),
            queued => queued == 0);

    /// <summary>A second platform process-equivalent on an existing database (restart tests).</summary>
    public static PlatformFactory OnDatabase(string connectionString) => new(nameof(OnDatabase), connectionString);

    public Dictionary<string, string?> Settings { get; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in Settings)
        {
            builder.UseSetting(key, value);
        }
    }

    public HttpClient AdminClient()
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        return client;
    }

    /// <summary>A client acting with <paramref name="key"/>; sends X-Tenant-Id when <paramref name="tenantId"/> is given.</summary>
    public HttpClient ClientFor(string key, string? tenantId)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        if (tenantId is not null)
        {
            client.DefaultRequestHeaders.Add("X-Tenant-Id", tenantId);
        }
        return client;
    }

    /// <summary>Creates a tenant through the SuperAdmin API and returns its id and first keys.</summary>
    public async Task<TestTenant> CreateTenantAsync(string plan = "enterprise", string name = "Test Tenant")
    {
        using var admin = AdminClient();
        var response = await admin.PostAsJsonAsync("/v1/admin/tenants", new { businessName = name, plan, timezone = "America/New_York" });
        var body = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"Creating a tenant failed: {(int)response.StatusCode} {body}");
        }
        using var json = JsonDocument.Parse(body);
        var tenantId = json.RootElement.GetProperty("tenant").GetProperty("tenantId").GetString()!;
        string live = "", test = "";
        foreach (var key in json.RootElement.GetProperty("keys").EnumerateArray())
        {
            var type = key.GetProperty("key").GetProperty("type").GetString();
            var secret = key.GetProperty("secret").GetString()!;
            if (type == "live") live = secret; else test = secret;
        }
        return new TestTenant(this, tenantId, live, test);
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

public sealed record TestTenant(PlatformFactory Factory, string TenantId, string LiveKey, string TestKey)
{
    public HttpClient Live() => Factory.ClientFor(LiveKey, TenantId);

    public HttpClient Sandbox() => Factory.ClientFor(TestKey, TenantId);

    /// <summary>Creates a key of the given role through the API and returns its secret.</summary>
    public async Task<string> CreateKeyAsync(string role, string type = "live")
    {
        using var client = Live();
        var response = await client.PostAsJsonAsync("/v1/tenant/keys", new { type, role, name = $"{role} key" });
        var body = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"Creating a key failed: {(int)response.StatusCode} {body}");
        }
        using var json = JsonDocument.Parse(body);
        return json.RootElement.GetProperty("secret").GetString()!;
    }
}
