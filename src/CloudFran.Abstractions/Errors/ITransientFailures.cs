namespace CloudFran.Abstractions.Errors;

/// <summary>
/// Recognises a backing service's transient failure (a database that does not answer, a dropped connection)
/// among exceptions, so the API can answer 503 + Retry-After without knowing the driver's exception types. The
/// storage layer registers one for its driver; the error middleware asks every registered instance.
/// </summary>
public interface ITransientFailures
{
    bool IsTransient(Exception exception);
}
