using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CloudFran.Tests.Infrastructure;
using Npgsql;
using Xunit;

namespace CloudFran.Tests.Loyalty;

/// <summary>Wallet loads through the fake Stripe: success, decline, webhook confirmation and signatures, auto-reload.</summary>
[Collection(LoyaltyCollection.Name)]
public sealed class WalletPaymentTests(LoyaltyFactory factory)
{
    private static async Task<HttpResponseMessage> LoadAsync(HttpClient client, string memberId, object body, string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/loyalty/members/{memberId}/wallet/load") { Content = JsonContent.Create(body) };
        request.Headers.Add("Idempotency-Key", key);
        return await client.SendAsync(request);
    }

    private async Task<HttpResponseMessage> PostWebhookAsync(string body, string signature)
    {
        using var anonymous = factory.CreateClient();
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/stripe/webhook") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("Stripe-Signature", signature);
        return await anonymous.SendAsync(request);
    }

    private Task<long> CountAsync(string sql, string memberId) => factory.CountAsync(sql, ("m", memberId));

    [Fact]
    public async Task A_succeeded_payment_credits_once_with_the_idempotency_key_sent_to_Stripe()
    {
        var tenant = await factory.CreateTenantAsync();
        using var client = tenant.Live();
        var id = await LoyaltyFactory.CreateMemberAsync(client);
        var load = await (await LoadAsync(client, id, new { amount = 25.50m, paymentMethodId = "pm_card_visa" }, "load-1")).JsonAsync(HttpStatusCode.Created);
        Assert.Equal("succeeded", load.GetProperty("status").GetString());
        Assert.Equal(25.50m, load.GetProperty("walletBalance").GetDecimal());
        var loadId = load.GetProperty("loadId").GetString()!;
        var sent = factory.Stripe.PaymentIntentRequests.Single(r => r.FormValue("metadata[cf_load_id]") == loadId);
        Assert.Equal($"cf-wallet-load-{loadId}", sent.Headers["idempotency-key"]);
        Assert.Equal("2550", sent.FormValue("amount"));
        Assert.Equal("true", sent.FormValue("confirm"));

        // The client retries: same load, no second charge request with a new key, no second credit.
        var again = await (await LoadAsync(client, id, new { amount = 25.50m, paymentMethodId = "pm_card_visa" }, "load-1")).JsonAsync(HttpStatusCode.Created);
        Assert.Equal(loadId, again.GetProperty("loadId").GetString());
        Assert.Equal(25.50m, (await LoyaltyFactory.MemberAsync(client, id)).GetProperty("walletBalance").GetDecimal());
        Assert.Equal(1, await CountAsync("SELECT count(*) FROM loyalty_ledger WHERE member_id = @m AND kind = 'wallet_load'", id));
        Assert.Equal(1, await CountAsync("SELECT count(*) FROM outbox_events WHERE event_type = 'wallet.funds_loaded' AND payload->>'memberId' = @m", id));

        // A webhook for the same PaymentIntent afterwards changes nothing.
        var intent = factory.Stripe.Intents[load.GetProperty("paymentIntentId").GetString()!];
        var body = FakeStripe.EventJson("payment_intent.succeeded", intent);
        await (await PostWebhookAsync(body, FakeStripe.Sign(body))).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(25.50m, (await LoyaltyFactory.MemberAsync(client, id)).GetProperty("walletBalance").GetDecimal());
    }

    [Fact]
    public async Task A_declined_card_never_credits()
    {
        var tenant = await factory.CreateTenantAsync();
        using var client = tenant.Live();
        var id = await LoyaltyFactory.CreateMemberAsync(client);
        var error = await (await LoadAsync(client, id, new { amount = 40.00m, paymentMethodId = "pm_card_chargeDeclined" }, "load-declined"))
            .ErrorAsync(HttpStatusCode.PaymentRequired, "PAYMENT_FAILED");
        Assert.Contains("card_declined", error.GetProperty("message").GetString());
        Assert.Equal(0m, (await LoyaltyFactory.MemberAsync(client, id)).GetProperty("walletBalance").GetDecimal());
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM loyalty_ledger WHERE member_id = @m", id));
        // A forged "succeeded" webhook for it, signed with the wrong secret: 400 and still nothing.
        var intent = factory.Stripe.Intents.Values.Single(i => i.GetProperty("metadata").TryGetProperty("cf_member_id", out var m) && m.GetString() == id);
        var forged = FakeStripe.EventJson("payment_intent.succeeded", intent);
        await (await PostWebhookAsync(forged, FakeStripe.Sign(forged, "whsec_wrong"))).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_SIGNATURE");
        await (await PostWebhookAsync(forged, "t=1,v1=00")).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_SIGNATURE");
        Assert.Equal(0m, (await LoyaltyFactory.MemberAsync(client, id)).GetProperty("walletBalance").GetDecimal());
    }

    [Fact]
    public async Task A_processing_payment_is_credited_by_the_signed_webhook_exactly_once()
    {
        var tenant = await factory.CreateTenantAsync();
        using var client = tenant.Live();
        var id = await LoyaltyFactory.CreateMemberAsync(client);
        var load = await (await LoadAsync(client, id, new { amount = 60.00m, paymentMethodId = "pm_card_processing" }, "load-async")).JsonAsync(HttpStatusCode.Accepted);
        Assert.Equal("processing", load.GetProperty("status").GetString());
        Assert.Equal(0m, (await LoyaltyFactory.MemberAsync(client, id)).GetProperty("walletBalance").GetDecimal());

        var intent = factory.Stripe.Intents[load.GetProperty("paymentIntentId").GetString()!];
        var succeeded = JsonDocument.Parse(intent.GetRawText().Replace("\"status\":\"processing\"", "\"status\":\"succeeded\"")).RootElement;
        var body = FakeStripe.EventJson("payment_intent.succeeded", succeeded);
        // Bad signature: 400, no credit. Stale timestamp: 400 too.
        await (await PostWebhookAsync(body, FakeStripe.Sign(body + " "))).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_SIGNATURE");
        await (await PostWebhookAsync(body, FakeStripe.Sign(body, at: DateTimeOffset.UtcNow.AddMinutes(-10)))).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_SIGNATURE");
        Assert.Equal(0m, (await LoyaltyFactory.MemberAsync(client, id)).GetProperty("walletBalance").GetDecimal());

        var handled = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => PostWebhookAsync(body, FakeStripe.Sign(body))));
        Assert.All(handled, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(60.00m, (await LoyaltyFactory.MemberAsync(client, id)).GetProperty("walletBalance").GetDecimal());
        var status = await (await client.GetAsync($"/v1/loyalty/members/{id}/wallet/loads/{load.GetProperty("loadId").GetString()}")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal("succeeded", status.GetProperty("status").GetString());
        Assert.Equal(1, await CountAsync("SELECT count(*) FROM loyalty_ledger WHERE member_id = @m AND kind = 'wallet_load'", id));
    }

    [Fact]
    public async Task Auto_reload_fires_once_when_debits_take_the_balance_below_the_threshold()
    {
        var tenant = await factory.CreateTenantAsync();
        using var client = tenant.Live();
        var id = await LoyaltyFactory.CreateMemberAsync(client);
        await (await LoadAsync(client, id, new { amount = 50.00m, paymentMethodId = "pm_card_visa", autoReload = new { threshold = 20.00m, reloadAmount = 30.00m } }, "seed"))
            .JsonAsync(HttpStatusCode.Created);
        var member = await LoyaltyFactory.MemberAsync(client, id);
        Assert.Equal(20.00m, member.GetProperty("autoReload").GetProperty("threshold").GetDecimal());

        // Eight concurrent 5.00 spends: the balance crosses 20.00 several times over; one reload (30.00) is started.
        var spends = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            client.PostJsonAsync($"/v1/loyalty/members/{id}/wallet/spend", new { amount = 5.00m, idempotencyKey = $"spend-{i}" })));
        Assert.All(spends, r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
        var balance = await Eventually.Async("the wallet to show the eight spends and the one reload",
            async () => (await LoyaltyFactory.MemberAsync(client, id)).GetProperty("walletBalance").GetDecimal(), b => b == 40.00m);
        Assert.Equal(50.00m - 40.00m + 30.00m, balance);
        // Reloads start inside the spends (all answered by now); wait until none of the member's loads is still open,
        // so the load rows and ledger below are final.
        await Eventually.Async("the member's wallet loads to reach a final state", () => CountAsync(
            "SELECT count(*) FROM loyalty_wallet_loads WHERE member_id = @m AND status IN ('pending', 'processing')", id), n => n == 0);
        Assert.Equal(1, await CountAsync("SELECT count(*) FROM loyalty_wallet_loads WHERE member_id = @m AND auto_reload", id));
        Assert.Equal(2, await CountAsync("SELECT count(*) FROM loyalty_ledger WHERE member_id = @m AND kind = 'wallet_load'", id));
        Assert.Single(factory.Stripe.PaymentIntentRequests, r => r.FormValue("metadata[cf_member_id]") == id && r.FormValue("off_session") == "true");
    }

    [Fact]
    public async Task The_daily_stored_value_limit_is_enforced()
    {
        var tenant = await factory.CreateTenantAsync();
        using var client = tenant.Live();
        await (await client.PatchJsonAsync("/v1/loyalty/program", new { dailyStoredValueLimit = 100.00m })).JsonAsync(HttpStatusCode.OK);
        var id = await LoyaltyFactory.CreateMemberAsync(client);
        await (await LoadAsync(client, id, new { amount = 80.00m, paymentMethodId = "pm_card_visa" }, "d-1")).JsonAsync(HttpStatusCode.Created);
        await (await LoadAsync(client, id, new { amount = 20.01m, paymentMethodId = "pm_card_visa" }, "d-2")).ErrorAsync(HttpStatusCode.Conflict, "DAILY_LIMIT_EXCEEDED");
        await (await LoadAsync(client, id, new { amount = 20.00m }, "d-3")).JsonAsync(HttpStatusCode.Created); // saved payment method
        Assert.Equal(100.00m, (await LoyaltyFactory.MemberAsync(client, id)).GetProperty("walletBalance").GetDecimal());
    }

    [Fact]
    public void Stripe_signature_vector_matches_the_published_one()
    {
        // protocols.md: secret "webhook_secret", t=1533204620 over the SDK's fixture → this v1. Our signer is the
        // same HMAC; checked here on a payload whose signature we recompute with Stripe.net's own helper.
        var payload = "{\"id\":\"evt_test_webhook\",\"object\":\"event\"}";
        var ours = FakeStripe.Sign(payload, "webhook_secret", DateTimeOffset.FromUnixTimeSeconds(1533204620));
        var theirs = Stripe.EventUtility.ComputeSignature("webhook_secret", "1533204620", payload);
        Assert.Equal($"t=1533204620,v1={theirs}", ours);
    }
}
