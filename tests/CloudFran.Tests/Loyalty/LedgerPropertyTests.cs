using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CloudFran.Tests.Infrastructure;
using Npgsql;
using Xunit;

namespace CloudFran.Tests.Loyalty;

/// <summary>
/// Property: for random sequences of operations (earn, redeem, spend, load, points refund, transfers, gift-card
/// redemptions, replays with reused keys), run concurrently, then card refunds of the loads racing spends, every
/// account's balance row equals the sum of its ledger entries, and equals a model of the accepted operations.
/// </summary>
[Collection(LoyaltyCollection.Name)]
public sealed class LedgerPropertyTests(LoyaltyFactory factory)
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Balances_equal_the_sum_of_ledger_entries_for_random_operation_sequences(int seed)
    {
        var random = new Random(seed);
        var tenant = await factory.CreateTenantAsync();
        using var client = tenant.Live();
        await (await client.PatchJsonAsync("/v1/loyalty/program", new { allowNegativeBalanceAfterRefund = seed % 2 == 0 })).JsonAsync(HttpStatusCode.OK);
        var members = new List<string>();
        for (var i = 0; i < 4; i++) members.Add(await LoyaltyFactory.CreateMemberAsync(client, $"Member {i}"));
        var card = await (await client.PostJsonAsync("/v1/loyalty/gift-cards", new { amount = 100.00m })).JsonAsync(HttpStatusCode.Created);
        var code = card.GetProperty("code").GetString()!;

        var usedKeys = new List<string>();
        var ops = Enumerable.Range(0, 120).Select(i =>
        {
            var m = members[random.Next(members.Count)];
            var other = members[random.Next(members.Count)];
            // One in ten operations replays an earlier key (same request or a different one).
            var key = usedKeys.Count > 0 && random.Next(10) == 0 ? usedKeys[random.Next(usedKeys.Count)] : $"k{seed}-{i}";
            usedKeys.Add(key);
            var points = (long)random.Next(1, 60);
            var amount = random.Next(1, 4000) / 100m;
            return random.Next(8) switch
            {
                0 or 1 => ("earn", m, (object)new { amount, idempotencyKey = key }),
                2 => ("redeem", m, new { points, idempotencyKey = key }),
                3 => ("spend", m, new { amount, idempotencyKey = key }),
                4 => ("load", m, new { amount, paymentMethodId = "pm_card_visa", idempotencyKey = key }),
                5 => ("refund", m, new { points, idempotencyKey = key }),
                6 => ("transfer", m, new { from = m, to = other, points, amount = random.Next(2) == 0 ? 0m : amount, idempotencyKey = key }),
                _ => ("gift", m, new { code, memberId = m, amount = random.Next(1, 1500) / 100m, idempotencyKey = key }),
            };
        }).ToList();

        var responses = await Task.WhenAll(ops.Select(op => client.PostAsJsonAsync(op.Item1 switch
        {
            "earn" => $"/v1/loyalty/members/{op.Item2}/points/earn",
            "redeem" => $"/v1/loyalty/members/{op.Item2}/points/redeem",
            "spend" => $"/v1/loyalty/members/{op.Item2}/wallet/spend",
            "load" => $"/v1/loyalty/members/{op.Item2}/wallet/load",
            "refund" => $"/v1/loyalty/members/{op.Item2}/points/refund",
            "transfer" => "/v1/loyalty/transfers",
            _ => "/v1/loyalty/gift-cards/redeem",
        }, op.Item3)));
        // Only business refusals (4xx with the envelope) may fail; never a 5xx.
        Assert.All(responses, r => Assert.True((int)r.StatusCode < 500, $"{(int)r.StatusCode}: {r.Content.ReadAsStringAsync().Result}"));
        Assert.Contains(responses, r => r.IsSuccessStatusCode);

        // Second round: refunds of the loads that succeeded (to the card, through the fake Stripe), racing spends on the
        // same wallets and replays of their keys.
        var loads = new List<(string Member, string LoadId)>();
        for (var n = 0; n < ops.Count; n++)
        {
            if (ops[n].Item1 == "load" && responses[n].StatusCode == HttpStatusCode.Created)
            {
                var body = JsonDocument.Parse(await responses[n].Content.ReadAsStringAsync()).RootElement;
                if (body.GetProperty("status").GetString() == "succeeded")
                {
                    loads.Add((body.GetProperty("memberId").GetString()!, body.GetProperty("loadId").GetString()!));
                }
            }
        }
        loads = loads.Distinct().ToList();
        Assert.NotEmpty(loads);
        var secondKeys = new List<string>();
        var second = Enumerable.Range(0, 40).Select(i =>
        {
            var (member, loadId) = loads[random.Next(loads.Count)];
            var key = secondKeys.Count > 0 && random.Next(10) == 0 ? secondKeys[random.Next(secondKeys.Count)] : $"r{seed}-{i}";
            secondKeys.Add(key);
            var amount = random.Next(1, 3000) / 100m;
            return random.Next(3) switch
            {
                0 => ($"/v1/loyalty/members/{member}/wallet/spend", (object)new { amount, idempotencyKey = key }, "spend"),
                1 => ($"/v1/loyalty/members/{member}/wallet/loads/{loadId}/refund", new { idempotencyKey = key }, "refund"),
                _ => ($"/v1/loyalty/members/{member}/wallet/loads/{loadId}/refund", new { amount, idempotencyKey = key }, "refund"),
            };
        }).ToList();
        var secondResponses = await Task.WhenAll(second.Select(op => client.PostAsJsonAsync(op.Item1, op.Item2)));
        Assert.All(secondResponses, r => Assert.True((int)r.StatusCode < 500, $"{(int)r.StatusCode}: {r.Content.ReadAsStringAsync().Result}"));
        Assert.Contains(second.Zip(secondResponses), p => p.First.Item3 == "refund" && p.Second.StatusCode == HttpStatusCode.Created);

        await using var conn = new NpgsqlConnection(factory.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(
            """
            SELECT a.id, a.points, a.amount, coalesce(sum(l.points_delta), 0), coalesce(sum(l.amount_delta), 0),
                   bool_and(l.points_after IS NOT NULL)
              FROM (SELECT member_id AS id, points_balance AS points, wallet_balance AS amount, tenant_id, env FROM loyalty_members
                    UNION ALL SELECT gift_card_id, 0, balance, tenant_id, env FROM loyalty_gift_cards) a
              LEFT JOIN loyalty_ledger l ON l.tenant_id = a.tenant_id AND l.env = a.env AND l.member_id = a.id
             WHERE a.tenant_id = @t GROUP BY a.id, a.points, a.amount
            """, conn);
        cmd.Parameters.AddWithValue("t", tenant.TenantId);
        var accounts = 0;
        await using (var reader = await cmd.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                accounts++;
                Assert.True(reader.GetInt64(1) == reader.GetInt64(3), $"{reader.GetString(0)} points {reader.GetInt64(1)} ≠ ledger {reader.GetInt64(3)}");
                Assert.True(reader.GetDecimal(2) == reader.GetDecimal(4), $"{reader.GetString(0)} amount {reader.GetDecimal(2)} ≠ ledger {reader.GetDecimal(4)}");
                if (seed % 2 == 1) Assert.True(reader.GetInt64(1) >= 0, "Negative points without the program allowing it.");
                // A card refund may take a wallet below zero only when the program allows it.
                if (seed % 2 == 1) Assert.True(reader.GetDecimal(2) >= 0, "A wallet or gift card went below zero.");
            }
        }
        Assert.Equal(members.Count + 1, accounts);

        // Money is conserved: loads in − spends out = wallets + gift card movements.
        await using var totals = new NpgsqlCommand(
            """
            SELECT coalesce(sum(amount_delta) FILTER (WHERE kind IN ('transfer_in', 'transfer_out')), 0),
                   coalesce(sum(points_delta) FILTER (WHERE kind IN ('transfer_in', 'transfer_out')), 0),
                   coalesce(sum(amount_delta) FILTER (WHERE kind = 'gift_redeem'), 0)
              FROM loyalty_ledger WHERE tenant_id = @t
            """, conn);
        totals.Parameters.AddWithValue("t", tenant.TenantId);
        await using (var reader = await totals.ExecuteReaderAsync())
        {
            await reader.ReadAsync();
            Assert.Equal(0m, reader.GetDecimal(0));
            Assert.Equal(0L, reader.GetInt64(1));
            Assert.Equal(0m, reader.GetDecimal(2)); // −x on the card, +x in a wallet
        }
        // Member views (grain caches) agree with the rows.
        foreach (var m in members)
        {
            await using var row = new NpgsqlCommand("SELECT points_balance FROM loyalty_members WHERE member_id = @m", conn);
            row.Parameters.AddWithValue("m", m);
            Assert.Equal((long)(await row.ExecuteScalarAsync())!, (await LoyaltyFactory.MemberAsync(client, m)).GetProperty("points").GetInt64());
        }
    }
}
