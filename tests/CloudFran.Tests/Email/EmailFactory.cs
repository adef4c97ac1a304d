using System.Net;
using CloudFran.Tests.Crm;
using CloudFran.Tests.Infrastructure;

namespace CloudFran.Tests.Email;

/// <summary>The CRM platform (fake clock for Autopilot, fake Twilio) plus a fake SMTP relay on 127.0.0.1.</summary>
public sealed class EmailFactory : CrmFactory
{
    public EmailFactory()
    {
        Smtp = FakeSmtp.Start();
        Settings["CLOUDFRAN_EMAIL_RETRY_SECONDS"] = "0.2";
        Settings["CLOUDFRAN_EMAIL_MAX_ATTEMPTS"] = "3";
        Settings["CLOUDFRAN_EMAIL_ALLOW_PRIVATE"] = "true"; // the fake relay listens on 127.0.0.1
    }

    public FakeSmtp Smtp { get; }

    private static int _addresses = Random.Shared.Next(0, 1_000_000);

    public static string Address(string who = "lead") => $"{who}{Interlocked.Increment(ref _addresses)}@example.org";

    /// <summary>Points the key's environment at the fake relay.</summary>
    public async Task ConfigureEmailAsync(HttpClient client)
    {
        await (await client.PutJsonAsync("/v1/tenant/email", new
        {
            host = "127.0.0.1", port = Smtp.Port, fromAddress = "hello@franchise.example", fromName = "Downtown Studio", security = "none",
        })).JsonAsync(HttpStatusCode.OK);
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await Smtp.DisposeAsync();
    }
}
