using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Platform;

namespace CloudFran.Abstractions.Webhooks;

[GenerateSerializer, Immutable, Alias("cf.WebhookEndpointInput")]
public sealed record WebhookEndpointInput(
    [property: Id(0)] string? Url,
    [property: Id(1)] IReadOnlyList<string>? Events,
    [property: Id(2)] string? Description,
    [property: Id(3)] string? Status,
    /// <summary>"json" (default) or "form": the Scheduling Center Push API's key-value format.</summary>
    [property: Id(4)] string? Format = null);

[GenerateSerializer, Immutable, Alias("cf.WebhookEndpointView")]
public sealed record WebhookEndpointView(
    [property: Id(0)] string EndpointId,
    [property: Id(1)] string Url,
    [property: Id(2)] IReadOnlyList<string> Events,
    [property: Id(3)] string? Description,
    [property: Id(4)] string Status,
    [property: Id(5)] DateTimeOffset CreatedAt,
    [property: Id(6)] DateTimeOffset UpdatedAt,
    [property: Id(7)] string Format);

/// <summary>An endpoint with its signing secret: returned only by create and rotate-secret.</summary>
[GenerateSerializer, Immutable, Alias("cf.WebhookEndpointSecret")]
public sealed record WebhookEndpointSecret(
    [property: Id(0)] WebhookEndpointView Endpoint,
    [property: Id(1)] string Secret);

[GenerateSerializer, Immutable, Alias("cf.WebhookDeliveryView")]
public sealed record WebhookDeliveryView(
    [property: Id(0)] string DeliveryId,
    [property: Id(1)] string EventId,
    [property: Id(2)] string EventType,
    [property: Id(3)] string Status,
    [property: Id(4)] int Attempts,
    [property: Id(5)] int? LastStatusCode,
    [property: Id(6)] int? LastLatencyMs,
    [property: Id(7)] string? LastError,
    [property: Id(8)] DateTimeOffset? NextAttemptAt,
    [property: Id(9)] DateTimeOffset CreatedAt);

/// <summary>A tenant partition's webhook endpoints and their deliveries. Key: <c>tn_…/live|test/webhooks</c>.</summary>
public interface IWebhookEndpointsGrain : IGrainWithStringKey
{
    Task<WebhookEndpointSecret> CreateAsync(WebhookEndpointInput input);
    Task<IReadOnlyList<WebhookEndpointView>> ListAsync();
    Task<WebhookEndpointView> GetAsync(string endpointId);
    Task<WebhookEndpointView> UpdateAsync(string endpointId, WebhookEndpointInput patch);
    Task DeleteAsync(string endpointId);
    Task<WebhookEndpointSecret> RotateSecretAsync(string endpointId);
    Task<PagedList<WebhookDeliveryView>> ListDeliveriesAsync(string endpointId, int page, int pageSize);
    Task<WebhookDeliveryView> RedeliverAsync(string deliveryId);

    /// <summary>Schedules again every delivery of the endpoint not yet succeeded, or (with <paramref name="since"/>) all since then.</summary>
    Task<int> ReplayAsync(string endpointId, DateTimeOffset? since);
}

/// <summary>The webhook event catalog of the specification, plus platform events other modules subscribe to.</summary>
public static class WebhookEventTypes
{
    // Declared before Catalog, which is built from it.
    public static readonly IReadOnlyList<string> PushEntities =
        ["appointment", "invoice", "campaign", "coupon", "employee", "location", "review", "household"];

    public static readonly IReadOnlyList<string> Catalog =
    [
        "appointment.booked", "appointment.cancelled", "appointment.reminder", "sms.delivered", "sms.failed", "sms.opt_out", "email.sent", "email.failed", "email.opt_out", "email.opt_in",
        "voice.completed", "voice.failed", "fraud.alert", "superagent.query_complete",
        "lead.created", "lead.qualified", "lead.converted", "customer.updated", "deal.stage_changed", "deal.won", "deal.lost",
        "campaign.completed",
        "loyalty.points_earned", "loyalty.reward_redeemed", "loyalty.tier_changed", "loyalty.checkin", "loyalty.referral_complete",
        "wallet.funds_loaded", "wallet.transfer", "wallet.refunded", "wallet.disputed", "wallet.dispute_won",
        "inventory.low_stock", "inventory.out_of_stock", "transfer.requested", "transfer.completed", "transfer.rejected",
        "project.posted", "proposal.submitted", "proposal.accepted", "milestone.completed", "dispute.filed", "payment.released",
        "course.enrolled", "course.completed", "quiz.passed", "quiz.failed", "certificate.issued",
        "hr.employee.hired", "hr.employee.terminated", "hr.employee.status_changed", "hr.payroll.run_completed",
        "hr.payroll.run_voided", "hr.timeclock.clock_in", "hr.timeclock.clock_out", "hr.timeclock.overtime_alert",
        "hr.benefits.enrolled", "hr.benefits.open_enrollment_start", "hr.fmla.leave_started", "hr.fmla.leave_ended",
        "hr.cobra.election_deadline", "hr.compliance.i9_expiring", "hr.compliance.document_due", "hr.workers_comp.claim_filed",
        "hr.scheduling.shift_published", "hr.scheduling.coverage_gap", "hr.billing.invoice_created", "hr.onboarding.task_overdue",
        "buildara.application.submitted", "buildara.application.approved", "buildara.partner.activated",
        "buildara.revenue.recorded", "buildara.payout.completed", "buildara.financing.payment_due", "buildara.customer.onboarded",
        "subscription.created", "subscription.renewed", "subscription.cancelled", "invoice.paid", "quota.warning", "quota.exceeded",
        "voice.receptionist.call_started", "voice.receptionist.booking_confirmed", "voice.receptionist.order_confirmed",
        "voice.receptionist.message_captured", "voice.receptionist.transfer_requested", "voice.receptionist.call_ended",
        "voice.receptionist.language_switched",
        "lead.status_updated",
        "sms.received",
        // Push API (Scheduling Center): entity changes, subscribable per action or as "<entity>.*".
        .. PushEntities.SelectMany(e => new[] { e + ".created", e + ".updated", e + ".deleted" }),
    ];

    /// <summary>A subscription entry: "*", a catalog type, or "&lt;push entity&gt;.*".</summary>
    public static bool IsSubscribable(string value) =>
        value == "*" || Catalog.Contains(value)
        || (value.EndsWith(".*", StringComparison.Ordinal) && PushEntities.Contains(value[..^2]));
}

public static class WebhookGrainFactoryExtensions
{
    public static IWebhookEndpointsGrain GetWebhookEndpoints(this IGrainFactory factory, TenantScope scope) =>
        factory.GetGrain<IWebhookEndpointsGrain>(new ScopedKey(scope, "webhooks").ToString());
}
