using CloudFran.Web.Crm;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CloudFran.Web.Infrastructure.Authentication;

/// <summary>The schemes (no default: each route group names its own) and the policies route groups require.</summary>
public static class AuthenticationSetup
{
    public static IServiceCollection AddCloudFranAuthentication(this IServiceCollection services)
    {
        services.AddSingleton<KeyOwnerCache>();
        services.AddAuthentication()
            .AddPolicyScheme(AuthSchemes.Platform, "Platform API key", o => o.ForwardDefaultSelector = http =>
                Credentials.IsBasic(http.Request) && http.GetEndpoint()?.Metadata.GetMetadata<BasicKeyLogin>() is not null
                    ? AuthSchemes.BasicLogin
                    : AuthSchemes.ApiKey)
            .AddScheme<ApiKeySchemeOptions, ApiKeyAuthenticationHandler>(AuthSchemes.ApiKey, "API key (Bearer)", _ => { })
            .AddScheme<ApiKeySchemeOptions, ApiKeyAuthenticationHandler>(AuthSchemes.BasicLogin, "API key (Basic login)", o => o.BasicLogin = true)
            .AddScheme<AuthenticationSchemeOptions, DashboardTokenHandler>(AuthSchemes.DashboardToken, "Dashboard token or API key", _ => { })
            .AddPolicyScheme(AuthSchemes.Gateway, "Lead gateway", o => o.ForwardDefaultSelector = http =>
                LeadGatewayKeyHandler.KeyOf(http.Request) is null && Credentials.Bearer(http.Request) is not null
                    ? AuthSchemes.GatewayJwt
                    : AuthSchemes.GatewayKey)
            .AddScheme<AuthenticationSchemeOptions, LeadGatewayKeyHandler>(AuthSchemes.GatewayKey, "Lead gateway X-API-Key", _ => { })
            .AddJwtBearer(AuthSchemes.GatewayJwt, "Lead gateway RS256 JWT", _ => { });
        services.AddOptions<JwtBearerOptions>(AuthSchemes.GatewayJwt)
            .Configure<IConfiguration, IServiceProvider>((o, config, sp) => LeadGatewayJwt.Configure(o, config, sp));

        services.AddAuthorizationBuilder()
            .AddPolicy(AccessPolicies.Tenant, p => p.AddAuthenticationSchemes(AuthSchemes.Platform).AddRequirements(new TenantAccessRequirement()))
            .AddPolicy(AccessPolicies.PlatformAdmin, p => p.AddAuthenticationSchemes(AuthSchemes.Platform).AddRequirements(new PlatformAccessRequirement()));
        services.AddSingleton<IAuthorizationHandler, AccessAuthorizationHandler>();
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, EnvelopeAuthorizationResultHandler>();
        return services;
    }
}
