namespace CloudFran.Abstractions.Loyalty;

/// <summary>
/// What the platform did with one signed Stripe event. <see cref="Handled"/> false: not an event the wallet acts on
/// (or it names no known wallet load). The other fields are set by the kind of event: <see cref="LoadStatus"/> for
/// payment_intent.*, <see cref="LoadId"/> + <see cref="Refunds"/> for charge.refunded, <see cref="LoadId"/> +
/// <see cref="Recorded"/> for charge.dispute.*.
/// </summary>
[GenerateSerializer, Immutable, Alias("cf.StripeEventOutcome")]
public sealed record StripeEventOutcome(
    [property: Id(0)] bool Handled,
    [property: Id(1)] string? LoadStatus = null,
    [property: Id(2)] string? LoadId = null,
    [property: Id(3)] int? Refunds = null,
    [property: Id(4)] bool? Recorded = null)
{
    public static readonly StripeEventOutcome Ignored = new(false);
}

/// <summary>
/// Platform-level handling of Stripe webhooks (before the tenant is known): reads a verified event, routes the
/// Stripe object (PaymentIntent, Charge, Dispute) to the wallet that owns its load and applies it there exactly
/// once. Key: <c>stripe</c>. The caller verifies the Stripe-Signature first.
/// </summary>
public interface IStripeEventsGrain : IGrainWithStringKey
{
    /// <summary>Applies one verified Stripe event (its JSON as Stripe sent it).</summary>
    Task<StripeEventOutcome> ApplyAsync(string eventJson);
}

public static class StripeEventsKeys
{
    public static IStripeEventsGrain GetStripeEvents(this IGrainFactory factory) => factory.GetGrain<IStripeEventsGrain>("stripe");
}
