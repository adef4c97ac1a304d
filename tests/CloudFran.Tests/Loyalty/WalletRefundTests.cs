using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CloudFran.Tests.Infrastructure;
using Npgsql;
using Xunit;

namespace CloudFran.Tests.Loyalty;

/// <summary>
/// Wallet refunds to the card through the fake Stripe (POST /v1/refunds), Stripe refunds and disputes reported by
/// the signed webhook, and the ledger property (balance = sum of ledger entries) after each of them.
/// </summary>
[Collection(LoyaltyCollection.Name)]
public sealed class WalletRefundTests(LoyaltyFactory factory)
{
    private static async Task<JsonElement> LoadAsync(HttpClient client, string memberId, decimal amount, string key, string method = "pm_card_visa")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/loyalty/members/{memberId}/wallet/load")
        {
            Content = JsonContent.Create(new { amount, paymentMethodId = method }),
        };
        request.Headers.Add("Idempotency-Key", key);
        var response = await client.SendAsync(request);
        return await response.JsonAsync(method == "pm_card_processing" ? HttpStatusCode.Accepted : HttpStatusCode.Created);
    }

    /// <summary>A fresh tenant's member whose wallet was loaded with 50.00 by card (key l-1).</summary>
    private sealed record Loaded(TestTenant Tenant, HttpClient Client, string MemberId, string LoadId, string PaymentIntentId) : IDisposable
    {
        public void Dispose() => Client.Dispose();
    }

    private async Task<Loaded> LoadedMemberAsync()
    {
        var tenant = await factory.CreateTenantAsync();
        var client = tenant.Live();
        var id = await LoyaltyFactory.CreateMemberAsync(client);
        var load = await LoadAsync(client, id, 50.00m, "l-1");
        return new Loaded(tenant, client, id, load.GetProperty("loadId").GetString()!, load.GetProperty("paymentIntentId").GetString()!);
    }

    private static async Task<HttpResponseMessage> RefundAsync(HttpClient client, string memberId, string loadId, object body, string? key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/loyalty/members/{memberId}/wallet/loads/{loadId}/refund") { Content = JsonContent.Create(body) };
        if (key is not null) request.Headers.Add("Idempotency-Key", key);
        return await client.SendAsync(request);
    }

    private async Task<JsonElement> WebhookAsync(string type, string objectJson)
    {
        var body = FakeStripe.EventJson(type, objectJson);
        using var anonymous = factory.CreateClient();
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/stripe/webhook") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("Stripe-Signature", FakeStripe.Sign(body));
        return await (await anonymous.SendAsync(request)).JsonAsync(HttpStatusCode.OK);
    }

    private static async Task<decimal> BalanceAsync(HttpClient client, string memberId) =>
        (await LoyaltyFactory.MemberAsync(client, memberId)).GetProperty("walletBalance").GetDecimal();

    private Task<long> CountAsync(string sql, string memberId) => factory.CountAsync(sql, ("m", memberId));

    /// <summary>The ledger property: the stored balance, the grain's view and the sum of the ledger's amounts agree.</summary>
    private async Task AssertLedgerHoldsAsync(HttpClient client, string memberId, decimal expected)
    {
        await using var conn = new NpgsqlConnection(factory.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(
            """
            SELECT m.wallet_balance, (SELECT coalesce(sum(amount_delta), 0) FROM loyalty_ledger l
                                       WHERE l.tenant_id = m.tenant_id AND l.env = m.env AND l.member_id = m.member_id)
              FROM loyalty_members m WHERE m.member_id = @m
            """, conn);
        cmd.Parameters.AddWithValue("m", memberId);
        await using var reader = await cmd.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(expected, reader.GetDecimal(0));
        Assert.Equal(expected, reader.GetDecimal(1));
        Assert.Equal(expected, await BalanceAsync(client, memberId));
    }

    [Fact]
    public async Task Partial_then_full_refund_debits_once_each_with_a_Stripe_key_derived_from_ours()
    {
        using var loaded = await LoadedMemberAsync();
        var (tenant, client, id, loadId, pi) = (loaded.Tenant, loaded.Client, loaded.MemberId, loaded.LoadId, loaded.PaymentIntentId);

        var partial = await (await RefundAsync(client, id, loadId, new { amount = 20.00m, reason = "Customer asked" }, "r-1")).JsonAsync(HttpStatusCode.Created);
        Assert.Equal("refund", partial.GetProperty("kind").GetString());
        Assert.Equal(20.00m, partial.GetProperty("amount").GetDecimal());
        Assert.Equal(30.00m, partial.GetProperty("walletBalance").GetDecimal());
        Assert.Equal("api", partial.GetProperty("source").GetString());
        var refundId = partial.GetProperty("stripeId").GetString()!;
        Assert.StartsWith("re_", refundId);
        var sent = Assert.Single(factory.Stripe.RefundRequests, r => r.FormValue("payment_intent") == pi);
        Assert.Equal("2000", sent.FormValue("amount"));
        Assert.StartsWith("cf-wallet-refund-wrf_", sent.Headers["idempotency-key"]);
        Assert.Equal(loadId, sent.FormValue("metadata[cf_load_id]"));

        // No amount: the unrefunded remainder (30.00).
        var rest = await (await RefundAsync(client, id, loadId, new { }, "r-2")).JsonAsync(HttpStatusCode.Created);
        Assert.Equal(30.00m, rest.GetProperty("amount").GetDecimal());
        Assert.Equal(0m, rest.GetProperty("walletBalance").GetDecimal());
        Assert.Equal("3000", factory.Stripe.RefundRequests.Last(r => r.FormValue("payment_intent") == pi).FormValue("amount"));

        // Nothing left: 409 without a Stripe call.
        await (await RefundAsync(client, id, loadId, new { amount = 0.01m }, "r-3")).ErrorAsync(HttpStatusCode.Conflict, "REFUND_EXCEEDS_LOAD");
        Assert.Equal(2, factory.Stripe.RefundRequests.Count(r => r.FormValue("payment_intent") == pi));

        Assert.Equal(2, await CountAsync("SELECT count(*) FROM loyalty_ledger WHERE member_id = @m AND kind = 'wallet_refund'", id));
        Assert.Equal(2, await CountAsync("SELECT count(*) FROM outbox_events WHERE event_type = 'wallet.refunded' AND payload->>'memberId' = @m", id));
        var history = await (await client.GetAsync($"/v1/loyalty/members/{id}/history?type=wallet")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(2, history.GetProperty("data").EnumerateArray().Count(e => e.GetProperty("kind").GetString() == "wallet_refund"));
        await AssertLedgerHoldsAsync(client, id, 0m);
    }

    [Fact]
    public async Task Over_refunds_unrefundable_loads_and_bad_input_are_refused_before_Stripe()
    {
        using var loaded = await LoadedMemberAsync();
        var (tenant, client, id, loadId, pi) = (loaded.Tenant, loaded.Client, loaded.MemberId, loaded.LoadId, loaded.PaymentIntentId);

        await (await RefundAsync(client, id, loadId, new { amount = 50.01m }, "o-1")).ErrorAsync(HttpStatusCode.Conflict, "REFUND_EXCEEDS_LOAD");
        await (await RefundAsync(client, id, loadId, new { amount = -5m }, "o-2")).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await RefundAsync(client, id, loadId, new { amount = 0m }, "o-3")).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await RefundAsync(client, id, loadId, new { amount = 1.005m }, "o-4")).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await RefundAsync(client, id, loadId, new { amount = 5m, reason = new string('x', 201) }, "o-5")).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await RefundAsync(client, id, loadId, new { amount = 5m }, new string('k', 256))).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await RefundAsync(client, id, loadId, new { amount = "ten" }, "o-6")).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await RefundAsync(client, id, "wld_doesnotexist0000000000", new { amount = 5m }, "o-7")).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        await (await RefundAsync(client, id, "not-a-load", new { amount = 5m }, "o-8")).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");

        // Another member's load through this member's URL: 404.
        var other = await LoyaltyFactory.CreateMemberAsync(client, "Bo Lin");
        await (await RefundAsync(client, other, loadId, new { amount = 5m }, "o-9")).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");

        // A load still processing at Stripe cannot be refunded.
        var processing = await LoadAsync(client, id, 10.00m, "l-2", "pm_card_processing");
        await (await RefundAsync(client, id, processing.GetProperty("loadId").GetString()!, new { amount = 5m }, "o-10"))
            .ErrorAsync(HttpStatusCode.Conflict, "LOAD_NOT_REFUNDABLE");

        // Agents may not refund (manager+).
        using var agent = factory.ClientFor(await tenant.CreateKeyAsync("agent"), tenant.TenantId);
        Assert.Equal(HttpStatusCode.Forbidden, (await RefundAsync(agent, id, loadId, new { amount = 5m }, "o-11")).StatusCode);

        Assert.DoesNotContain(factory.Stripe.RefundRequests, r => r.FormValue("payment_intent") == pi);
        await AssertLedgerHoldsAsync(client, id, 50.00m);
    }

    [Fact]
    public async Task A_replayed_refund_returns_the_first_result_with_one_Stripe_call_and_one_entry()
    {
        var tenant = await factory.CreateTenantAsync();
        using var client = tenant.Live();
        var id = await LoyaltyFactory.CreateMemberAsync(client);
        var load = await LoadAsync(client, id, 40.00m, "l-1");
        var loadId = load.GetProperty("loadId").GetString()!;
        var pi = load.GetProperty("paymentIntentId").GetString()!;

        var responses = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => RefundAsync(client, id, loadId, new { amount = 15.00m }, "same-key")));
        var bodies = await Task.WhenAll(responses.Select(r => r.JsonAsync(HttpStatusCode.Created)));
        Assert.Single(bodies.Select(b => b.GetProperty("stripeId").GetString()).Distinct());
        Assert.Single(bodies.Select(b => b.GetProperty("entryId").GetString()).Distinct());
        Assert.Equal(3, bodies.Count(b => b.GetProperty("replayed").GetBoolean()));
        Assert.All(bodies, b => Assert.Equal(25.00m, b.GetProperty("walletBalance").GetDecimal()));

        // Body key works as well as the header; same key, other amount → 409.
        var again = await (await RefundAsync(client, id, loadId, new { amount = 15.00m, idempotencyKey = "same-key" }, null)).JsonAsync(HttpStatusCode.Created);
        Assert.True(again.GetProperty("replayed").GetBoolean());
        await (await RefundAsync(client, id, loadId, new { amount = 16.00m }, "same-key")).ErrorAsync(HttpStatusCode.Conflict, "IDEMPOTENCY_KEY_REUSED");

        Assert.Single(factory.Stripe.RefundRequests, r => r.FormValue("payment_intent") == pi);
        Assert.Equal(1, await CountAsync("SELECT count(*) FROM loyalty_ledger WHERE member_id = @m AND kind = 'wallet_refund'", id));
        await AssertLedgerHoldsAsync(client, id, 25.00m);
    }

    [Fact]
    public async Task A_refund_that_would_overdraw_is_refused_unless_the_program_allows_negative_balances()
    {
        using var loaded = await LoadedMemberAsync();
        var (tenant, client, id, loadId, pi) = (loaded.Tenant, loaded.Client, loaded.MemberId, loaded.LoadId, loaded.PaymentIntentId);
        await (await client.PostJsonAsync($"/v1/loyalty/members/{id}/wallet/spend", new { amount = 40.00m, idempotencyKey = "s-1" })).JsonAsync(HttpStatusCode.Created);

        var error = await (await RefundAsync(client, id, loadId, new { amount = 50.00m }, "n-1")).ErrorAsync(HttpStatusCode.Conflict, "INSUFFICIENT_FUNDS");
        Assert.Contains("negative", error.GetProperty("message").GetString());
        Assert.DoesNotContain(factory.Stripe.RefundRequests, r => r.FormValue("payment_intent") == pi);
        // Exactly down to zero is allowed.
        await (await RefundAsync(client, id, loadId, new { amount = 10.00m }, "n-2")).JsonAsync(HttpStatusCode.Created);
        await AssertLedgerHoldsAsync(client, id, 0m);

        await (await client.PatchJsonAsync("/v1/loyalty/program", new { allowNegativeBalanceAfterRefund = true })).JsonAsync(HttpStatusCode.OK);
        var refund = await (await RefundAsync(client, id, loadId, new { amount = 40.00m }, "n-3")).JsonAsync(HttpStatusCode.Created);
        Assert.Equal(-40.00m, refund.GetProperty("walletBalance").GetDecimal());
        await AssertLedgerHoldsAsync(client, id, -40.00m);
        // A negative wallet cannot be spent from.
        await (await client.PostJsonAsync($"/v1/loyalty/members/{id}/wallet/spend", new { amount = 1.00m, idempotencyKey = "s-2" }))
            .ErrorAsync(HttpStatusCode.Conflict, "INSUFFICIENT_FUNDS");
    }

    [Fact]
    public async Task A_Stripe_failure_leaves_the_wallet_and_a_retry_with_the_same_key_refunds_once()
    {
        var tenant = await factory.CreateTenantAsync();
        using var client = tenant.Live();
        var id = await LoyaltyFactory.CreateMemberAsync(client);
        var load = await LoadAsync(client, id, 30.00m, "l-1");
        var loadId = load.GetProperty("loadId").GetString()!;
        var pi = load.GetProperty("paymentIntentId").GetString()!;

        factory.Stripe.RefundMode[pi] = "outage";
        await (await RefundAsync(client, id, loadId, new { amount = 12.00m }, "f-1")).ErrorAsync(HttpStatusCode.BadGateway, "STRIPE_UNAVAILABLE");
        await AssertLedgerHoldsAsync(client, id, 30.00m);
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM outbox_events WHERE event_type = 'wallet.refunded' AND payload->>'memberId' = @m", id));

        factory.Stripe.RefundMode[pi] = "ok";
        var refund = await (await RefundAsync(client, id, loadId, new { amount = 12.00m }, "f-1")).JsonAsync(HttpStatusCode.Created);
        Assert.Equal(18.00m, refund.GetProperty("walletBalance").GetDecimal());
        Assert.Single(factory.Stripe.Refunds.Values, r => r.GetProperty("payment_intent").GetString() == pi);
        var keys = factory.Stripe.RefundRequests.Where(r => r.FormValue("payment_intent") == pi).Select(r => r.Headers["idempotency-key"]).Distinct();
        Assert.Single(keys);

        // Stripe answers a failed refund: no debit, a clear 409.
        factory.Stripe.RefundMode[pi] = "failed";
        await (await RefundAsync(client, id, loadId, new { amount = 5.00m }, "f-2")).ErrorAsync(HttpStatusCode.Conflict, "REFUND_REJECTED");
        Assert.Equal(1, await CountAsync("SELECT count(*) FROM loyalty_ledger WHERE member_id = @m AND kind = 'wallet_refund'", id));
        await AssertLedgerHoldsAsync(client, id, 18.00m);
    }

    [Fact]
    public async Task Charge_refunded_webhook_debits_each_Stripe_refund_once_including_ones_made_through_the_API()
    {
        using var loaded = await LoadedMemberAsync();
        var (tenant, client, id, loadId, pi) = (loaded.Tenant, loaded.Client, loaded.MemberId, loaded.LoadId, loaded.PaymentIntentId);

        // A refund made in the Stripe dashboard.
        var dashboard = ("re_dashboard" + Guid.NewGuid().ToString("N")[..12], 1500L);
        var first = await WebhookAsync("charge.refunded", FakeStripe.ChargeJson(pi, 5000, 1500, [dashboard]));
        Assert.True(first.GetProperty("handled").GetBoolean());
        Assert.Equal(1, first.GetProperty("refunds").GetInt32());
        await AssertLedgerHoldsAsync(client, id, 35.00m);
        // Stripe redelivers the same event: nothing more.
        var redelivered = await WebhookAsync("charge.refunded", FakeStripe.ChargeJson(pi, 5000, 1500, [dashboard]));
        Assert.Equal(0, redelivered.GetProperty("refunds").GetInt32());
        await AssertLedgerHoldsAsync(client, id, 35.00m);

        // The remainder left for the API accounts for the dashboard refund.
        await (await RefundAsync(client, id, loadId, new { amount = 35.01m }, "w-0")).ErrorAsync(HttpStatusCode.Conflict, "REFUND_EXCEEDS_LOAD");
        var api = await (await RefundAsync(client, id, loadId, new { amount = 10.00m }, "w-1")).JsonAsync(HttpStatusCode.Created);
        var apiRefund = (api.GetProperty("stripeId").GetString()!, 1000L);
        await AssertLedgerHoldsAsync(client, id, 25.00m);
        // Stripe's charge.refunded for the API refund lists both refunds: neither is debited again.
        var both = await WebhookAsync("charge.refunded", FakeStripe.ChargeJson(pi, 5000, 2500, [dashboard, apiRefund]));
        Assert.Equal(0, both.GetProperty("refunds").GetInt32());
        await AssertLedgerHoldsAsync(client, id, 25.00m);

        // An event without the refund list: only amount_refunded not yet recorded (30.00 − 25.00) is debited, once.
        await WebhookAsync("charge.refunded", FakeStripe.ChargeJson(pi, 5000, 3000, null));
        await WebhookAsync("charge.refunded", FakeStripe.ChargeJson(pi, 5000, 3000, null));
        await AssertLedgerHoldsAsync(client, id, 20.00m);

        Assert.Equal(3, await CountAsync("SELECT count(*) FROM loyalty_ledger WHERE member_id = @m AND kind = 'wallet_refund'", id));
        Assert.Equal(3, await CountAsync("SELECT count(*) FROM outbox_events WHERE event_type = 'wallet.refunded' AND payload->>'memberId' = @m", id));
        // A refund of a PaymentIntent that is not a wallet load, and unknown event types: acknowledged, ignored.
        Assert.False((await WebhookAsync("charge.refunded", FakeStripe.ChargeJson("pi_unknown000000000000", 100, 100, [("re_x", 100L)])))
            .GetProperty("handled").GetBoolean());
        Assert.False((await WebhookAsync("customer.created", """{"id":"cus_1","object":"customer"}""")).GetProperty("handled").GetBoolean());
        await AssertLedgerHoldsAsync(client, id, 20.00m);
    }

    [Fact]
    public async Task A_refund_whose_answer_was_lost_is_debited_once_by_the_webhook_and_the_retry()
    {
        var tenant = await factory.CreateTenantAsync();
        using var client = tenant.Live();
        var id = await LoyaltyFactory.CreateMemberAsync(client);
        var load = await LoadAsync(client, id, 40.00m, "l-1");
        var loadId = load.GetProperty("loadId").GetString()!;
        var pi = load.GetProperty("paymentIntentId").GetString()!;

        // Stripe makes the refund but the answer never arrives: 502, wallet untouched.
        factory.Stripe.RefundMode[pi] = "lost_response";
        await (await RefundAsync(client, id, loadId, new { amount = 15.00m }, "lost-1")).ErrorAsync(HttpStatusCode.BadGateway, "STRIPE_UNAVAILABLE");
        await AssertLedgerHoldsAsync(client, id, 40.00m);
        var made = Assert.Single(factory.Stripe.Refunds.Values, r => r.GetProperty("payment_intent").GetString() == pi);
        var refundId = made.GetProperty("id").GetString()!;

        // Stripe's charge.refunded reports it: debited once.
        await WebhookAsync("charge.refunded", FakeStripe.ChargeJson(pi, 4000, 1500, [(refundId, 1500L)]));
        await AssertLedgerHoldsAsync(client, id, 25.00m);

        // A forged copy signed with another secret changes nothing.
        var forged = FakeStripe.EventJson("charge.refunded", FakeStripe.ChargeJson(pi, 4000, 4000, [("re_forged", 4000L)]));
        using (var anonymous = factory.CreateClient())
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/v1/stripe/webhook") { Content = new StringContent(forged, Encoding.UTF8, "application/json") };
            request.Headers.Add("Stripe-Signature", FakeStripe.Sign(forged, "whsec_wrong"));
            await (await anonymous.SendAsync(request)).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_SIGNATURE");
        }

        // The client retries with the same key once Stripe answers again: Stripe replays the same refund, no second debit,
        // and from then on our key replays it too.
        factory.Stripe.RefundMode[pi] = "ok";
        var retry = await (await RefundAsync(client, id, loadId, new { amount = 15.00m }, "lost-1")).JsonAsync(HttpStatusCode.Created);
        Assert.Equal(refundId, retry.GetProperty("stripeId").GetString());
        Assert.True(retry.GetProperty("replayed").GetBoolean());
        var again = await (await RefundAsync(client, id, loadId, new { amount = 15.00m }, "lost-1")).JsonAsync(HttpStatusCode.Created);
        Assert.Equal(refundId, again.GetProperty("stripeId").GetString());
        Assert.Equal(1, await CountAsync("SELECT count(*) FROM loyalty_ledger WHERE member_id = @m AND kind = 'wallet_refund'", id));
        Assert.Equal(1, await CountAsync("SELECT count(*) FROM outbox_events WHERE event_type = 'wallet.refunded' AND payload->>'memberId' = @m", id));
        await AssertLedgerHoldsAsync(client, id, 25.00m);
    }

    [Fact]
    public async Task A_dashboard_refund_may_take_the_wallet_negative_because_the_money_has_left()
    {
        var tenant = await factory.CreateTenantAsync();
        using var client = tenant.Live();
        var id = await LoyaltyFactory.CreateMemberAsync(client);
        var load = await LoadAsync(client, id, 20.00m, "l-1");
        var pi = load.GetProperty("paymentIntentId").GetString()!;
        await (await client.PostJsonAsync($"/v1/loyalty/members/{id}/wallet/spend", new { amount = 15.00m, idempotencyKey = "s-1" })).JsonAsync(HttpStatusCode.Created);
        await WebhookAsync("charge.refunded", FakeStripe.ChargeJson(pi, 2000, 2000, [("re_neg" + Guid.NewGuid().ToString("N")[..12], 2000L)]));
        await AssertLedgerHoldsAsync(client, id, -15.00m);
    }

    [Fact]
    public async Task A_dispute_debits_once_and_a_won_dispute_credits_it_back_once()
    {
        using var loaded = await LoadedMemberAsync();
        var (tenant, client, id, loadId, pi) = (loaded.Tenant, loaded.Client, loaded.MemberId, loaded.LoadId, loaded.PaymentIntentId);
        await (await client.PostJsonAsync($"/v1/loyalty/members/{id}/wallet/spend", new { amount = 30.00m, idempotencyKey = "s-1" })).JsonAsync(HttpStatusCode.Created);

        var dp = "dp_fake" + Guid.NewGuid().ToString("N")[..16];
        await WebhookAsync("charge.dispute.created", FakeStripe.DisputeJson(dp, pi, 5000, "needs_response"));
        await WebhookAsync("charge.dispute.created", FakeStripe.DisputeJson(dp, pi, 5000, "needs_response"));
        await AssertLedgerHoldsAsync(client, id, -30.00m); // recorded even below zero: the money was pulled back
        // While disputed, nothing of the load is left to refund.
        await (await RefundAsync(client, id, loadId, new { amount = 1.00m }, "d-1")).ErrorAsync(HttpStatusCode.Conflict, "REFUND_EXCEEDS_LOAD");

        await WebhookAsync("charge.dispute.closed", FakeStripe.DisputeJson(dp, pi, 5000, "won"));
        await WebhookAsync("charge.dispute.closed", FakeStripe.DisputeJson(dp, pi, 5000, "won"));
        await AssertLedgerHoldsAsync(client, id, 20.00m);

        // A lost dispute keeps the debit; a "won" for a dispute never opened credits nothing.
        var lost = "dp_fake" + Guid.NewGuid().ToString("N")[..16];
        await WebhookAsync("charge.dispute.created", FakeStripe.DisputeJson(lost, pi, 1000, "needs_response"));
        await WebhookAsync("charge.dispute.closed", FakeStripe.DisputeJson(lost, pi, 1000, "lost"));
        await WebhookAsync("charge.dispute.closed", FakeStripe.DisputeJson("dp_never_opened_000", pi, 1000, "won"));
        await AssertLedgerHoldsAsync(client, id, 10.00m);

        Assert.Equal(2, await CountAsync("SELECT count(*) FROM loyalty_ledger WHERE member_id = @m AND kind = 'wallet_dispute'", id));
        Assert.Equal(1, await CountAsync("SELECT count(*) FROM loyalty_ledger WHERE member_id = @m AND kind = 'wallet_dispute_won'", id));
        Assert.Equal(2, await CountAsync("SELECT count(*) FROM outbox_events WHERE event_type = 'wallet.disputed' AND payload->>'memberId' = @m", id));
        Assert.Equal(1, await CountAsync("SELECT count(*) FROM outbox_events WHERE event_type = 'wallet.dispute_won' AND payload->>'memberId' = @m", id));
    }

    [Fact]
    public async Task Concurrent_spends_and_refunds_never_overdraw_and_each_Stripe_refund_is_one_entry()
    {
        var tenant = await factory.CreateTenantAsync();
        using var client = tenant.Live();
        var id = await LoyaltyFactory.CreateMemberAsync(client);
        var load = await LoadAsync(client, id, 100.00m, "l-1");
        var loadId = load.GetProperty("loadId").GetString()!;
        var pi = load.GetProperty("paymentIntentId").GetString()!;

        // 200.00 of demand on a 100.00 wallet: ten 10.00 spends and ten 10.00 refunds at once.
        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => i % 2 == 0
            ? client.PostJsonAsync($"/v1/loyalty/members/{id}/wallet/spend", new { amount = 10.00m, idempotencyKey = $"sp-{i}" })
            : RefundAsync(client, id, loadId, new { amount = 10.00m }, $"rf-{i}")));
        Assert.All(responses, r => Assert.True(r.StatusCode is HttpStatusCode.Created or HttpStatusCode.Conflict, $"{(int)r.StatusCode}"));
        var refunded = responses.Where((r, i) => i % 2 == 1 && r.StatusCode == HttpStatusCode.Created).Count();
        var spent = responses.Where((r, i) => i % 2 == 0 && r.StatusCode == HttpStatusCode.Created).Count();
        Assert.Equal(10, refunded + spent);
        await AssertLedgerHoldsAsync(client, id, 0m);
        Assert.Equal(refunded, factory.Stripe.Refunds.Values.Count(r => r.GetProperty("payment_intent").GetString() == pi));
        Assert.Equal(refunded, await CountAsync("SELECT count(*) FROM loyalty_ledger WHERE member_id = @m AND kind = 'wallet_refund'", id));
    }

    [Fact]
    public async Task Another_tenant_gets_404_and_a_mismatched_tenant_header_403()
    {
        var a = await factory.CreateTenantAsync();
        var b = await factory.CreateTenantAsync();
        using var clientA = a.Live();
        using var clientB = b.Live();
        var id = await LoyaltyFactory.CreateMemberAsync(clientA);
        var load = await LoadAsync(clientA, id, 25.00m, "l-1");
        var loadId = load.GetProperty("loadId").GetString()!;
        var pi = load.GetProperty("paymentIntentId").GetString()!;

        await (await RefundAsync(clientB, id, loadId, new { amount = 5.00m }, "x-1")).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        // B's own member with A's load id: still 404.
        var own = await LoyaltyFactory.CreateMemberAsync(clientB);
        await (await RefundAsync(clientB, own, loadId, new { amount = 5.00m }, "x-2")).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        using var sandbox = a.Sandbox();
        await (await RefundAsync(sandbox, id, loadId, new { amount = 5.00m }, "x-3")).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        using var mismatched = factory.ClientFor(a.LiveKey, b.TenantId);
        await (await RefundAsync(mismatched, id, loadId, new { amount = 5.00m }, "x-4")).ErrorAsync(HttpStatusCode.Forbidden, "TENANT_MISMATCH");

        Assert.DoesNotContain(factory.Stripe.RefundRequests, r => r.FormValue("payment_intent") == pi);
        await AssertLedgerHoldsAsync(clientA, id, 25.00m);
    }
}
