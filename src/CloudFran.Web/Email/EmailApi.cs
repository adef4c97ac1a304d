using System.Net;
using CloudFran.Abstractions.Errors;
using CloudFran.Abstractions.Email;
using CloudFran.Abstractions.Messaging;
using CloudFran.Abstractions.Webhooks;
using CloudFran.Abstractions.Platform;
using CloudFran.Abstractions.Validation;
using CloudFran.Web.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace CloudFran.Web.Email;

public sealed record EmailOptOutRequest(string? Address);

/// <summary>The answer of the unsubscribe link: the address and its consent status.</summary>
public sealed record UnsubscribedView(string Address, string Status);

/// <summary>PUT /v1/tenant/email: the SMTP relay (security none | starttls | tls).</summary>
public sealed record EmailSettingsRequest(string? Host, int? Port, string? Username, string? Password, string? FromAddress, string? FromName,
    string? Security)
{
    public EmailSettingsInput ToInput() => new(Host, Port, Username, Password, FromAddress, FromName, Security);
}

public sealed record SendEmailRequest(string? To, string? Subject, string? Text, string? Category, string? LocationId, string? Html = null);

/// <summary>Email sending, the tenant's SMTP settings, and the (unauthenticated, token-signed) unsubscribe link.</summary>
public static class EmailApi
{
    public static RouteGroupBuilder MapEmailApi(this IEndpointRouteBuilder routes)
    {
        var email = routes.MapGroup("/v1/email").WithTags("Communication (email)");
        var authed = email.MapGroup("").RequireTenant(Role.Viewer);

        authed.MapPost("/send", async Task<Created<EmailMessageView>> (SendEmailRequest body, HttpContext http, IGrainFactory grains) =>
            {
                var key = http.Request.Headers["Idempotency-Key"].ToString();
                var request = new EmailSendRequest(body.To!, body.Subject!, body.Text!, body.Category ?? "transactional",
                    key.Length == 0 ? null : key, body.LocationId, body.Html);
                var check = EmailRules.Validate(request);
                if (key.Length > 200)
                {
                    check.Invalid("Idempotency-Key", "Idempotency-Key must be at most 200 characters.");
                }
                check.ThrowIfInvalid();
                var sent = await grains.GetEmailSender(http.Caller().Scope).SendAsync(request);
                return TypedResults.Created($"/v1/email/messages/{sent.MessageId}", sent);
            })
            .RequireTenant(Role.Agent)
            .WithName("SendEmail").WithSummary("Queue an email (to, subject ≤ 200, text ≤ 100,000, optional html ≤ 100,000 sent as multipart/alternative with the text, category transactional|marketing): durable before 201. Optional Idempotency-Key header.");

        authed.MapGet("/messages/{messageId}", (string messageId, HttpContext http, IGrainFactory grains) =>
            {
                if (!Abstractions.Keys.Ids.IsValid(messageId, "eml"))
                {
                    throw CloudFranException.NotFound($"Email message {messageId}");
                }
                return grains.GetEmailSender(http.Caller().Scope).GetAsync(messageId);
            })
            .WithName("GetEmailMessage").WithSummary("One email's status (queued, sent, failed, suppressed), attempts and last error.");

        authed.MapPost("/opt-outs", async Task<Created<EmailConsentView>> (EmailOptOutRequest body, HttpContext http, IGrainFactory grains) =>
            {
                new Check().Required("address", body.Address, 254).Email("address", body.Address).ThrowIfInvalid();
                var consent = await grains.GetEmailSender(http.Caller().Scope).UnsubscribeAsync(body.Address!, "api");
                return TypedResults.Created($"/v1/email/opt-outs/{Uri.EscapeDataString(consent.Address)}", consent);
            })
            .RequireTenant(Role.Agent)
            .WithName("CreateEmailOptOut").WithSummary("Record that an address unsubscribed from marketing email (idempotent); its queued marketing mail is suppressed; email.opt_out.");

        authed.MapGet("/opt-outs/{address}", (string address, HttpContext http, IGrainFactory grains) =>
                grains.GetEmailSender(http.Caller().Scope).GetConsentAsync(RequireAddress(address)))
            .WithName("GetEmailOptOut").WithSummary("The address's consent record (opted_in when none was ever recorded).");

        authed.MapDelete("/opt-outs/{address}", (string address, HttpContext http, IGrainFactory grains) =>
                grains.GetEmailSender(http.Caller().Scope).ResubscribeAsync(RequireAddress(address), "api"))
            .RequireTenant(Role.Manager)
            .WithName("DeleteEmailOptOut").WithSummary("Lift an unsubscribe (the person asked to hear from the business again; idempotent); email.opt_in.");

        // The footer link: a confirmation page (a link scanner fetching it changes nothing); its form posts back.
        email.MapGet("/unsubscribe", async (HttpContext http, IGrainFactory grains) =>
            {
                var token = http.Request.Query["token"].ToString();
                var target = await grains.GetEmailLinks().VerifyUnsubscribeAsync(token) ?? throw CloudFranException.NotFound("Unsubscribe link");
                var html = $"""
                    <!doctype html><html><head><meta charset="utf-8"><title>Unsubscribe</title></head><body>
                    <p>Stop marketing email to {WebUtility.HtmlEncode(target.Address)}?</p>
                    <form method="post" action="/v1/email/unsubscribe?token={WebUtility.UrlEncode(token)}"><button type="submit">Unsubscribe</button></form>
                    </body></html>
                    """;
                return TypedResults.Content(html, "text/html; charset=utf-8");
            })
            .WithName("EmailUnsubscribePage").WithSummary("No auth. The unsubscribe confirmation page of a signed token; a bad token answers 404.");

        // RFC 8058 one-click (List-Unsubscribe=One-Click form body) and the page's form both land here.
        email.MapPost("/unsubscribe", async (HttpContext http, IGrainFactory grains) =>
            {
                var target = await grains.GetEmailLinks().VerifyUnsubscribeAsync(http.Request.Query["token"].ToString())
                    ?? throw CloudFranException.NotFound("Unsubscribe link");
                var consent = await grains.GetEmailSender(target.Scope).UnsubscribeAsync(target.Address, "unsubscribe_link");
                return TypedResults.Ok(new UnsubscribedView(consent.Address, consent.Status));
            })
            .DisableAntiforgery()
            .WithName("EmailUnsubscribe").WithSummary("No auth. Records the signed token's address as unsubscribed (idempotent) and emits email.opt_out.");

        var tenant = routes.MapGroup("/v1/tenant").WithTags("Tenant administration").RequireTenant(Role.Manager);
        tenant.MapPut("/email", (EmailSettingsRequest body, HttpContext http, IGrainFactory grains) =>
            {
                var settings = body.ToInput();
                EmailRules.Validate(settings).ThrowIfInvalid();
                return grains.GetEmailAccount(http.Caller().Scope).SetAsync(settings);
            })
            .WithName("SetEmailSettings").WithSummary("SMTP relay of this key's environment (host, port, username, password, fromAddress, fromName, security none|starttls|tls). The password is never returned.");
        tenant.MapGet("/email", (HttpContext http, IGrainFactory grains) =>
                grains.GetEmailAccount(http.Caller().Scope).GetAsync())
            .WithName("GetEmailSettings").WithSummary("The SMTP settings without the password.");
        return email;
    }

    private static string RequireAddress(string address)
    {
        new Check().Required("address", address, 254).Email("address", address).ThrowIfInvalid();
        return address;
    }
}
