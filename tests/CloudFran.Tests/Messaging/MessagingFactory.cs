using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CloudFran.Web.Messaging.Twilio;
using CloudFran.Tests.Infrastructure;

namespace CloudFran.Tests.Messaging;

/// <summary>The platform wired to a fake Twilio and allowed to call webhook receivers on loopback.</summary>
public sealed class MessagingFactory : PlatformFactory
{
    public const string PublicBaseUrl = "https://hooks.cloudfran.test";
    public const string AuthToken = "0123456789abcdef0123456789abcdef";

    public MessagingFactory() : base("messaging")
    {
        Twilio = FakeTwilio.StartAsync().GetAwaiter().GetResult();
        Settings["CLOUDFRAN_TWILIO_BASE_URL"] = Twilio.BaseUrl;
        Settings["CLOUDFRAN_PUBLIC_BASE_URL"] = PublicBaseUrl;
        Settings["CLOUDFRAN_WEBHOOKS_ALLOW_PRIVATE"] = "true";
        Settings["CLOUDFRAN_WEBHOOK_RETRY_SECONDS"] = "0.2,0.2,0.2";
    }

    public FakeTwilio Twilio { get; }

    private static int _phones = Random.Shared.Next(0, 10_000);

    /// <summary>A number no other test in this process got (until 10,000 were handed out): tests of a class share one fake.</summary>
    public static string RandomPhone() => "+1415555" + (Interlocked.Increment(ref _phones) % 10_000).ToString("D4");

    /// <summary>Registers the Twilio account and one number for the key's environment; returns the number.</summary>
    public static async Task<string> ConfigureTwilioAsync(HttpClient client)
    {
        (await client.PutAsJsonAsync("/v1/tenant/twilio", new { accountSid = "AC" + new string('a', 32), authToken = AuthToken }))
            .EnsureSuccessStatusCode();
        for (var attempt = 0; ; attempt++)
        {
            var number = RandomPhone();
            var response = await client.PostAsJsonAsync("/v1/tenant/phone-numbers", new { phoneNumber = number });
            if (response.StatusCode == HttpStatusCode.Created)
            {
                return number;
            }
            if (attempt > 5)
            {
                throw new InvalidOperationException(await response.Content.ReadAsStringAsync());
            }
        }
    }

    /// <summary>Posts a Twilio-signed form webhook the way Twilio does.</summary>
    public async Task<HttpResponseMessage> PostTwilioAsync(string pathAndQuery, Dictionary<string, string> form, string? token = AuthToken)
    {
        using var client = CreateClient();
        var request = new HttpRequestMessage(HttpMethod.Post, pathAndQuery) { Content = new FormUrlEncodedContent(form) };
        if (token is not null)
        {
            request.Headers.Add("X-Twilio-Signature", TwilioSignature.Compute(PublicBaseUrl + pathAndQuery, form, token));
        }
        return await client.SendAsync(request);
    }

    public static Task<JsonElement> WaitForMessageStatusAsync(HttpClient client, string phone, string messageId, string status) =>
        Eventually.Async($"message {messageId} to reach {status}", async () =>
        {
            var thread = await (await client.GetAsync($"/v1/sms/messages?phone={Uri.EscapeDataString(phone)}")).JsonAsync(HttpStatusCode.OK);
            return thread.GetProperty("data").EnumerateArray().FirstOrDefault(m => m.GetProperty("messageId").GetString() == messageId);
        }, m => m.ValueKind != JsonValueKind.Undefined && m.GetProperty("status").GetString() == status);

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await Twilio.DisposeAsync();
    }
}
