using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CloudFran.Grains.Crm;

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
