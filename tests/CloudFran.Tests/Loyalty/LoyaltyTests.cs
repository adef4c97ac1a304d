using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CloudFran.Tests.Infrastructure;
using Npgsql;
using Xunit;

namespace CloudFran.Tests.Loyalty;

/// <summary>Members, points, redemptions, idempotency, transfers, check-ins, gift cards, referrals and isolation over HTTP.</summary>
[Collection(LoyaltyCollection.Name)]
public sealed class LoyaltyTests(LoyaltyFactory factory)
{
    private static async Task<HttpResponseMessage> PostKeyedAsync(HttpClient client, string url, object body, string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = JsonContent.Create(body) };
        request.Headers.Add("Idempotency-Key", key);
        return await client.SendAsync(request);
    }

    private async Task<long> LedgerCountAsync(string memberId)
    {
        await using var conn = new NpgsqlConnection(factory.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT count(*) FROM loyalty_ledger WHERE member_id = @m", conn);
        cmd.Parameters.AddWithValue("m", memberId);
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task Member_is_created_found_and_earns_by_program_rules_with_tier_change()
    {
        var tenant = await factory.CreateTenantAsync();
        using var client = tenant.Live();
        await (await client.PatchJsonAsync("/v1/loyalty/program", new
        {
            pointsPerCurrencyUnit = 2m,
            categoryMultipliers = new Dictionary<string, decimal> { ["color"] = 1.5m },
            tiers = new[] { new { name = "bronze", minLifetimePoints = 0L, earnMultiplier = 1m }, new { name = "silver", minLifetimePoints = 100L, earnMultiplier = 2m } },
        })).JsonAsync(HttpStatusCode.OK);
        var phone = LoyaltyFactory.RandomPhone();
        var created = await (await client.PostJsonAsync("/v1/loyalty/members", new { name = "Maria Lopez", phone, email = "maria@example.com" }))
            .JsonAsync(HttpStatusCode.Created);
        var id = created.GetProperty("memberId").GetString()!;
        Assert.Equal("bronze", created.GetProperty("tier").GetString());
        Assert.Equal(0, created.GetProperty("points").GetInt64());

        // Same phone again → 409.
        await (await client.PostJsonAsync("/v1/loyalty/members", new { name = "Other", phone })).ErrorAsync(HttpStatusCode.Conflict, "CONFLICT");

        // 40.00 in "color": 40 × 2 × 1.5 = 120 points → silver.
        var earn = await LoyaltyFactory.EarnAsync(client, id, new { amount = 40.00m, category = "color", reference = "inv-1" });
        Assert.Equal(120, earn.GetProperty("pointsDelta").GetInt64());
        var member = await LoyaltyFactory.MemberAsync(client, id);
        Assert.Equal(120, member.GetProperty("points").GetInt64());
        Assert.Equal(120, member.GetProperty("lifetimePoints").GetInt64());
        Assert.Equal("silver", member.GetProperty("tier").GetString());
        // Silver earns double: 10.00 × 2 × 2 = 40.
        Assert.Equal(40, (await LoyaltyFactory.EarnAsync(client, id, new { amount = 10.00m })).GetProperty("pointsDelta").GetInt64());

        foreach (var query in new[] { $"phone={Uri.EscapeDataString(phone)}", "email=MARIA@example.com", "name=lopez" })
        {
            var found = await (await client.GetAsync($"/v1/loyalty/members?{query}")).JsonAsync(HttpStatusCode.OK);
            Assert.Contains(found.GetProperty("data").EnumerateArray(), m => m.GetProperty("memberId").GetString() == id);
        }

        await using var conn = new NpgsqlConnection(factory.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(
            "SELECT count(*) FROM outbox_events WHERE tenant_id = @t AND event_type IN ('loyalty.points_earned', 'loyalty.tier_changed')", conn);
        cmd.Parameters.AddWithValue("t", tenant.TenantId);
        Assert.Equal(3L, await cmd.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Replaying_an_earn_with_the_same_key_returns_the_original_without_a_second_entry()
    {
        var tenant = await factory.CreateTenantAsync();
        using var client = tenant.Live();
        var id = await LoyaltyFactory.CreateMemberAsync(client);
        var first = await LoyaltyFactory.EarnAsync(client, id, new { amount = 25.00m, reference = "pos-9" }, key: "earn-pos-9");
        var again = await LoyaltyFactory.EarnAsync(client, id, new { amount = 25.00m, reference = "pos-9" }, key: "earn-pos-9");
        Assert.Equal(first.GetProperty("entryId").GetString(), again.GetProperty("entryId").GetString());
        Assert.True(again.GetProperty("replayed").GetBoolean());
        Assert.Equal(25, (await LoyaltyFactory.MemberAsync(client, id)).GetProperty("points").GetInt64());
        Assert.Equal(1, await LedgerCountAsync(id));
        // The same key with different parameters is refused.
        await (await PostKeyedAsync(client, $"/v1/loyalty/members/{id}/points/earn", new { amount = 99.00m }, "earn-pos-9"))
            .ErrorAsync(HttpStatusCode.Conflict, "IDEMPOTENCY_KEY_REUSED");
    }

    [Fact]
    public async Task Concurrent_redeems_never_overspend()
    {
        var tenant = await factory.CreateTenantAsync();
        using var client = tenant.Live();
        var id = await LoyaltyFactory.CreateMemberAsync(client);
        await LoyaltyFactory.EarnAsync(client, id, new { points = 100L });
        var attempts = await Task.WhenAll(Enumerable.Range(0, 30).Select(i =>
            PostKeyedAsync(client, $"/v1/loyalty/members/{id}/points/redeem", new { points = 7L }, $"redeem-{i}")));
        var ok = attempts.Count(r => r.StatusCode == HttpStatusCode.Created);
        Assert.Equal(14, ok); // 14 × 7 = 98
        Assert.All(attempts.Where(r => r.StatusCode != HttpStatusCode.Created), r => Assert.Equal(HttpStatusCode.Conflict, r.StatusCode));
        await attempts.First(r => r.StatusCode == HttpStatusCode.Conflict).ErrorAsync(HttpStatusCode.Conflict, "INSUFFICIENT_POINTS");
        Assert.Equal(2, (await LoyaltyFactory.MemberAsync(client, id)).GetProperty("points").GetInt64());
        // A replay of a successful redeem still answers its original result, even though the balance is now too low.
        var replay = await (await PostKeyedAsync(client, $"/v1/loyalty/members/{id}/points/redeem", new { points = 7L },
            $"redeem-{Array.FindIndex(attempts, r => r.StatusCode == HttpStatusCode.Created)}")).JsonAsync(HttpStatusCode.Created);
        Assert.True(replay.GetProperty("replayed").GetBoolean());
    }

    [Fact]
    public async Task Bad_amounts_and_ids_are_4xx()
    {
        var tenant = await factory.CreateTenantAsync();
        using var client = tenant.Live();
        var id = await LoyaltyFactory.CreateMemberAsync(client);
        await (await client.PostJsonAsync($"/v1/loyalty/members/{id}/points/earn", new { amount = 10.001m })).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await client.PostJsonAsync($"/v1/loyalty/members/{id}/points/earn", new { amount = -5m })).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await client.PostJsonAsync($"/v1/loyalty/members/{id}/points/earn", new { amount = 5m, points = 3 })).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await client.PostJsonAsync($"/v1/loyalty/members/{id}/points/redeem", new { points = 0 })).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await client.PostJsonAsync($"/v1/loyalty/members/{id}/wallet/load", new { amount = 0m, paymentMethodId = "pm_card_visa" })).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await client.PostJsonAsync($"/v1/loyalty/members/{id}/wallet/spend", new { amount = 1.999m })).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await client.PostJsonAsync("/v1/loyalty/transfers", new { from = id, to = id, amount = 1.5m })).ErrorAsync(HttpStatusCode.BadRequest, "MISSING_FIELD");
        await (await client.PostJsonAsync("/v1/loyalty/gift-cards", new { amount = 25.555m })).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await client.PostJsonAsync("/v1/loyalty/members", new { name = "X", phone = "555-1234" })).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await client.SendRawAsync(HttpMethod.Post, $"/v1/loyalty/members/{id}/points/earn", "{\"amount\": \"ten\"}")).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        await (await client.GetAsync("/v1/loyalty/members/mem_doesnotexist00")).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        await (await client.GetAsync("/v1/loyalty/members/42")).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        await (await client.GetAsync($"/v1/loyalty/members/{id}/history?type=bogus")).ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");
        Assert.Equal(0, await LedgerCountAsync(id));
    }

    [Fact]
    public async Task Another_tenant_gets_404_and_a_mismatched_tenant_header_403()
    {
        var a = await factory.CreateTenantAsync();
        var b = await factory.CreateTenantAsync();
        using var clientA = a.Live();
        using var clientB = b.Live();
        var id = await LoyaltyFactory.CreateMemberAsync(clientA);
        await LoyaltyFactory.EarnAsync(clientA, id, new { points = 50L });
        var card = await (await clientA.PostJsonAsync("/v1/loyalty/gift-cards", new { amount = 20.00m })).JsonAsync(HttpStatusCode.Created);
        var other = await LoyaltyFactory.CreateMemberAsync(clientB);

        await (await clientB.GetAsync($"/v1/loyalty/members/{id}")).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        await (await clientB.GetAsync($"/v1/loyalty/members/{id}/history")).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        await (await clientB.PostJsonAsync($"/v1/loyalty/members/{id}/points/redeem", new { points = 10L })).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        await (await clientB.PostJsonAsync("/v1/loyalty/transfers", new { from = id, to = other, points = 10L, idempotencyKey = "x1" }))
            .ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        await (await clientB.GetAsync($"/v1/loyalty/gift-cards/{card.GetProperty("giftCardId").GetString()}")).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        await (await clientB.PostJsonAsync("/v1/loyalty/gift-cards/lookup", new { code = card.GetProperty("code").GetString() }))
            .ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");
        // Sandbox keys see another partition of the same tenant.
        using var sandbox = a.Sandbox();
        await (await sandbox.GetAsync($"/v1/loyalty/members/{id}")).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");

        using var mismatched = factory.ClientFor(a.LiveKey, b.TenantId);
        await (await mismatched.GetAsync($"/v1/loyalty/members/{id}")).ErrorAsync(HttpStatusCode.Forbidden, "TENANT_MISMATCH");
        Assert.Equal(50, (await LoyaltyFactory.MemberAsync(clientA, id)).GetProperty("points").GetInt64());
    }

    [Fact]
    public async Task Transfers_move_both_sides_once_and_opposite_transfers_do_not_deadlock()
    {
        var tenant = await factory.CreateTenantAsync();
        using var client = tenant.Live();
        var alice = await LoyaltyFactory.CreateMemberAsync(client, "Alice");
        var bob = await LoyaltyFactory.CreateMemberAsync(client, "Bob");
        await LoyaltyFactory.EarnAsync(client, alice, new { points = 1000L });
        await LoyaltyFactory.EarnAsync(client, bob, new { points = 1000L });

        var transfer = await (await client.PostJsonAsync("/v1/loyalty/transfers", new { from = alice, to = bob, points = 100L, idempotencyKey = "t-1" }))
            .JsonAsync(HttpStatusCode.Created);
        Assert.Equal("completed", transfer.GetProperty("status").GetString());
        var replay = await (await client.PostJsonAsync("/v1/loyalty/transfers", new { from = alice, to = bob, points = 100L, idempotencyKey = "t-1" }))
            .JsonAsync(HttpStatusCode.Created);
        Assert.Equal(transfer.GetProperty("transferId").GetString(), replay.GetProperty("transferId").GetString());
        await (await client.PostJsonAsync("/v1/loyalty/transfers", new { from = alice, to = bob, points = 101L, idempotencyKey = "t-1" }))
            .ErrorAsync(HttpStatusCode.Conflict, "IDEMPOTENCY_KEY_REUSED");

        // 40 transfers each way at once.
        var racing = await Task.WhenAll(Enumerable.Range(0, 80).Select(i => client.PostJsonAsync("/v1/loyalty/transfers",
            i % 2 == 0 ? new { from = alice, to = bob, points = 5L, idempotencyKey = $"ab-{i}" } : new { from = bob, to = alice, points = 3L, idempotencyKey = $"ba-{i}" })));
        Assert.All(racing, r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
        Assert.Equal(1000 - 100 - 40 * 5 + 40 * 3, (await LoyaltyFactory.MemberAsync(client, alice)).GetProperty("points").GetInt64());
        Assert.Equal(1000 + 100 + 40 * 5 - 40 * 3, (await LoyaltyFactory.MemberAsync(client, bob)).GetProperty("points").GetInt64());

        // Overdraft: refused, nothing moves, and the refusal is what a retry gets too.
        await (await client.PostJsonAsync("/v1/loyalty/transfers", new { from = alice, to = bob, amount = 5.00m, idempotencyKey = "t-broke" }))
            .ErrorAsync(HttpStatusCode.Conflict, "INSUFFICIENT_FUNDS");
        await (await client.PostJsonAsync("/v1/loyalty/transfers", new { from = alice, to = bob, amount = 5.00m, idempotencyKey = "t-broke" }))
            .ErrorAsync(HttpStatusCode.Conflict, "INSUFFICIENT_FUNDS");
        var history = await (await client.GetAsync($"/v1/loyalty/members/{alice}/history?type=transfer&pageSize=200")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(81, history.GetProperty("total").GetInt64());
    }

    [Fact]
    public async Task Checkins_award_visit_points_once_a_day_with_streak_and_badge()
    {
        var tenant = await factory.CreateTenantAsync();
        using var client = tenant.Live();
        var location = await (await client.PostJsonAsync("/v1/locations", new
        {
            name = "Downtown", address = new { street = "1 Main St", city = "Chicago", country = "US" },
        })).JsonAsync(HttpStatusCode.Created);
        var locationId = location.GetProperty("locationId").GetString()!;
        await (await client.PatchJsonAsync("/v1/loyalty/program", new { visitBonusPoints = 15L })).JsonAsync(HttpStatusCode.OK);
        var id = await LoyaltyFactory.CreateMemberAsync(client);
        var qr = await client.GetAsync($"/v1/loyalty/members/{id}/qr?format=svg");
        Assert.Equal(HttpStatusCode.OK, qr.StatusCode);
        Assert.Contains("<svg", await qr.Content.ReadAsStringAsync());
        var png = await client.GetAsync($"/v1/loyalty/members/{id}/qr?format=png");
        Assert.Equal("image/png", png.Content.Headers.ContentType!.MediaType);

        await using var conn = new NpgsqlConnection(factory.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT qr_token FROM loyalty_members WHERE member_id = @m", conn);
        cmd.Parameters.AddWithValue("m", id);
        var token = (string)(await cmd.ExecuteScalarAsync())!;

        var first = await (await client.PostJsonAsync("/v1/loyalty/checkins", new { qrCode = token, locationId })).JsonAsync(HttpStatusCode.Created);
        Assert.Equal(15, first.GetProperty("pointsAwarded").GetInt64());
        Assert.Equal(1, first.GetProperty("streak").GetInt32());
        Assert.Contains("first_visit", first.GetProperty("newBadges").EnumerateArray().Select(b => b.GetString()));
        var second = await (await client.PostJsonAsync("/v1/loyalty/checkins", new { qrCode = token, locationId })).JsonAsync(HttpStatusCode.Created);
        Assert.True(second.GetProperty("alreadyCheckedInToday").GetBoolean());
        Assert.Equal(15, (await LoyaltyFactory.MemberAsync(client, id)).GetProperty("points").GetInt64());
        await (await client.PostJsonAsync("/v1/loyalty/checkins", new { qrCode = "qr_unknown", locationId })).ErrorAsync(HttpStatusCode.NotFound, "RESOURCE_NOT_FOUND");

        var stats = await (await client.GetAsync($"/v1/loyalty/stats?locationId={locationId}")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(1, stats.GetProperty("checkins").GetInt64());
    }

    [Fact]
    public async Task Gift_card_is_texted_then_redeemed_partially_into_a_wallet_and_at_checkout()
    {
        var tenant = await factory.CreateTenantAsync();
        using var client = tenant.Live();
        var phone = LoyaltyFactory.RandomPhone();
        var card = await (await client.PostJsonAsync("/v1/loyalty/gift-cards", new
        {
            amount = 50.00m, recipientName = "Sam", recipientPhone = phone, message = "Happy birthday",
        })).JsonAsync(HttpStatusCode.Created);
        var code = card.GetProperty("code").GetString()!;
        Assert.Matches("^[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}$", code);
        Assert.Equal("active", card.GetProperty("status").GetString());
        var giftId = card.GetProperty("giftCardId").GetString()!;
        // The code is never shown again.
        var fetched = await (await client.GetAsync($"/v1/loyalty/gift-cards/{giftId}")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(JsonValueKind.Null, fetched.GetProperty("code").ValueKind);

        // Delivered through the messaging backbone (durable queue).
        await using (var conn = new NpgsqlConnection(factory.ConnectionString))
        {
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand("SELECT body FROM sms_messages WHERE tenant_id = @t AND contact_phone = @p", conn);
            cmd.Parameters.AddWithValue("t", tenant.TenantId);
            cmd.Parameters.AddWithValue("p", phone);
            Assert.Contains(code, (string)(await cmd.ExecuteScalarAsync())!);
        }

        var member = await LoyaltyFactory.CreateMemberAsync(client);
        var intoWallet = await (await client.PostJsonAsync("/v1/loyalty/gift-cards/redeem", new { code, memberId = member, amount = 20.00m, idempotencyKey = "g-1" }))
            .JsonAsync(HttpStatusCode.OK);
        Assert.Equal(30.00m, intoWallet.GetProperty("giftCardBalance").GetDecimal());
        Assert.Equal(20.00m, intoWallet.GetProperty("walletBalance").GetDecimal());
        await (await client.PostJsonAsync("/v1/loyalty/gift-cards/redeem", new { code, memberId = member, amount = 20.00m, idempotencyKey = "g-1" }))
            .JsonAsync(HttpStatusCode.OK);
        Assert.Equal(20.00m, (await LoyaltyFactory.MemberAsync(client, member)).GetProperty("walletBalance").GetDecimal());

        await (await client.PostJsonAsync("/v1/loyalty/gift-cards/redeem", new { code, amount = 31.00m, idempotencyKey = "g-2" }))
            .ErrorAsync(HttpStatusCode.Conflict, "INSUFFICIENT_FUNDS");
        var rest = await (await client.PostJsonAsync("/v1/loyalty/gift-cards/redeem", new { code = code.ToLowerInvariant().Replace("-", ""), idempotencyKey = "g-3" }))
            .JsonAsync(HttpStatusCode.OK);
        Assert.Equal(30.00m, rest.GetProperty("amount").GetDecimal());
        Assert.Equal("redeemed", rest.GetProperty("giftCardStatus").GetString());
        await (await client.PostJsonAsync("/v1/loyalty/gift-cards/redeem", new { code, amount = 1.00m, idempotencyKey = "g-4" }))
            .ErrorAsync(HttpStatusCode.Conflict, "GIFT_CARD_INACTIVE");

        // A pending card cannot be used until activated.
        var pending = await (await client.PostJsonAsync("/v1/loyalty/gift-cards", new { amount = 10.00m, activate = false })).JsonAsync(HttpStatusCode.Created);
        await (await client.PostJsonAsync("/v1/loyalty/gift-cards/redeem", new { code = pending.GetProperty("code").GetString(), amount = 1.00m }))
            .ErrorAsync(HttpStatusCode.Conflict, "GIFT_CARD_INACTIVE");
        await (await client.PostAsync($"/v1/loyalty/gift-cards/{pending.GetProperty("giftCardId").GetString()}/activate", null)).JsonAsync(HttpStatusCode.OK);
        await (await client.PostJsonAsync("/v1/loyalty/gift-cards/redeem", new { code = pending.GetProperty("code").GetString(), amount = 1.00m }))
            .JsonAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Gift_card_to_an_opted_out_phone_is_not_texted()
    {
        var tenant = await factory.CreateTenantAsync();
        using var client = tenant.Live();
        var phone = LoyaltyFactory.RandomPhone();
        await using (var conn = new NpgsqlConnection(factory.ConnectionString))
        {
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand(
                "INSERT INTO sms_consent (tenant_id, env, phone, status, source, updated_at) VALUES (@t, 'live', @p, 'opted_out', 'test', now())", conn);
            cmd.Parameters.AddWithValue("t", tenant.TenantId);
            cmd.Parameters.AddWithValue("p", phone);
            await cmd.ExecuteNonQueryAsync();
        }
        var card = await (await client.PostJsonAsync("/v1/loyalty/gift-cards", new { amount = 15.00m, recipientPhone = phone })).JsonAsync(HttpStatusCode.Created);
        Assert.Equal("opted_out", card.GetProperty("deliveryStatus").GetString());
    }

    [Fact]
    public async Task Referral_completes_on_the_referred_members_first_purchase()
    {
        var tenant = await factory.CreateTenantAsync();
        using var client = tenant.Live();
        await (await client.PatchJsonAsync("/v1/loyalty/program", new { referralBonusPoints = 200L, referredBonusPoints = 50L })).JsonAsync(HttpStatusCode.OK);
        var referrer = await LoyaltyFactory.CreateMemberAsync(client, "Referrer");
        var referral = await (await client.PostJsonAsync("/v1/loyalty/referrals", new { memberId = referrer, channel = "link" })).JsonAsync(HttpStatusCode.Created);
        var code = referral.GetProperty("code").GetString()!;
        Assert.Contains(code, referral.GetProperty("link").GetString());
        var friend = await LoyaltyFactory.CreateMemberAsync(client, "Friend", referralCode: code);
        await (await client.PostJsonAsync("/v1/loyalty/members", new { name = "Again", phone = LoyaltyFactory.RandomPhone(), referralCode = code }))
            .ErrorAsync(HttpStatusCode.BadRequest, "INVALID_INPUT");

        var earn = await LoyaltyFactory.EarnAsync(client, friend, new { amount = 10.00m });
        Assert.Equal(60, earn.GetProperty("pointsDelta").GetInt64());
        var referrerView = await Eventually.Async("the referrer's reward for the friend's first purchase",
            () => LoyaltyFactory.MemberAsync(client, referrer), m => m.GetProperty("points").GetInt64() == 200);
        Assert.Equal(200, referrerView.GetProperty("points").GetInt64());
        // A second purchase does not complete it again.
        await LoyaltyFactory.EarnAsync(client, friend, new { amount = 10.00m });
        // The referral reached its final state and its one bonus entry is written: no award is pending anywhere (a second
        // purchase decides "not the first" inside its own call), so the balance read next is final.
        await Eventually.Async($"referral {code} to reach its final state", () => factory.CountAsync(
            "SELECT count(*) FROM loyalty_referrals WHERE referrer_member_id = @m AND status = 'rewarded'", ("m", referrer)), n => n == 1);
        Assert.Equal(1, await factory.CountAsync("SELECT count(*) FROM loyalty_ledger WHERE member_id = @m AND kind = 'referral_bonus'", ("m", referrer)));
        Assert.Equal(200, (await LoyaltyFactory.MemberAsync(client, referrer)).GetProperty("points").GetInt64());
    }

    [Fact]
    public async Task Points_refund_goes_negative_only_when_the_program_allows_it()
    {
        var tenant = await factory.CreateTenantAsync();
        using var client = tenant.Live();
        var id = await LoyaltyFactory.CreateMemberAsync(client);
        await LoyaltyFactory.EarnAsync(client, id, new { points = 30L });
        await LoyaltyFactory.EarnAsync(client, id, new { amount = 0.5m }); // rounds to 0 points: still an entry
        await (await client.PostJsonAsync($"/v1/loyalty/members/{id}/points/refund", new { points = 50L })).ErrorAsync(HttpStatusCode.Conflict, "INSUFFICIENT_POINTS");
        await (await client.PatchJsonAsync("/v1/loyalty/program", new { allowNegativeBalanceAfterRefund = true })).JsonAsync(HttpStatusCode.OK);
        var refund = await (await client.PostJsonAsync($"/v1/loyalty/members/{id}/points/refund", new { points = 50L })).JsonAsync(HttpStatusCode.Created);
        Assert.Equal(-20, refund.GetProperty("pointsBalance").GetInt64());
        await (await client.PostJsonAsync($"/v1/loyalty/members/{id}/points/redeem", new { points = 1L })).ErrorAsync(HttpStatusCode.Conflict, "INSUFFICIENT_POINTS");
    }

    [Fact]
    public async Task Concurrent_earns_with_repeated_keys_commit_each_key_once()
    {
        var tenant = await factory.CreateTenantAsync();
        using var client = tenant.Live();
        var id = await LoyaltyFactory.CreateMemberAsync(client);
        // 60 concurrent earns over 12 keys (each sent 5 times): the group commit must still write 12 entries.
        var responses = await Task.WhenAll(Enumerable.Range(0, 60).Select(i =>
            PostKeyedAsync(client, $"/v1/loyalty/members/{id}/points/earn", new { amount = 10.00m + i % 12 }, $"burst-{i % 12}")));
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
        Assert.Equal(12, await LedgerCountAsync(id));
        var expected = Enumerable.Range(0, 12).Sum(k => 10 + k);
        Assert.Equal(expected, (await LoyaltyFactory.MemberAsync(client, id)).GetProperty("points").GetInt64());
        var ids = await Task.WhenAll(responses.Select(async r => (await r.JsonAsync(HttpStatusCode.Created)).GetProperty("entryId").GetString()));
        Assert.Equal(12, ids.Distinct().Count());
    }
}
