namespace CloudFran.Abstractions.Errors;

/// <summary>The platform's error codes (the seed's list plus the few named in docs/api-errors.md).</summary>
public static class ErrorCodes
{
    public const string InvalidInput = "INVALID_INPUT";
    public const string MissingField = "MISSING_FIELD";
    public const string InvalidKey = "INVALID_KEY";
    public const string ExpiredKey = "EXPIRED_KEY";
    public const string InsufficientRole = "INSUFFICIENT_ROLE";
    public const string TenantMismatch = "TENANT_MISMATCH";
    public const string TenantSuspended = "TENANT_SUSPENDED";
    public const string ResourceNotFound = "RESOURCE_NOT_FOUND";
    public const string Conflict = "CONFLICT";
    public const string QuotaExceeded = "QUOTA_EXCEEDED";
    public const string RateLimited = "RATE_LIMITED";
    public const string InternalError = "INTERNAL_ERROR";
    public const string ServiceUnavailable = "SERVICE_UNAVAILABLE";
}

[GenerateSerializer, Immutable, Alias("cf.AlternativeSlot")]
public sealed record AlternativeSlot([property: Id(0)] DateTimeOffset Start, [property: Id(1)] DateTimeOffset End,
    [property: Id(2)] string ProviderId);

[GenerateSerializer, Immutable, Alias("cf.FieldError")]
public sealed record FieldError([property: Id(0)] string Field, [property: Id(1)] string Message);

/// <summary>
/// What went wrong, in domain terms. Grains and pure rules raise a kind; the web layer alone decides which HTTP
/// status each kind answers (<c>CloudFran.Web.Infrastructure.ErrorStatus</c>), so no HTTP leaks into the domain.
/// </summary>
public enum ErrorKind
{
    /// <summary>The input is malformed or breaks a field rule.</summary>
    Invalid = 1,
    /// <summary>No valid credential was presented.</summary>
    Unauthenticated,
    /// <summary>A payment was declined or is required first.</summary>
    PaymentRequired,
    /// <summary>The caller is known but may not do this.</summary>
    Forbidden,
    /// <summary>The object does not exist, or belongs to someone else.</summary>
    NotFound,
    /// <summary>The request is well-formed but clashes with the object's current state.</summary>
    Conflict,
    /// <summary>The payload is too large to accept.</summary>
    TooLarge,
    /// <summary>The payload's format or media type is not one we read.</summary>
    UnsupportedFormat,
    /// <summary>Well-formed and consistent, but a business rule refuses it (too soon, too far ahead, …).</summary>
    RuleViolation,
    /// <summary>A budget (rate or quota) is spent.</summary>
    RateLimited,
    /// <summary>A third party we depend on failed or answered nonsense.</summary>
    UpstreamFailed,
    /// <summary>A transient fault of ours: retry later.</summary>
    Unavailable,
}

/// <summary>
/// An error meant for the API caller: its kind, platform code, message and field details.
/// Thrown by grains and adapters alike; the web layer turns it into the JSON error envelope and a status.
/// </summary>
[GenerateSerializer, Alias("cf.CloudFranException")]
public sealed class CloudFranException : Exception
{
    public CloudFranException(ErrorKind kind, string code, string message, IReadOnlyList<FieldError>? details = null,
        IReadOnlyList<AlternativeSlot>? alternatives = null)
        : base(message)
    {
        Kind = kind;
        Code = code;
        Details = details ?? [];
        Alternatives = alternatives;
    }

    [Id(0)] public ErrorKind Kind { get; }
    [Id(1)] public string Code { get; }
    [Id(2)] public IReadOnlyList<FieldError> Details { get; }

    /// <summary>For SLOT_UNAVAILABLE: the nearest free slots, added to the envelope as "alternatives".</summary>
    [Id(3)] public IReadOnlyList<AlternativeSlot>? Alternatives { get; }

    public static CloudFranException NotFound(string what) =>
        new(ErrorKind.NotFound, ErrorCodes.ResourceNotFound, $"{what} was not found.");

    public static CloudFranException Invalid(string field, string message) =>
        new(ErrorKind.Invalid, ErrorCodes.InvalidInput, message, [new FieldError(field, message)]);

    public static CloudFranException Conflict(string message) => new(ErrorKind.Conflict, ErrorCodes.Conflict, message);
}
