using System.Net;
using CloudFran.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace CloudFran.Tests.Platform;

/// <summary>A platform with one extra route that fails like a bug would, to check what leaves the server.</summary>
public sealed class FaultyPlatformFactory : PlatformFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services => services.AddSingleton<IStartupFilter, FaultyRoute>());
    }

    private sealed class FaultyRoute : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            next(app);
            app.UseEndpoints(e => e.MapGet("/test/faulty", string () =>
                throw new InvalidOperationException("secret connection detail at Npgsql.Internal")));
        };
    }
}

public sealed class InternalErrorTests(FaultyPlatformFactory factory) : IClassFixture<FaultyPlatformFactory>
{
    [Fact]
    public async Task An_unhandled_exception_is_a_500_envelope_without_internals()
    {
        using var client = factory.CreateClient();
        var response = await client.GetAsync("/test/faulty");
        var body = await response.Content.ReadAsStringAsync();
        await response.ErrorAsync(HttpStatusCode.InternalServerError, "INTERNAL_ERROR");
        Assert.DoesNotContain("secret", body);
        Assert.DoesNotContain("Npgsql", body);
        Assert.DoesNotContain("   at ", body);
    }
}
