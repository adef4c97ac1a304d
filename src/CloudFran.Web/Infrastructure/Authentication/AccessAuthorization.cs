using System.Globalization;
using CloudFran.Abstractions.Platform;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Http;

namespace CloudFran.Web.Infrastructure.Authentication;

/// <summary>A tenant route: the key's verdict must be Ok, its role at least the route's, and live when the route says so.</summary>
public sealed class TenantAccessRequirement : IAuthorizationRequirement;

/// <summary>A platform (SuperAdmin) route: an allowed <c>sk_admin_</c> key.</summary>
public sealed class PlatformAccessRequirement : IAuthorizationRequirement;

/// <summary>Why a policy refused: the platform error to answer with (status from its kind), and a Retry-After if any.</summary>
public sealed class RefusedReason(IAuthorizationHandler handler, CloudFranException error, int? retryAfterSeconds = null)
    : AuthorizationFailureReason(handler, error.Message)
{
    public CloudFranException Error { get; } = error;
    public int? RetryAfterSeconds { get; } = retryAfterSeconds;
}

/// <summary>Decides <see cref="TenantAccessRequirement"/> and <see cref="PlatformAccessRequirement"/> from the key's verdict.</summary>
public sealed class AccessAuthorizationHandler : IAuthorizationHandler
{
    public Task HandleAsync(AuthorizationHandlerContext context)
    {
        if (context.Resource is not HttpContext http || http.Features.Get<ApiKeyVerdict>() is not { } verdict)
        {
            return Task.CompletedTask; // not authenticated by a platform key: the middleware challenges
        }
        foreach (var requirement in context.PendingRequirements.ToList())
        {
            if (requirement is TenantAccessRequirement)
            {
                Decide(context, requirement, verdict, http.GetEndpoint()?.Metadata.GetMetadata<TenantAccess>());
            }
            else if (requirement is PlatformAccessRequirement)
            {
                Decide(context, requirement, verdict, null);
            }
        }
        return Task.CompletedTask;
    }

    private void Decide(AuthorizationHandlerContext context, IAuthorizationRequirement requirement, ApiKeyVerdict verdict, TenantAccess? access)
    {
        var decision = verdict.Decision;
        if (!verdict.Allowed)
        {
            context.Fail(Refusal(decision));
            return;
        }
        if (access is null)
        {
            if (decision.KeyType == KeyType.Admin)
            {
                context.Succeed(requirement);
            }
            else
            {
                context.Fail(new RefusedReason(this, new(ErrorKind.Forbidden, ErrorCodes.InsufficientRole, "This route requires an sk_admin_ key.")));
            }
            return;
        }
        if (decision.Role < access.MinRole)
        {
            context.Fail(new RefusedReason(this, new(ErrorKind.Forbidden, ErrorCodes.InsufficientRole,
                $"This operation needs the {access.MinRole.Name()} role; the key has {decision.Role.Name()}.")));
        }
        else if (access.LiveOnly && decision.KeyType != KeyType.Live)
        {
            context.Fail(new RefusedReason(this, new(ErrorKind.Forbidden, ErrorCodes.InsufficientRole,
                "Sandbox (sk_test_) keys cannot change tenant configuration; use an sk_live_ key.")));
        }
        else
        {
            context.Succeed(requirement);
        }
    }

    /// <summary>The platform's answer to a key the grain refused for this route.</summary>
    private RefusedReason Refusal(AuthDecision d) => d.Outcome switch
    {
        AuthOutcome.MissingTenantHeader => new(this, new(ErrorKind.Invalid, ErrorCodes.MissingField,
            $"The {Credentials.TenantHeader} header is required.", [new FieldError(Credentials.TenantHeader, $"{Credentials.TenantHeader} is required.")])),
        AuthOutcome.TenantMismatch => new(this, new(ErrorKind.Forbidden, ErrorCodes.TenantMismatch,
            $"{Credentials.TenantHeader} does not match the tenant of the API key.")),
        AuthOutcome.TenantSuspended => new(this, new(ErrorKind.Forbidden, ErrorCodes.TenantSuspended, d.Detail ?? "The tenant is suspended.")),
        AuthOutcome.RateLimited => new(this, new(ErrorKind.RateLimited, ErrorCodes.RateLimited,
            $"Rate limit of {d.Limit} requests per minute exceeded."), d.RetryAfterSeconds),
        AuthOutcome.QuotaExceeded => new(this, new(ErrorKind.RateLimited, ErrorCodes.QuotaExceeded,
            "The monthly call quota of the tenant's plan is used up."), d.RetryAfterSeconds),
        _ => new(this, new(ErrorKind.Forbidden, ErrorCodes.InsufficientRole, d.Detail ?? "The key's role does not allow this.")),
    };
}

/// <summary>
/// Answers a refused policy with the platform's error envelope (the reason's code and status, Retry-After when rate
/// limited); challenges go to the scheme, whose handler writes the 401 envelope.
/// </summary>
public sealed class EnvelopeAuthorizationResultHandler : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (authorizeResult.Forbidden && authorizeResult.AuthorizationFailure?.FailureReasons.OfType<RefusedReason>().FirstOrDefault() is { } refused)
        {
            if (refused.RetryAfterSeconds is { } retry)
            {
                context.Response.Headers.RetryAfter = retry.ToString(CultureInfo.InvariantCulture);
            }
            return Errors.WriteAsync(context, refused.Error);
        }
        return _default.HandleAsync(next, context, policy, authorizeResult);
    }
}
