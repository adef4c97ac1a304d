using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CloudFran.Web.Messaging.Twilio;
using CloudFran.Tests.Infrastructure;
using CloudFran.Tests.Messaging;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace CloudFran.Tests.Crm;

/// <summary>
/// The platform with a controllable CRM/Autopilot clock (the runtime keeps real time), a fake Twilio on 127.0.0.1, and an RSA key whose public half the
/// lead gateway trusts for Bearer JWTs (issuer/audience as configured below).
/// </summary>
public class CrmFactory : PlatformFactory
{
    public const string PublicBaseUrl = "https://hooks.cloudfran.test";
    public const string AuthToken = "0123456789abcdef0123456789abcdef";
    public const string Issuer = "cloudvelous.com";
    public const string Audience = "cloudvelous-api";

    public CrmFactory() : this(null, null)
    {
    }

    private CrmFactory(string? connectionString, DateTimeOffset? start) : base("crm", connectionString)
    {
        Clock = new FakeTimeProvider(start ?? DateTimeOffset.UtcNow);
        Twilio = FakeTwilio.StartAsync().GetAwaiter().GetResult();
        Settings["CLOUDFRAN_TWILIO_BASE_URL"] = Twilio.BaseUrl;
        Settings["CLOUDFRAN_PUBLIC_BASE_URL"] = PublicBaseUrl;
        Settings["CLOUDFRAN_JWT_PUBLIC_KEY"] = SigningKey.ExportSubjectPublicKeyInfoPem();
        Settings["CLOUDFRAN_JWT_ISSUER"] = Issuer;
        Settings["CLOUDFRAN_JWT_AUDIENCE"] = Audience;
    }

    /// <summary>A second process on the same database (restart tests), its clock starting at <paramref name="start"/>.</summary>
    public static CrmFactory Restarted(string connectionString, DateTimeOffset start) => new(connectionString, start);

    public static RSA SigningKey { get; } = RSA.Create(2048);

    public FakeTimeProvider Clock { get; }
    public FakeTwilio Twilio { get; }

    /// <summary>When set, the clock of the silo's reminder service (the durable Autopilot tick), moved by the test.</summary>
    public FakeTimeProvider? ReminderClock { get; init; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services =>
        {
            services.AddKeyedSingleton<TimeProvider>(CloudFran.Grains.Crm.CrmClock.Key, Clock);
            if (ReminderClock is not null)
            {
                services.AddKeyedSingleton<TimeProvider>(Orleans.Reminders.ReminderTimeProviderNames.Reminders, ReminderClock);
            }
        });
    }

    /// <summary>Moves the clock forward to the next instant that is <paramref name="hour"/>:00 in <paramref name="zone"/>.</summary>
    public DateTimeOffset AdvanceToLocal(string zone, int hour, int extraDays = 0)
    {
        var tz = TimeZoneInfo.FindSystemTimeZoneById(zone);
        var local = TimeZoneInfo.ConvertTime(Clock.GetUtcNow(), tz);
        var day = local.Date.AddDays(local.Hour >= hour ? 1 : 0).AddDays(extraDays).AddHours(hour);
        var target = new DateTimeOffset(day, tz.GetUtcOffset(day));
        Clock.SetUtcNow(target.ToUniversalTime());
        return target;
    }

    public void SetTime(DateTimeOffset at)
    {
        if (at > Clock.GetUtcNow())
        {
            Clock.SetUtcNow(at.ToUniversalTime());
        }
    }

    public static async Task<string> ConfigureTwilioAsync(HttpClient client)
    {
        (await client.PutAsJsonAsync("/v1/tenant/twilio", new { accountSid = "AC" + new string('a', 32), authToken = AuthToken }))
            .EnsureSuccessStatusCode();
        for (var attempt = 0; ; attempt++)
        {
            var number = "+1415555" + Random.Shared.Next(0, 10_000).ToString("D4");
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

    /// <summary>An inbound SMS the way Twilio posts it (signed).</summary>
    public async Task<HttpResponseMessage> InboundSmsAsync(string from, string to, string body)
    {
        var form = new Dictionary<string, string>
        {
            ["MessageSid"] = "SM" + Guid.NewGuid().ToString("N"), ["From"] = from, ["To"] = to, ["Body"] = body,
        };
        using var client = CreateClient();
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/twilio/sms/inbound") { Content = new FormUrlEncodedContent(form) };
        request.Headers.Add("X-Twilio-Signature", TwilioSignature.Compute(PublicBaseUrl + "/v1/twilio/sms/inbound", form, AuthToken));
        var response = await client.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return response;
    }

    public int TwilioCount(string to) => Twilio.Messages.Count(r => r.FormValue("To") == to);

    /// <summary>Waits until the fake Twilio has seen <paramref name="expected"/> messages to <paramref name="to"/> and the
    /// outbox holds nothing more for that number (every message to it reached its final state); returns the count then,
    /// which is final: an extra message would have been a queued row.</summary>
    public async Task<int> SettledTwilioCountAsync(string to, int expected)
    {
        await Eventually.True($"{expected} SMS to {to} at the fake Twilio", () => TwilioCount(to) >= expected);
        await SmsOutboxSettledAsync(to);
        return TwilioCount(to);
    }

    /// <summary>An RS256 JWT signed with <paramref name="key"/> (the trusted key by default).</summary>
    public string Token(string tenantId, string role = "agent", string[]? scope = null, string? audience = null, string? issuer = null,
        DateTimeOffset? expires = null, string env = "live", RSA? key = null, string alg = "RS256")
    {
        var now = Clock.GetUtcNow();
        var header = new Dictionary<string, object> { ["alg"] = alg, ["typ"] = "JWT" };
        var payload = new Dictionary<string, object>
        {
            ["sub"] = "user_123456", ["iss"] = issuer ?? Issuer, ["aud"] = audience ?? Audience,
            ["exp"] = (expires ?? now.AddHours(1)).ToUnixTimeSeconds(), ["iat"] = now.ToUnixTimeSeconds(),
            ["scope"] = scope ?? ["read:leads", "write:leads", "write:analytics"], ["role"] = role, ["tenant_id"] = tenantId, ["env"] = env,
        };
        var signingInput = B64(JsonSerializer.SerializeToUtf8Bytes(header)) + "." + B64(JsonSerializer.SerializeToUtf8Bytes(payload));
        var signature = (key ?? SigningKey).SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return signingInput + "." + B64(signature);
    }

    public HttpClient Bearer(string token)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public HttpClient WithApiKey(string key)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Add("X-API-Key", key);
        return client;
    }

    private static string B64(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await Twilio.DisposeAsync();
    }
}
