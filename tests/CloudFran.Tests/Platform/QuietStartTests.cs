using System.Net;
using CloudFran.Host;
using CloudFran.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit;

namespace CloudFran.Tests.Platform;

/// <summary>Start-up as an operator sees it: the default log has no per-call resilience lines, and / points at the docs.</summary>
public sealed class QuietStartTests
{
    [Fact]
    public void Started_from_the_repository_root_the_default_log_has_no_Polly_information_lines()
    {
        // run.sh starts the Host from the repository root, where no appsettings.json lies: the Host's own log
        // levels must still apply (Orleans' resilience pipelines log every attempt under "Polly" at Information).
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = Repo.Root, EnvironmentName = "Production" });
        builder.AddPlatformObservability();
        using var app = builder.Build();
        var loggers = app.Services.GetRequiredService<ILoggerFactory>();

        Assert.False(loggers.CreateLogger("Polly").IsEnabled(LogLevel.Information));
        Assert.True(loggers.CreateLogger("Polly").IsEnabled(LogLevel.Warning));
        Assert.False(loggers.CreateLogger("Orleans.Runtime.Catalog").IsEnabled(LogLevel.Information));
        Assert.True(loggers.CreateLogger("CloudFran.Host.PlatformBootstrap").IsEnabled(LogLevel.Information));
    }
}

public sealed class RootRedirectTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    [Fact]
    public async Task Root_redirects_to_the_API_reference()
    {
        using var client = factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        using var response = await client.GetAsync("/");
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/docs", response.Headers.Location?.OriginalString);
    }
}
