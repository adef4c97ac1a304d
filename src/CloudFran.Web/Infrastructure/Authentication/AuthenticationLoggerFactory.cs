using Microsoft.Extensions.Logging;

namespace CloudFran.Web.Infrastructure.Authentication;

/// <summary>
/// Puts the scheme handlers' own log lines (every refused request logs "… was not authenticated" and "… was
/// challenged" at Information) under the framework's authentication category, so that the host's
/// <c>Microsoft.AspNetCore</c> level governs them exactly as it does for JwtBearer's.
/// </summary>
public sealed class AuthenticationLoggerFactory(ILoggerFactory inner) : ILoggerFactory
{
    public ILogger CreateLogger(string categoryName) =>
        inner.CreateLogger("Microsoft.AspNetCore.Authentication." + categoryName[(categoryName.LastIndexOf('.') + 1)..]);

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    public void Dispose()
    {
        // The inner factory belongs to the container.
    }
}
