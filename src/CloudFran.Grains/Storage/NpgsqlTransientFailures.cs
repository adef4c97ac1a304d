using Npgsql;

namespace CloudFran.Grains.Storage;

/// <summary>PostgreSQL's transient failures, as Npgsql classifies them (connection refused, broken, timed out).</summary>
public sealed class NpgsqlTransientFailures : ITransientFailures
{
    public bool IsTransient(Exception exception) => exception is NpgsqlException { IsTransient: true };
}
