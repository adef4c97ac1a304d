using System.Net;
using System.Text.Json;
using CloudFran.Tests.Infrastructure;
using CloudFran.Tests.Messaging;

namespace CloudFran.Tests.Loyalty;

/// <summary>The platform wired to a fake Stripe and a fake Twilio, with a fast recovery sweep.</summary>
public sealed class LoyaltyFactory : PlatformFactory
{
    public LoyaltyFactory() : base("loyalty")
    {
        Stripe = FakeStripe.StartAsync().GetAwaiter().GetResult();
        Twilio = FakeTwilio.StartAsync().GetAwaiter().GetResult();
        Settings["CLOUDFRAN_STRIPE_BASE_URL"] = Stripe.BaseUrl;
        Settings["CLOUDFRAN_STRIPE_SECRET_KEY"] = FakeStripe.SecretKey;
        Settings["CLOUDFRAN_STRIPE_WEBHOOK_SECRET"] = FakeStripe.WebhookSecret;
        Settings["CLOUDFRAN_TWILIO_BASE_URL"] = Twilio.BaseUrl;
        Settings["CLOUDFRAN_PUBLIC_BASE_URL"] = "https://hooks.cloudfran.test";
        Settings["CLOUDFRAN_LOYALTY_SWEEP_SECONDS"] = "0.5";
        Settings["CLOUDFRAN_LOYALTY_STALE_SECONDS"] = "2";
    }

    public FakeStripe Stripe { get; }
    public FakeTwilio Twilio { get; }

    private static int _phones = Random.Shared.Next(0, 10_000);

    /// <summary>A number no other test in this process got (until 10,000 were handed out): tests of a class share one fake.</summary>
    public static string RandomPhone() => "+1312555" + (Interlocked.Increment(ref _phones) % 10_000).ToString("D4");

    public static async Task<string> CreateMemberAsync(HttpClient client, string name = "Ana Diaz", string? referralCode = null)
    {
        for (var attempt = 0; ; attempt++)
        {
            var response = await client.PostJsonAsync("/v1/loyalty/members", new { name, phone = RandomPhone(), email = "ana@example.com", referralCode });
            if (response.StatusCode == HttpStatusCode.Created || attempt > 5)
            {
                var member = await response.JsonAsync(HttpStatusCode.Created);
                return member.GetProperty("memberId").GetString()!;
            }
        }
    }

    public static async Task<JsonElement> MemberAsync(HttpClient client, string memberId) =>
        await (await client.GetAsync($"/v1/loyalty/members/{memberId}")).JsonAsync(HttpStatusCode.OK);

    public static async Task<JsonElement> EarnAsync(HttpClient client, string memberId, object body, string? key = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/loyalty/members/{memberId}/points/earn") { Content = System.Net.Http.Json.JsonContent.Create(body) };
        if (key is not null) request.Headers.Add("Idempotency-Key", key);
        return await (await client.SendAsync(request)).JsonAsync(HttpStatusCode.Created);
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await Stripe.DisposeAsync();
        await Twilio.DisposeAsync();
    }
}
