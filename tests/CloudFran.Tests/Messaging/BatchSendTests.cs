using System.Net;
using System.Net.Http.Json;
using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Email;
using CloudFran.Abstractions.Messaging;
using CloudFran.Abstractions.Webhooks;
using CloudFran.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Xunit;

namespace CloudFran.Tests.Messaging;

/// <summary>
/// The batch form of the one send path (used by campaigns): the same validation, opt-out refusal and idempotency
/// as single sends, one result per request in order, and every queued message delivered to Twilio once.
/// </summary>
[Collection(MessagingCollection.Name)]
public sealed class BatchSendTests(MessagingFactory factory)
{
    [Fact]
    public async Task A_batch_applies_every_rule_per_message_and_delivers_each_once()
    {
        var tenant = await factory.CreateTenantAsync();
        using var client = tenant.Live();
        await MessagingFactory.ConfigureTwilioAsync(client);
        var optedOut = MessagingFactory.RandomPhone();
        await (await client.PostJsonAsync("/v1/sms/opt-outs", new { phone = optedOut, reason = "complaint" })).JsonAsync(HttpStatusCode.Created);
        var earlierPhone = MessagingFactory.RandomPhone();
        using var send = new HttpRequestMessage(HttpMethod.Post, "/v1/sms/send") { Content = JsonContent.Create(new { to = earlierPhone, message = "Earlier" }) };
        send.Headers.Add("Idempotency-Key", "batch-earlier");
        var earlier = await (await client.SendAsync(send)).JsonAsync(HttpStatusCode.Created);

        var fresh = Enumerable.Range(0, 5).Select(i => $"+1628555{Random.Shared.Next(0, 10_000):D4}").Distinct().ToList();
        var requests = new List<SmsSendRequest>
        {
            new(fresh[0], "Hello one", null, null, "batch-1", "marketing"),
            new("not-a-phone", "Bad number", null, null, "batch-2", "marketing"),
            new(optedOut, "Should be refused", null, null, "batch-3", "marketing"),
            new(earlierPhone, "Replayed key", null, null, "batch-earlier", "marketing"),
            new(fresh[1], "Same key twice", null, null, "batch-dup", "marketing"),
            new(fresh[1], "Same key twice", null, null, "batch-dup", "marketing"),
            new(fresh[2], "No key", null, null, null, "marketing"),
        };
        var grains = factory.Services.GetRequiredService<IGrainFactory>();
        var scope = new TenantScope(tenant.TenantId, DataEnv.Live);
        var results = await grains.GetSmsSender(scope).SendManyAsync(requests);

        Assert.Equal(requests.Count, results.Count);
        Assert.Equal("queued", results[0].Message!.Status);
        Assert.Equal((ErrorKind.Invalid, "INVALID_INPUT"), (results[1].ErrorKind, results[1].ErrorCode));
        Assert.Equal((ErrorKind.Conflict, "RECIPIENT_OPTED_OUT"), (results[2].ErrorKind, results[2].ErrorCode));
        Assert.Equal(earlier.GetProperty("messageId").GetString(), results[3].Message!.MessageId);
        Assert.Equal(results[4].Message!.MessageId, results[5].Message!.MessageId);
        Assert.NotNull(results[6].Message);

        // Replaying the whole batch queues nothing new.
        var again = await grains.GetSmsSender(scope).SendManyAsync(requests.Take(1).ToList());
        Assert.Equal(results[0].Message!.MessageId, again[0].Message!.MessageId);

        foreach (var phone in new[] { fresh[0], fresh[1], fresh[2] })
        {
            await factory.Twilio.WaitForMessageAsync(phone);
        }
        await using var conn = new NpgsqlConnection(factory.ConnectionString);
        await conn.OpenAsync();
        await using var count = new NpgsqlCommand(
            "SELECT count(*) FROM sms_messages WHERE tenant_id = @t AND direction = 'outbound' AND contact_phone = ANY(@p)", conn);
        count.Parameters.AddWithValue("t", tenant.TenantId);
        count.Parameters.AddWithValue("p", new[] { fresh[0], fresh[1], fresh[2], optedOut });
        Assert.Equal(3L, (long)(await count.ExecuteScalarAsync())!);
        // Every row to these numbers reached its final state: what Twilio saw for them is final.
        foreach (var phone in new[] { fresh[1], optedOut })
        {
            await factory.SmsOutboxSettledAsync(phone);
        }
        Assert.Equal(1, factory.Twilio.Messages.Count(m => m.FormValue("To") == fresh[1]));
        Assert.DoesNotContain(factory.Twilio.Messages, m => m.FormValue("To") == optedOut);

        var tooMany = Enumerable.Range(0, 1001).Select(i => new SmsSendRequest(fresh[0], "x", null, null, null, "marketing")).ToList();
        var error = await Assert.ThrowsAnyAsync<Exception>(() => grains.GetSmsSender(scope).SendManyAsync(tooMany));
        Assert.Contains("1000", error.Message);
    }
}
