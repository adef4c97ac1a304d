using CloudFran.Abstractions.Email;
using Orleans.Concurrency;

namespace CloudFran.Grains.Email;

/// <summary>See <see cref="IEmailLinkGrain"/>; stateless, verifies with the node's <see cref="EmailUnsubscribeTokens"/>.</summary>
[StatelessWorker, Reentrant]
public sealed class EmailLinkGrain(EmailUnsubscribeTokens tokens) : Grain, IEmailLinkGrain
{
    public async Task<UnsubscribeTarget?> VerifyUnsubscribeAsync(string? token) =>
        await tokens.VerifyAsync(token) is { } found ? new UnsubscribeTarget(found.Scope, found.Address) : null;
}
