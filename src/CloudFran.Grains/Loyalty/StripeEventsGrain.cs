using CloudFran.Abstractions.Loyalty;
using CloudFran.Grains.Storage;
using Orleans.Concurrency;
using Stripe;

namespace CloudFran.Grains.Loyalty;

/// <summary>
/// See <see cref="IStripeEventsGrain"/>: reads the event (<see cref="StripeEventReader"/>), finds the wallet that
/// owns the load and hands the change to it; the wallet applies it exactly once (ledger keys per load and per
/// Stripe refund/dispute id), so redelivered events change nothing.
/// </summary>
// Stateless: calls may interleave, so one worker overlaps many database round-trips.
[StatelessWorker, Reentrant]
public sealed class StripeEventsGrain(PlatformDb db) : Grain, IStripeEventsGrain
{
    public async Task<StripeEventOutcome> ApplyAsync(string eventJson)
    {
        switch (StripeEventReader.Read(EventUtility.ParseEvent(eventJson, throwOnApiVersionMismatch: false)))
        {
            case PaymentEvent e:
                var member = e.MemberId ?? await WalletLoads.MemberOfAsync(db, e.Scope, e.LoadId)
                    ?? throw Abstractions.Errors.CloudFranException.NotFound("Wallet load");
                var load = await GrainFactory.GetWallet(e.Scope, member)
                    .ApplyPaymentEventAsync(e.LoadId, e.PaymentIntentId, e.Status, e.AmountCents, e.FailureCode);
                return new StripeEventOutcome(true, LoadStatus: load.Status);
            case AdjustmentEvent e:
                if (await WalletLoads.FindByIntentAsync(db, e.PaymentIntentId) is not { } owner)
                {
                    return StripeEventOutcome.Ignored;
                }
                var wallet = GrainFactory.GetWallet(owner.Scope, owner.MemberId);
                var recorded = 0;
                foreach (var adjustment in e.Adjustments)
                {
                    if (await wallet.ApplyStripeAdjustmentAsync(adjustment with { LoadId = owner.LoadId }) is { Replayed: false })
                    {
                        recorded++;
                    }
                }
                return e.IsDispute
                    ? new StripeEventOutcome(true, LoadId: owner.LoadId, Recorded: recorded > 0)
                    : new StripeEventOutcome(true, LoadId: owner.LoadId, Refunds: recorded);
            default:
                return StripeEventOutcome.Ignored;
        }
    }
}
