using CloudFran.Web.Messaging.Twilio;
using CloudFran.Grains.Messaging.Twilio;
using CloudFran.Grains.Webhooks;
using Xunit;

namespace CloudFran.Tests.Messaging;

/// <summary>The published Twilio and Standard Webhooks test vectors (shared/notes/protocols.md).</summary>
public sealed class ProtocolVectorTests
{
    private const string Token = "12345";

    private static readonly KeyValuePair<string, string>[] Params =
    [
        new("CallSid", "CA1234567890ABCDE"), new("Caller", "+14158675309"), new("Digits", "1234"),
        new("From", "+14158675309"), new("To", "+18005551212"),
    ];

    [Theory]
    [InlineData("https://mycompany.com/myapp.php?foo=1&bar=2", "RSOYDt4T1cUTdK1PDd93/VVr8B8=")]
    [InlineData("https://mycompany.com:443/myapp.php?foo=1&bar=2", "kvajT1Ptam85bY51eRf/AJRuM3w=")]
    [InlineData("http://mycompany.com:80/myapp.php?foo=1&bar=2", "0ZXoZLH/DfblKGATFgpif+LLRf4=")]
    [InlineData("http://mycompany.com:1234/myapp.php?foo=1&bar=2", "Zmvh+3yNM1Phv2jhDCwEM3q5ebU=")]
    [InlineData("https://mycompany.com:1234/myapp.php?foo=1&bar=2", "CYn1h0gLBdNxDGkKJg6hYohgeD8=")]
    [InlineData("https://MyCompany.com/myapp.php?foo=1&bar=2", "g9IN/x4Cft2g517EjYvEvM/W7LU=")]
    public void Twilio_form_vectors(string url, string signature)
    {
        Assert.Equal(signature, TwilioSignature.Compute(url, Params, Token));
        Assert.True(TwilioSignature.IsValid(url, Params, Token, signature));
        Assert.False(TwilioSignature.IsValid(url, Params, "54321", signature));
        Assert.False(TwilioSignature.IsValid(url + "&x=1", Params, Token, signature));
    }

    [Fact]
    public void Twilio_accepts_the_url_with_or_without_the_default_port()
    {
        // Twilio signed with :443; we rebuilt the URL without a port, and the other way round.
        Assert.True(TwilioSignature.IsValid("https://mycompany.com/myapp.php?foo=1&bar=2", Params, Token, "kvajT1Ptam85bY51eRf/AJRuM3w="));
        Assert.True(TwilioSignature.IsValid("https://mycompany.com:443/myapp.php?foo=1&bar=2", Params, Token, "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
        Assert.True(TwilioSignature.IsValid("http://mycompany.com/myapp.php?foo=1&bar=2", Params, Token, "0ZXoZLH/DfblKGATFgpif+LLRf4="));
        Assert.False(TwilioSignature.IsValid("https://mycompany.com/myapp.php?foo=1&bar=2", Params, Token, null));
        Assert.False(TwilioSignature.IsValid("https://mycompany.com/myapp.php?foo=1&bar=2", Params, Token, ""));
    }

    [Fact]
    public void Twilio_repeated_keys_vector()
    {
        KeyValuePair<string, string>[] repeated =
        [
            new("Sid", "CA123"), new("SidAccount", "AC123"), new("Digits", "5678"), new("Digits", "1234"), new("Digits", "1234"),
        ];
        Assert.Equal("IK+Dwps556ElfBT0I3Rgjkr1wJU=", TwilioSignature.Compute("https://mycompany.com/myapp.php?foo=1&bar=2", repeated, Token));
    }

    [Fact]
    public void Twilio_json_body_vector()
    {
        var body = """{"property": "value", "boolean": true}"""u8.ToArray();
        const string hash = "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620";
        var url = $"https://mycompany.com/myapp.php?bodySHA256={hash}";
        Assert.Equal("y77kIzt2vzLz71DgmJGsen2scGs=", TwilioSignature.Compute(url, [], Token));
        Assert.True(TwilioSignature.IsValidJson(url, body, Token, "y77kIzt2vzLz71DgmJGsen2scGs="));
        Assert.False(TwilioSignature.IsValidJson(url, "{}"u8.ToArray(), Token, "y77kIzt2vzLz71DgmJGsen2scGs="));
    }

    [Fact]
    public void Standard_webhooks_vector()
    {
        Assert.Equal("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
            StandardWebhooks.Sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, """{"test": 2432232314}"""));
    }

    [Fact]
    public void TwiML_escapes_caller_text_and_refuses_invalid_gather_settings()
    {
        var xml = new TwiML().Say("Tom & \"Jerry\" <script>", "Google.en-US-Neural2-F").Hangup().ToString();
        Assert.Contains("Tom &amp; \"Jerry\" &lt;script&gt;", xml);
        Assert.StartsWith("<?xml", xml);
        Assert.Throws<ArgumentException>(() => new TwiML().Gather("/x", speechTimeout: "auto", speechModel: "experimental_conversations"));
    }

    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("10.1.2.3", true)]
    [InlineData("172.20.0.1", true)]
    [InlineData("192.168.1.1", true)]
    [InlineData("169.254.169.254", true)]
    [InlineData("100.64.0.1", true)]
    [InlineData("::1", true)]
    [InlineData("fd00::1", true)]
    [InlineData("::ffff:127.0.0.1", true)]
    [InlineData("93.184.216.34", false)]
    [InlineData("2606:4700::1111", false)]
    public void Ssrf_guard_classifies_addresses(string address, bool isInternal) =>
        Assert.Equal(isInternal, WebhookUrlGuard.IsInternal(System.Net.IPAddress.Parse(address)));
}

/// <summary>The production Twilio client against a local server speaking Twilio's wire format.</summary>
public sealed class TwilioClientTests
{
    [Fact]
    public async Task Calls_are_created_and_updated_with_form_posts_and_basic_auth()
    {
        await using var fake = await FakeTwilio.StartAsync();
        using var http = new HttpClient();
        var client = new TwilioClient(http, Microsoft.Extensions.Options.Options.Create(new TwilioOptions { BaseUrl = fake.BaseUrl }));
        var account = new TwilioAccount("AC" + new string('c', 32), "SK" + new string('d', 32), "keysecret0123456789", null);

        var call = await client.CreateCallAsync(account, "+14155550100", "+14155550199", "https://hooks.example/voice", null);
        Assert.StartsWith("SM", call.Sid);
        await client.UpdateCallAsync(account, "CA123", null, "completed");

        var requests = fake.Requests.ToList();
        Assert.Equal($"/2010-04-01/Accounts/{account.AccountSid}/Calls.json", requests[0].Path);
        Assert.Equal("https://hooks.example/voice", requests[0].FormValue("Url"));
        Assert.Equal($"/2010-04-01/Accounts/{account.AccountSid}/Calls/CA123.json", requests[1].Path);
        Assert.Equal("completed", requests[1].FormValue("Status"));
        Assert.Equal("Basic " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{account.User}:{account.Secret}")),
            requests[0].Headers["authorization"]);
    }

    [Fact]
    public async Task Invalid_number_is_a_final_typed_error()
    {
        await using var fake = await FakeTwilio.StartAsync();
        fake.Behaviour = _ => (400, 21211);
        using var http = new HttpClient();
        var client = new TwilioClient(http, Microsoft.Extensions.Options.Options.Create(new TwilioOptions { BaseUrl = fake.BaseUrl }));
        var account = new TwilioAccount("AC" + new string('c', 32), "AC" + new string('c', 32), "token0123456789abcdef", null);
        var error = await Assert.ThrowsAsync<TwilioException>(() => client.SendMessageAsync(account, "+1", "+14155550199", "hi", [], null));
        Assert.Equal(21211, error.Code);
        Assert.False(error.Retryable);
        Assert.Single(fake.Messages);
    }
}
