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
/// An error meant for the API caller: HTTP status, platform code, message and field details.
/// Thrown by grains and adapters alike; the web layer turns it into the JSON error envelope.
/// </summary>
[GenerateSerializer, Alias("cf.CloudFranException")]
public sealed class CloudFranException : Exception
{
    public CloudFranException(int status, string code, string message, IReadOnlyList<FieldError>? details = null,
        IReadOnlyList<AlternativeSlot>? alternatives = null)
        : base(message)
    {
        Status = status;
        Code = code;
        Details = details ?? [];
        Alternatives = alternatives;
    }

    [Id(0)] public int Status { get; }
    [Id(1)] public string Code { get; }
    [Id(2)] public IReadOnlyList<FieldError> Details { get; }

    /// <summary>For SLOT_UNAVAILABLE: the nearest free slots, added to the envelope as "alternatives".</summary>
    [Id(3)] public IReadOnlyList<AlternativeSlot>? Alternatives { get; }

    public static CloudFranException NotFound(string what) =>
        new(404, ErrorCodes.ResourceNotFound, $"{what} was not found.");

    public static CloudFranException Invalid(string field, string message) =>
        new(400, ErrorCodes.InvalidInput, message, [new FieldError(field, message)]);

    public static CloudFranException Conflict(string message) => new(409, ErrorCodes.Conflict, message);
}
