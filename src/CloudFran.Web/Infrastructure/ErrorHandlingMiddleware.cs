using System.Text.Json;
using CloudFran.Abstractions.Errors;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace CloudFran.Web.Infrastructure;

/// <summary>
/// Outermost middleware: assigns the request id, opens the log scope, and turns every failure into the error
/// envelope — caller errors as 4xx with details, an unreachable database as 503, anything else as a 500 without
/// internals. Bodiless 4xx answers from the framework (unknown route, wrong method) get the envelope too.
/// </summary>
public sealed partial class ErrorHandlingMiddleware(RequestDelegate next, ILogger<ErrorHandlingMiddleware> logger,
    IEnumerable<ITransientFailures> transientFailures)
{
    public const long MaxBodyBytes = 1024 * 1024;

    public async Task InvokeAsync(HttpContext http)
    {
        var requestId = RequestIds.Assign(http);
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["RequestId"] = requestId });
        try
        {
            // File uploads (multipart) are limited by their endpoint, which raises Kestrel's per-request limit itself.
            if (http.Request.ContentLength > MaxBodyBytes
                && !(http.Request.ContentType?.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase) ?? false))
            {
                await Errors.WriteAsync(http, 400, ErrorCodes.InvalidInput,
                    $"The request body exceeds {MaxBodyBytes / 1024} KB.");
                return;
            }
            await next(http);
            if (!http.Response.HasStarted && http.Response.StatusCode >= 400 && http.Response.ContentLength is null
                && string.IsNullOrEmpty(http.Response.ContentType))
            {
                await WriteBodiless(http);
            }
        }
        catch (Exception e) when (!http.Response.HasStarted)
        {
            await HandleAsync(http, e);
        }
    }

    private static Task WriteBodiless(HttpContext http) => http.Response.StatusCode switch
    {
        404 => Errors.WriteAsync(http, 404, ErrorCodes.ResourceNotFound, "No such route."),
        405 => Errors.WriteAsync(http, 405, ErrorCodes.InvalidInput, $"{http.Request.Method} is not allowed on this route."),
        415 => Errors.WriteAsync(http, 415, ErrorCodes.InvalidInput, "Send the body as application/json."),
        var s when s >= 500 => Errors.WriteAsync(http, s, ErrorCodes.InternalError, "The server could not complete the request."),
        var s => Errors.WriteAsync(http, s, ErrorCodes.InvalidInput, "The request was rejected."),
    };

    private async Task HandleAsync(HttpContext http, Exception e)
    {
        switch (Unwrap(e))
        {
            case CloudFranException cf:
                await Errors.WriteAsync(http, cf);
                break;
            case BadHttpRequestException bad:
                await WriteBadRequest(http, bad);
                break;
            case JsonException json:
                await WriteJsonError(http, 400, json);
                break;
            case OperationCanceledException when http.RequestAborted.IsCancellationRequested:
                http.Response.StatusCode = 499;
                break;
            case var unavailable when IsDatabaseUnavailable(unavailable):
                LogUnavailable(logger, unavailable.GetType().Name, unavailable.Message);
                http.Response.Headers.RetryAfter = "5";
                await Errors.WriteAsync(http, 503, ErrorCodes.ServiceUnavailable,
                    "A backing service is temporarily unavailable; retry shortly.");
                break;
            case var other:
                LogUnhandled(logger, other);
                await Errors.WriteAsync(http, 500, ErrorCodes.InternalError, "The server could not complete the request.");
                break;
        }
    }

    private static Exception Unwrap(Exception e)
    {
        while (e is AggregateException { InnerException: { } inner })
        {
            e = inner;
        }
        return e;
    }

    /// <summary>The database driver's transient failures are recognised by the storage layer's <see cref="ITransientFailures"/>.</summary>
    private bool IsDatabaseUnavailable(Exception e)
    {
        var transient = transientFailures as ITransientFailures[] ?? transientFailures.ToArray();
        for (var x = e; x is not null; x = x.InnerException)
        {
            if (x is TimeoutException or Orleans.Runtime.SiloUnavailableException or System.Net.Sockets.SocketException
                || transient.Any(t => t.IsTransient(x)))
            {
                return true;
            }
        }
        return false;
    }

    private static Task WriteBadRequest(HttpContext http, BadHttpRequestException bad)
    {
        if (bad.InnerException is JsonException json)
        {
            return WriteJsonError(http, 400, json);
        }
        var status = bad.StatusCode switch
        {
            StatusCodes.Status413PayloadTooLarge => 400,
            StatusCodes.Status415UnsupportedMediaType => 415,
            _ => 400,
        };
        var message = bad.StatusCode switch
        {
            StatusCodes.Status413PayloadTooLarge => $"The request body exceeds {MaxBodyBytes / 1024} KB.",
            StatusCodes.Status415UnsupportedMediaType => "Send the body as application/json.",
            _ when bad.Message.Contains("body", StringComparison.OrdinalIgnoreCase) => "A JSON request body is required.",
            _ => "The request is malformed.",
        };
        var code = status == 400 && message.StartsWith("A JSON request body", StringComparison.Ordinal)
            ? ErrorCodes.MissingField
            : ErrorCodes.InvalidInput;
        return Errors.WriteAsync(http, status, code, message,
            code == ErrorCodes.MissingField ? [new FieldError("body", message)] : null);
    }

    private static Task WriteJsonError(HttpContext http, int status, JsonException json)
    {
        var field = json.Path is null or "$" ? "body" : json.Path.TrimStart('$').TrimStart('.');
        var message = json.Message.Contains("could not be mapped", StringComparison.Ordinal)
            ? $"Unknown field '{field}'."
            : json.Path is null or "$"
                ? "The body is not valid JSON."
                : $"'{field}' has the wrong type or format.";
        return Errors.WriteAsync(http, status, ErrorCodes.InvalidInput, message, [new FieldError(field, message)]);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled exception")]
    private static partial void LogUnhandled(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Backing service unavailable: {Kind} {Message}")]
    private static partial void LogUnavailable(ILogger logger, string kind, string message);
}
