using System.Globalization;
using CloudFran.Abstractions.Errors;
using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Email;
using CloudFran.Abstractions.Messaging;
using CloudFran.Abstractions.Webhooks;
using CloudFran.Abstractions.Platform;
using CloudFran.Abstractions.Validation;
using CloudFran.Abstractions.Voice;
using CloudFran.Web.Infrastructure;
using CloudFran.Web.Messaging;
using CloudFran.Web.Messaging.Twilio;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CloudFran.Web.Voice;

public sealed record ReceptionistSettingsRequest(string? BusinessName, string? Industry, string? TransferNumber, string? NotificationPhone,
    bool? RecordCalls, string? Engine, IReadOnlyList<FaqEntryRequest>? Faq, IReadOnlyList<MenuItemRequest>? Menu, string? VoiceEn, string? VoiceEs,
    int? MaxReprompts, string? ReservationService);

/// <summary>One FAQ entry of the settings body (the same JSON fields as the stored <see cref="FaqEntry"/>).</summary>
public sealed record FaqEntryRequest(string Question, string Answer)
{
    public FaqEntry ToEntry() => new(Question, Answer);
}

/// <summary>One menu item of the settings body (the same JSON fields as the stored <see cref="MenuItem"/>).</summary>
public sealed record MenuItemRequest(string Name, decimal Price, IReadOnlyList<string>? Aliases)
{
    public MenuItem ToItem() => new(Name, Price, Aliases);
}

/// <summary>A dashboard token and how long it lives.</summary>
public sealed record DashboardTokenResponse(string Token, int ExpiresInSeconds);

public sealed record UnderstandBody(string? Text, string? Language, string? Industry, string? LocationId);

/// <summary>
/// The voice receptionist: Twilio's call webhooks (signed; <c>/api/voice-receptionist/*</c>, paths as in the
/// specification), the active-call list, the call log, settings, the understand endpoint and the dashboard page.
/// </summary>
public static class VoiceApi
{
    private const string Xml = "application/xml";
    private const string FallbackVoice = "Google.en-US-Neural2-F";

    /// <summary>Twilio's voice webhooks, as the paths in the specification; the TwiML we answer points back at them.</summary>
    public const string TwilioGroup = "/api/voice-receptionist";
    public const string RespondPath = "/respond";
    public const string NoInputPath = "/no-input";
    public const string PollPath = "/poll";
    public const string DialStatusPath = "/dial-status";
    public const string RecordingStatusPath = "/recording-status";

    /// <summary>A call webhook URL for the call (<paramref name="escapedCallSid"/> already URL-escaped).</summary>
    public static string Url(string path, string escapedCallSid) => $"{TwilioGroup}{path}?callSid={escapedCallSid}";

    /// <summary>Twilio's signed voice webhooks: authenticated by signature, not by API key.</summary>
    public static RouteGroupBuilder MapVoiceTwilioWebhooks(this IEndpointRouteBuilder routes)
    {
        // The call session starts recordings through Twilio's REST API; the callback it passes is this route.
        routes.ServiceProvider.GetRequiredService<IOptions<TwilioCallbackRoutes>>().Value.CallRecordingStatus = TwilioGroup + RecordingStatusPath;
        var twilio = routes.MapGroup(TwilioGroup).WithTags("Voice receptionist (Twilio)");

        twilio.MapPost("/inbound", async Task<ContentHttpResult> (HttpContext http, IGrainFactory grains, IOptions<MessagingOptions> options) =>
            {
                var form = await TwilioWebhooksApi.ReadFormAsync(http);
                var to = TwilioWebhooksApi.Field(form, "To");
                var route = to is null ? null : await grains.GetTwilioRouting().ForNumberAsync(to);
                if (route is null)
                {
                    // Nobody owns the number: nothing to authenticate against and nothing to reveal.
                    return TypedResults.Content(new TwiML()
                        .Say("Sorry, this number is not in service. Goodbye.", FallbackVoice).Hangup().ToString(), Xml);
                }
                TwilioWebhooksApi.Verify(http, form, route.WebhookToken, options.Value);
                var callSid = RequireCallSid(TwilioWebhooksApi.Field(form, "CallSid"));
                var from = TwilioWebhooksApi.Field(form, "From") ?? "anonymous";
                var reply = await grains.GetCallSession(route.Scope, callSid).StartAsync(new CallStart(from, to!, route.LocationId));
                return TypedResults.Content(CallReplyTwiml.Render(reply, callSid), Xml);
            })
            .WithName("VoiceInbound").WithSummary("Twilio voice webhook (signed): greets in the location's Neural2 voice and gathers speech or DTMF.")
            .DisableAntiforgery();

        twilio.MapPost(RespondPath, (HttpContext http, IGrainFactory grains, IOptions<MessagingOptions> options) =>
                CallWebhookAsync(http, grains, options.Value, async (session, form) => await session.RespondAsync(new CallInput(
                    TwilioWebhooksApi.Field(form, "SpeechResult"), Confidence(TwilioWebhooksApi.Field(form, "Confidence")),
                    TwilioWebhooksApi.Field(form, "Digits")))))
            .WithName("VoiceRespond").WithSummary("Gather action (signed): one conversation turn — SpeechResult, Confidence, Digits → TwiML.")
            .DisableAntiforgery();

        twilio.MapPost(NoInputPath, (HttpContext http, IGrainFactory grains, IOptions<MessagingOptions> options) =>
                CallWebhookAsync(http, grains, options.Value, (session, _) => session.NoInputAsync()))
            .WithName("VoiceNoInput").WithSummary("Redirect target when the caller said nothing: re-prompts a bounded number of times, then says goodbye.")
            .DisableAntiforgery();

        twilio.MapPost(PollPath, (HttpContext http, IGrainFactory grains, IOptions<MessagingOptions> options) =>
                CallWebhookAsync(http, grains, options.Value, (session, _) =>
                    session.PollAsync(int.TryParse(http.Request.Query["turn"], CultureInfo.InvariantCulture, out var turn) ? turn : -1)))
            .WithName("VoicePoll").WithSummary("Redirect target while a slow (LLM) turn finishes: the answer, or a short pause and another poll.")
            .DisableAntiforgery();

        twilio.MapPost(DialStatusPath, (HttpContext http, IGrainFactory grains, IOptions<MessagingOptions> options) =>
                CallWebhookAsync(http, grains, options.Value, (session, form) =>
                    session.DialResultAsync(TwilioWebhooksApi.Field(form, "DialCallStatus") ?? "failed")))
            .WithName("VoiceDialStatus").WithSummary("Dial action after a transfer (signed): no-answer/busy/failed bring the caller back to the receptionist.")
            .DisableAntiforgery();

        twilio.MapPost("/status", async Task<NoContent> (HttpContext http, IGrainFactory grains, IOptions<MessagingOptions> options) =>
            {
                if (await RouteCallAsync(http, grains, options.Value) is { } call)
                {
                    var status = TwilioWebhooksApi.Field(call.Form, "CallStatus") ?? "completed";
                    if (status is "completed" or "failed" or "busy" or "no-answer" or "canceled")
                    {
                        var duration = int.TryParse(TwilioWebhooksApi.Field(call.Form, "CallDuration"), CultureInfo.InvariantCulture, out var d) && d >= 0 ? d : (int?)null;
                        await call.Session.CompleteAsync(status, duration);
                    }
                }
                return TypedResults.NoContent();
            })
            .WithName("VoiceStatus").WithSummary("Call status callback (signed): closes the session and the call log, broadcasts CallEnded; idempotent.")
            .DisableAntiforgery();

        twilio.MapPost(RecordingStatusPath, async Task<NoContent> (HttpContext http, IGrainFactory grains, IOptions<MessagingOptions> options) =>
            {
                var form = await TwilioWebhooksApi.ReadFormAsync(http);
                var callSid = RequireCallSid(TwilioWebhooksApi.Field(form, "CallSid"));
                // Recording callbacks carry no To: the call log says whose call it is.
                var route = await grains.GetTwilioRouting().ForCallAsync(callSid) ?? throw CloudFranException.NotFound("Call");
                TwilioWebhooksApi.Verify(http, form, route.WebhookToken, options.Value);
                var sid = TwilioWebhooksApi.Field(form, "RecordingSid");
                var url = TwilioWebhooksApi.Field(form, "RecordingUrl");
                var status = TwilioWebhooksApi.Field(form, "RecordingStatus") ?? "completed";
                if (sid is null || url is null || !Uri.TryCreate(url, UriKind.Absolute, out var parsed) || parsed.Scheme != Uri.UriSchemeHttps && parsed.Scheme != Uri.UriSchemeHttp)
                {
                    throw CloudFranException.Invalid("RecordingUrl", "RecordingSid and an absolute RecordingUrl are required.");
                }
                await grains.GetCallSession(route.Scope, callSid).RecordingAsync(sid, url, status);
                return TypedResults.NoContent();
            })
            .WithName("VoiceRecordingStatus").WithSummary("Recording callback (signed): stores the recording URL on the call log when the tenant records calls.")
            .DisableAntiforgery();

        twilio.MapGet("/active-calls", async Task<JsonHttpResult<IReadOnlyList<ActiveCall>>> (HttpContext http, IGrainFactory grains) =>
            {
                var caller = http.Caller();
                var tenantId = http.Request.Query["tenantId"].ToString();
                if (tenantId.Length > 0 && tenantId != caller.TenantId)
                {
                    throw new CloudFranException(ErrorKind.Forbidden, ErrorCodes.TenantMismatch, "tenantId must be the tenant of the API key.");
                }
                return TypedResults.Json(await grains.GetVoiceAccount(caller.Scope).ActiveCallsAsync());
            })
            .RequireTenant(Role.Viewer)
            .WithName("VoiceActiveCalls").WithSummary("Active calls of the caller's tenant (REST fallback for the live dashboard).");

        return twilio;
    }

    public static RouteGroupBuilder MapVoiceApi(this IEndpointRouteBuilder routes)
    {
        var voice = routes.MapGroup("/v1/voice").WithTags("Voice receptionist").RequireTenant(Role.Viewer);

        voice.MapPut("/settings", (ReceptionistSettingsRequest body, HttpContext http, IGrainFactory grains) =>
                PutSettings(body, http, grains, ""))
            .RequireTenant(Role.Manager)
            .WithName("PutVoiceSettings").WithSummary("Tenant-wide receptionist settings (used where a location has none of its own).");

        voice.MapPut("/locations/{locationId}/settings", (string locationId, ReceptionistSettingsRequest body, HttpContext http, IGrainFactory grains) =>
            {
                if (!Ids.IsValid(locationId, "loc")) throw CloudFranException.NotFound("Location");
                return PutSettings(body, http, grains, locationId);
            })
            .RequireTenant(Role.Manager)
            .WithName("PutLocationVoiceSettings").WithSummary("A location's receptionist: business name, industry, transfer number, notification contact, FAQ, menu, voices, engine, recording.");

        voice.MapGet("/locations/{locationId}/settings", (string locationId, HttpContext http, IGrainFactory grains) =>
            {
                if (!Ids.IsValid(locationId, "loc")) throw CloudFranException.NotFound("Location");
                return grains.GetVoiceAccount(http.Caller().Scope).GetSettingsAsync(locationId);
            })
            .WithName("GetLocationVoiceSettings").WithSummary("The receptionist settings in effect for a location.");

        voice.MapGet("/calls", (HttpContext http, IGrainFactory grains) =>
            {
                var check = new Check();
                var from = Instant(check, http, "from");
                var to = Instant(check, http, "to");
                var outcome = check.Enum(http, "outcome", VoiceOutcomes.All);
                var page = check.Int(http, "page", 1, 1, 100_000);
                var pageSize = check.Int(http, "pageSize", 50, 1, 200);
                check.ThrowIfInvalid();
                return grains.GetVoiceAccount(http.Caller().Scope).ListCallsAsync(new CallQuery(from, to, outcome, page, pageSize));
            })
            .WithName("ListVoiceCalls").WithSummary("The call log: from/to (ISO 8601), outcome, page, pageSize; with transcripts.");

        voice.MapGet("/calls/{callSid}", (string callSid, HttpContext http, IGrainFactory grains) =>
                grains.GetVoiceAccount(http.Caller().Scope).GetCallAsync(RequireCallSid(callSid)))
            .WithName("GetVoiceCall").WithSummary("One call: transcript with per-turn server latency, intent, outcome, duration, recording.");

        voice.MapGet("/messages", (HttpContext http, IGrainFactory grains) =>
            {
                var check = new Check();
                var page = check.Int(http, "page", 1, 1, 100_000);
                var pageSize = check.Int(http, "pageSize", 50, 1, 200);
                check.ThrowIfInvalid();
                return grains.GetVoiceAccount(http.Caller().Scope).ListMessagesAsync(page, pageSize);
            })
            .WithName("ListVoiceMessages").WithSummary("Messages callers left with the receptionist, newest first.");

        voice.MapPost("/understand", (UnderstandBody body, HttpContext http, IGrainFactory grains) =>
            {
                var check = new Check().Required("text", body.Text, 2000).OneOf("language", body.Language, ["en", "es"])
                    .OneOf("industry", body.Industry, Industries.Names);
                if (body.LocationId is not null && !Ids.IsValid(body.LocationId, "loc")) check.Invalid("locationId", "locationId must be a location id (loc_…).");
                check.ThrowIfInvalid();
                return grains.GetVoiceAccount(http.Caller().Scope).UnderstandAsync(new UnderstandRequest(body.Text!, body.Language, body.Industry, body.LocationId));
            })
            .WithName("VoiceUnderstand").WithSummary("Run one utterance through the tenant's engine: intent, confidence, language, slots.");

        voice.MapPost("/dashboard-token", async Task<JsonHttpResult<DashboardTokenResponse>> (HttpContext http, IGrainFactory grains) =>
                TypedResults.Json(new DashboardTokenResponse(await grains.GetVoiceAccount(http.Caller().Scope).IssueDashboardTokenAsync(TimeSpan.FromHours(1)), 3600)))
            .WithName("VoiceDashboardToken").WithSummary("A one-hour token for browsers connecting to /voicecallhub (access_token) and the dashboard page.");

        return voice;
    }

    /// <summary>The live-call hub and the dashboard page that connects to it.</summary>
    public static IEndpointRouteBuilder MapVoiceDashboard(this IEndpointRouteBuilder routes)
    {
        routes.MapHub<VoiceCallHub>(VoiceCallHub.Path);
        routes.MapGet("/app/voice", () => TypedResults.Content(VoiceDashboardPage.Html, "text/html; charset=utf-8")).ExcludeFromDescription();
        return routes;
    }

    private static async Task<ReceptionistSettings> PutSettings(ReceptionistSettingsRequest body, HttpContext http, IGrainFactory grains, string locationId)
    {
        var d = ReceptionistSettings.Default;
        var check = new Check()
            .Text("businessName", body.BusinessName, 100)
            .OneOf("industry", body.Industry, Industries.Names)
            .Phone("transferNumber", body.TransferNumber)
            .Phone("notificationPhone", body.NotificationPhone)
            .OneOf("engine", body.Engine, ReceptionistSettings.Engines)
            .Text("voiceEn", body.VoiceEn, 60).Text("voiceEs", body.VoiceEs, 60)
            .Range("maxReprompts", body.MaxReprompts, 0, 5)
            .Text("reservationService", body.ReservationService, 100);
        if (body.Faq is { Count: > 200 }) check.Invalid("faq", "At most 200 FAQ entries.");
        foreach (var (f, i) in (body.Faq ?? []).Select((f, i) => (f, i)))
        {
            check.Required($"faq[{i}].question", f?.Question, 300).Required($"faq[{i}].answer", f?.Answer, 1000);
        }
        if (body.Menu is { Count: > 500 }) check.Invalid("menu", "At most 500 menu items.");
        foreach (var (m, i) in (body.Menu ?? []).Select((m, i) => (m, i)))
        {
            check.Required($"menu[{i}].name", m?.Name, 100);
            if (m is not null && (m.Price < 0 || m.Price > 100_000 || decimal.Round(m.Price, 2) != m.Price)) check.Invalid($"menu[{i}].price", "price must be 0–100000 with at most two decimals.");
            if (m?.Aliases is { Count: > 10 }) check.Invalid($"menu[{i}].aliases", "At most 10 aliases.");
        }
        foreach (var voiceName in new[] { body.VoiceEn, body.VoiceEs })
        {
            if (voiceName is not null && !System.Text.RegularExpressions.Regex.IsMatch(voiceName, @"^(Google|Polly)\.[A-Za-z]{2}-[A-Za-z]{2}-[A-Za-z0-9-]+$"))
                check.Invalid("voice", "Voices look like Google.en-US-Neural2-F.");
        }
        check.ThrowIfInvalid();
        var settings = new ReceptionistSettings(body.BusinessName?.Trim(), body.Industry ?? d.Industry, body.TransferNumber, body.NotificationPhone,
            body.RecordCalls ?? false, body.Engine ?? d.Engine, body.Faq?.Select(f => f.ToEntry()).ToList() ?? [], body.Menu?.Select(m => m.ToItem()).ToList() ?? [], body.VoiceEn ?? d.VoiceEn, body.VoiceEs ?? d.VoiceEs,
            body.MaxReprompts ?? d.MaxReprompts, body.ReservationService);
        return await grains.GetVoiceAccount(http.Caller().Scope).PutSettingsAsync(locationId, settings);
    }

    /// <summary>A call webhook's session and form after routing; null when the request names no valid call.</summary>
    private sealed record RoutedCall(ICallSessionGrain Session, List<KeyValuePair<string, string>> Form, string CallSid);

    /// <summary>Routes a follow-up call webhook: To → tenant (signature checked with its token), callSid → the session.</summary>
    private static async Task<RoutedCall?> RouteCallAsync(HttpContext http, IGrainFactory grains, MessagingOptions options)
    {
        var form = await TwilioWebhooksApi.ReadFormAsync(http);
        var to = TwilioWebhooksApi.Field(form, "To");
        var route = to is null ? null : await grains.GetTwilioRouting().ForNumberAsync(to);
        if (route is null)
        {
            throw new CloudFranException(ErrorKind.Forbidden, TwilioWebhooksApi.InvalidSignature, "The call's To number belongs to no tenant.");
        }
        TwilioWebhooksApi.Verify(http, form, route.WebhookToken, options);
        var callSid = http.Request.Query["callSid"].ToString() is { Length: > 0 } q ? q : TwilioWebhooksApi.Field(form, "CallSid");
        return callSid is not null && IsCallSid(callSid) ? new RoutedCall(grains.GetCallSession(route.Scope, callSid), form, callSid) : null;
    }

    /// <summary>A call turn: the session's reply rendered as TwiML with this layer's callback URLs.</summary>
    private static async Task<ContentHttpResult> CallWebhookAsync(HttpContext http, IGrainFactory grains, MessagingOptions options,
        Func<ICallSessionGrain, List<KeyValuePair<string, string>>, Task<CallReply>> handle)
    {
        if (await RouteCallAsync(http, grains, options) is not { } call)
        {
            // Twilio must still get TwiML it can play.
            return TypedResults.Content(new TwiML().Say("Sorry, something went wrong with this call. Goodbye.", FallbackVoice)
                .Hangup().ToString(), Xml);
        }
        var reply = await handle(call.Session, call.Form);
        return TypedResults.Content(CallReplyTwiml.Render(reply, call.CallSid), Xml);
    }

    private static bool IsCallSid(string value) =>
        value.Length is >= 3 and <= 64 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    private static string RequireCallSid(string? value) =>
        value is not null && IsCallSid(value) ? value : throw CloudFranException.Invalid("CallSid", "CallSid is required (letters, digits, '-' or '_').");

    private static double? Confidence(string? value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var c) && c is >= 0 and <= 1 ? c : null;

    private static DateTimeOffset? Instant(Check check, HttpContext http, string name)
    {
        var raw = http.Request.Query[name].ToString();
        if (raw.Length == 0) return null;
        if (DateTimeOffset.TryParse(raw, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var value)) return value;
        check.Invalid(name, $"{name} must be an ISO 8601 date or date-time.");
        return null;
    }
}
