namespace CloudFran.Abstractions.Email;

/// <summary>The partition and address a signed unsubscribe link was issued for.</summary>
[GenerateSerializer, Immutable, Alias("cf.UnsubscribeTarget")]
public sealed record UnsubscribeTarget(
    [property: Id(0)] TenantScope Scope,
    [property: Id(1)] string Address);

/// <summary>
/// Verifies unsubscribe links (HMAC under the platform's email secret). Platform-level (key <c>email-links</c>,
/// no tenant): the tenant of an unsubscribe request is the one the verified token names.
/// </summary>
public interface IEmailLinkGrain : IGrainWithStringKey
{
    /// <summary>The partition and address of a genuine token, or null when it is malformed or forged.</summary>
    Task<UnsubscribeTarget?> VerifyUnsubscribeAsync(string? token);
}

public static class EmailLinkGrainFactoryExtensions
{
    public static IEmailLinkGrain GetEmailLinks(this IGrainFactory factory) =>
        factory.GetGrain<IEmailLinkGrain>("email-links");
}
