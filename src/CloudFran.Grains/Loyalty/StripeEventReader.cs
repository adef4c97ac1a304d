using System.Globalization;
using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Loyalty;
using Stripe;

namespace CloudFran.Grains.Loyalty;

/// <summary>A PaymentIntent event for one wallet load; <see cref="MemberId"/> null when the metadata does not name it.</summary>
public sealed record PaymentEvent(TenantScope Scope, string LoadId, string? MemberId, string PaymentIntentId, string Status, long AmountCents,
    string? FailureCode);

/// <summary>Refunds or dispute movements of the load a PaymentIntent paid for (<see cref="PaymentIntentId"/> routes them).</summary>
public sealed record AdjustmentEvent(string PaymentIntentId, IReadOnlyList<StripeAdjustment> Adjustments, bool IsDispute);

/// <summary>
/// Reads a verified Stripe event into what the wallet acts on, without I/O: payment_intent.succeeded /
/// payment_failed / canceled (routed by the load's metadata), charge.refunded (each refund by id, or the charge's
/// cumulative amount_refunded), charge.dispute.created and charge.dispute.closed when won. Anything else is null.
/// Adjustments carry an empty load id: the router fills in the load the PaymentIntent belongs to.
/// </summary>
public static class StripeEventReader
{
    public static object? Read(Event stripeEvent) => stripeEvent.Data?.Object switch
    {
        Charge charge when stripeEvent.Type == "charge.refunded" => ChargeRefunded(charge),
        Dispute dispute when stripeEvent.Type is "charge.dispute.created" or "charge.dispute.closed" => DisputeEvent(stripeEvent.Type, dispute),
        PaymentIntent intent when stripeEvent.Type is "payment_intent.succeeded" or "payment_intent.payment_failed" or "payment_intent.canceled" =>
            Payment(stripeEvent.Type, intent),
        _ => null,
    };

    private static PaymentEvent? Payment(string type, PaymentIntent intent)
    {
        var metadata = intent.Metadata ?? new Dictionary<string, string>();
        if (!metadata.TryGetValue("cf_tenant_id", out var tenant) || !Ids.IsValid(tenant, "tn")
            || !metadata.TryGetValue("cf_load_id", out var loadId) || !Ids.IsValid(loadId, "wld")
            || !metadata.TryGetValue("cf_env", out var env) || env is not ("live" or "test"))
        {
            return null;
        }
        var member = metadata.TryGetValue("cf_member_id", out var m) && Ids.IsValid(m, "mem") ? m : null;
        var status = type switch
        {
            "payment_intent.succeeded" => "succeeded",
            "payment_intent.canceled" => "canceled",
            _ => "payment_failed",
        };
        return new PaymentEvent(TenantScope.Of(tenant, env), loadId, member, intent.Id, status, intent.Amount,
            intent.LastPaymentError?.Code);
    }

    /// <summary>Each refund of the charge (by re_… id) succeeded or pending; without a refund list, the cumulative amount refunded.</summary>
    private static AdjustmentEvent? ChargeRefunded(Charge charge)
    {
        if (charge.PaymentIntentId is not { Length: > 0 } pi)
        {
            return null;
        }
        var refunds = charge.Refunds?.Data?.Where(r => r.Status is "succeeded" or "pending" && r.Amount > 0).ToList() ?? [];
        if (refunds.Count > 0)
        {
            return new AdjustmentEvent(pi, refunds.Select(r => new StripeAdjustment("refund", r.Id, "", r.Amount)).ToList(), false);
        }
        if (charge.AmountRefunded > 0)
        {
            var id = $"{charge.Id}:{charge.AmountRefunded.ToString(CultureInfo.InvariantCulture)}";
            return new AdjustmentEvent(pi, [new StripeAdjustment("refund", id, "", charge.AmountRefunded, Cumulative: true)], false);
        }
        return new AdjustmentEvent(pi, [], false);
    }

    /// <summary>A dispute opened debits its amount once; a dispute closed as won credits it back once; lost or empty ones change nothing.</summary>
    private static AdjustmentEvent? DisputeEvent(string type, Dispute dispute)
    {
        if (dispute.PaymentIntentId is not { Length: > 0 } pi || (type == "charge.dispute.closed" && dispute.Status != "won") || dispute.Amount <= 0)
        {
            return null;
        }
        var kind = type == "charge.dispute.created" ? "dispute" : "dispute_won";
        return new AdjustmentEvent(pi, [new StripeAdjustment(kind, dispute.Id, "", dispute.Amount)], true);
    }
}
