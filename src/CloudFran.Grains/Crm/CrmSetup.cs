using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CloudFran.Grains.Crm;

/// <summary>Gateway JWT settings (environment variables; see docs/crm.md).</summary>
public sealed class LeadGatewayOptions
{
    /// <summary>CLOUDFRAN_JWT_ISSUER — the expected <c>iss</c>.</summary>
    public string Issuer { get; set; } = "cloudvelous.com";

    /// <summary>CLOUDFRAN_JWT_AUDIENCE — the expected <c>aud</c>.</summary>
    public string Audience { get; set; } = "cloudvelous-api";

    /// <summary>CLOUDFRAN_JWT_PUBLIC_KEY (PEM text) or CLOUDFRAN_JWT_PUBLIC_KEY_FILE; none = Bearer JWTs are refused.</summary>
    public string? PublicKeyPem { get; set; }

    /// <summary>Allowed clock skew for exp/nbf.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>
/// The clock of lead and Autopilot scheduling (a keyed <see cref="TimeProvider"/>, the system clock by default).
/// Kept apart from the runtime's clock so that tests can move cadences forward by days without moving Orleans'
/// own timeouts and liveness checks.
/// </summary>
public static class CrmClock
{
    public const string Key = "cloudfran.crm";
}

public static class CrmSetup
{
    /// <summary>The CRM clock and the lead gateway's JWT settings.</summary>
    public static IServiceCollection AddCrm(this IServiceCollection services, IConfiguration config)
    {
        services.AddKeyedSingleton<TimeProvider>(CrmClock.Key, (sp, _) => sp.GetRequiredService<TimeProvider>());
        services.Configure<LeadGatewayOptions>(o =>
        {
            if (config["CLOUDFRAN_JWT_ISSUER"] is { Length: > 0 } iss) o.Issuer = iss;
            if (config["CLOUDFRAN_JWT_AUDIENCE"] is { Length: > 0 } aud) o.Audience = aud;
            if (config["CLOUDFRAN_JWT_PUBLIC_KEY"] is { Length: > 0 } pem) o.PublicKeyPem = pem;
            else if (config["CLOUDFRAN_JWT_PUBLIC_KEY_FILE"] is { Length: > 0 } file && File.Exists(file)) o.PublicKeyPem = File.ReadAllText(file);
        });
        return services;
    }
}
