using CloudFran.Abstractions.Errors;
using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Platform;
using Microsoft.Extensions.Logging;

namespace CloudFran.Grains.Isolation;

/// <summary>
/// Defence in depth behind the typed keys: a call into a tenant's grain is refused when the calling grain, or
/// the request context set by the web layer from the credential, belongs to another tenant. Platform-level
/// grains (keys not starting with <c>tn_</c>) and calls without tenant context are let through.
/// </summary>
public sealed partial class TenantIsolationFilter(ILogger<TenantIsolationFilter> logger) : IIncomingGrainCallFilter
{
    public Task Invoke(IIncomingGrainCallContext context)
    {
        var target = GrainKeyTenancy.TenantOf(context.TargetId.Key.ToString());
        if (target is not null)
        {
            var fromContext = TenantContext.Current;
            var fromCaller = context.SourceId is { } source ? GrainKeyTenancy.TenantOf(source.Key.ToString()) : null;
            if ((fromContext is not null && fromContext != target) || (fromCaller is not null && fromCaller != target))
            {
                LogRefused(logger, target, fromContext ?? fromCaller!, context.InterfaceMethod?.Name);
                throw new CloudFranException(ErrorKind.Forbidden, ErrorCodes.TenantMismatch, "Cross-tenant access refused.");
            }
        }
        return context.Invoke();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Refused cross-tenant grain call into {Target} from {Caller} ({Method})")]
    private static partial void LogRefused(ILogger logger, string target, string caller, string? method);
}
