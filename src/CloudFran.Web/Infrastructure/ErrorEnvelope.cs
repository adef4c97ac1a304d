using System.Text.Json;
using System.Text.Json.Serialization;
using CloudFran.Abstractions.Errors;
using Microsoft.AspNetCore.Http;

namespace CloudFran.Web.Infrastructure;

/// <summary>The platform's error body: <c>{"error": {code, message, details, timestamp, request_id}}</c>.</summary>
public sealed record ErrorEnvelope([property: JsonPropertyName("error")] ErrorBody Error);

public sealed record ErrorBody(
    [property: JsonPropertyName("code")] string Code,
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("details")] IReadOnlyList<ErrorDetail> Details,
    [property: JsonPropertyName("timestamp")] DateTimeOffset Timestamp,
    [property: JsonPropertyName("request_id")] string RequestId,
    [property: JsonPropertyName("alternatives"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    IReadOnlyList<AlternativeSlot>? Alternatives = null);

public sealed record ErrorDetail(
    [property: JsonPropertyName("field")] string Field,
    [property: JsonPropertyName("message")] string Message);

public static class Errors
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    public static Task WriteAsync(HttpContext http, int status, string code, string message,
        IEnumerable<FieldError>? details = null, IReadOnlyList<AlternativeSlot>? alternatives = null)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json; charset=utf-8";
        var body = new ErrorEnvelope(new ErrorBody(code, message,
            (details ?? []).Select(d => new ErrorDetail(d.Field, d.Message)).ToList(),
            DateTimeOffset.UtcNow, RequestIds.Get(http), alternatives));
        return http.Response.WriteAsJsonAsync(body, Options);
    }

    public static Task WriteAsync(HttpContext http, CloudFranException e) =>
        WriteAsync(http, ErrorStatus.Of(e.Kind), e.Code, e.Message, e.Details, e.Alternatives);
}

/// <summary>The one place where a domain error kind becomes an HTTP status.</summary>
public static class ErrorStatus
{
    public static int Of(ErrorKind kind) => kind switch
    {
        ErrorKind.Invalid => StatusCodes.Status400BadRequest,
        ErrorKind.Unauthenticated => StatusCodes.Status401Unauthorized,
        ErrorKind.PaymentRequired => StatusCodes.Status402PaymentRequired,
        ErrorKind.Forbidden => StatusCodes.Status403Forbidden,
        ErrorKind.NotFound => StatusCodes.Status404NotFound,
        ErrorKind.Conflict => StatusCodes.Status409Conflict,
        ErrorKind.TooLarge => StatusCodes.Status413PayloadTooLarge,
        ErrorKind.UnsupportedFormat => StatusCodes.Status415UnsupportedMediaType,
        ErrorKind.RuleViolation => StatusCodes.Status422UnprocessableEntity,
        ErrorKind.RateLimited => StatusCodes.Status429TooManyRequests,
        ErrorKind.UpstreamFailed => StatusCodes.Status502BadGateway,
        ErrorKind.Unavailable => StatusCodes.Status503ServiceUnavailable,
        _ => StatusCodes.Status500InternalServerError,
    };

    /// <summary>The status of a per-item error in a batch answer (0 when the item succeeded).</summary>
    public static int Of(ErrorKind? kind) => kind is { } k ? Of(k) : 0;
}
