using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;

namespace CloudFran.Grains.Messaging.Twilio;

/// <summary>Credentials for one REST call: Basic auth user (AccountSid or SK… API key) and secret.</summary>
public sealed record TwilioAccount(string AccountSid, string User, string Secret, string? MessagingServiceSid);

public sealed record TwilioMessage(
    [property: JsonPropertyName("sid")] string Sid,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("to")] string? To,
    [property: JsonPropertyName("from")] string? From,
    [property: JsonPropertyName("num_segments")] string? NumSegments,
    [property: JsonPropertyName("error_code")] int? ErrorCode);

public sealed record TwilioCall(
    [property: JsonPropertyName("sid")] string Sid,
    [property: JsonPropertyName("status")] string Status);

/// <summary>A Twilio REST error: its code (21610 opted out, 21211 invalid number, 20429 rate limited…).</summary>
public sealed class TwilioException(int httpStatus, int code, string message) : Exception(message)
{
    public int HttpStatus { get; } = httpStatus;
    public int Code { get; } = code;

    /// <summary>Rate limiting and server errors are worth another try; 4xx like 21610/21211 never are.</summary>
    public bool Retryable => Code == 20429 || HttpStatus == 429 || HttpStatus >= 500 || HttpStatus == 0;
}

/// <summary>
/// The platform's Twilio REST client: form-encoded requests with HTTP Basic auth per tenant account, typed
/// errors, and retries with exponential backoff for rate limiting and server errors.
/// </summary>
public sealed class TwilioClient(HttpClient http, IOptions<TwilioOptions> options)
{
    public Task<TwilioMessage> SendMessageAsync(TwilioAccount account, string to, string? from, string body,
        IReadOnlyList<string> mediaUrls, string? statusCallback, CancellationToken ct = default)
    {
        var form = new List<KeyValuePair<string, string>> { new("To", to) };
        if (account.MessagingServiceSid is not null)
        {
            form.Add(new("MessagingServiceSid", account.MessagingServiceSid));
        }
        else if (from is not null)
        {
            form.Add(new("From", from));
        }
        if (body.Length > 0) form.Add(new("Body", body));
        form.AddRange(mediaUrls.Select(u => new KeyValuePair<string, string>("MediaUrl", u)));
        if (statusCallback is not null) form.Add(new("StatusCallback", statusCallback));
        return PostAsync<TwilioMessage>(account, $"Accounts/{account.AccountSid}/Messages.json", form, ct);
    }

    public Task<TwilioCall> CreateCallAsync(TwilioAccount account, string to, string from, string url,
        string? statusCallback, CancellationToken ct = default)
    {
        var form = new List<KeyValuePair<string, string>> { new("To", to), new("From", from), new("Url", url) };
        if (statusCallback is not null) form.Add(new("StatusCallback", statusCallback));
        return PostAsync<TwilioCall>(account, $"Accounts/{account.AccountSid}/Calls.json", form, ct);
    }

    /// <summary>Redirects a live call to new TwiML (<paramref name="url"/>) or ends it (status "completed").</summary>
    public Task<TwilioCall> UpdateCallAsync(TwilioAccount account, string callSid, string? url, string? status,
        CancellationToken ct = default)
    {
        var form = new List<KeyValuePair<string, string>>();
        if (url is not null) form.Add(new("Url", url));
        if (status is not null) form.Add(new("Status", status));
        return PostAsync<TwilioCall>(account, $"Accounts/{account.AccountSid}/Calls/{Uri.EscapeDataString(callSid)}.json", form, ct);
    }

    /// <summary>Starts recording a live call; Twilio posts RecordingSid/RecordingUrl/RecordingStatus to the callback.</summary>
    public Task<TwilioCall> StartRecordingAsync(TwilioAccount account, string callSid, string statusCallback, CancellationToken ct = default)
    {
        var form = new List<KeyValuePair<string, string>> { new("RecordingStatusCallback", statusCallback), new("RecordingStatusCallbackEvent", "completed") };
        return PostAsync<TwilioCall>(account, $"Accounts/{account.AccountSid}/Calls/{Uri.EscapeDataString(callSid)}/Recordings.json", form, ct);
    }

    private async Task<T> PostAsync<T>(TwilioAccount account, string path, List<KeyValuePair<string, string>> form,
        CancellationToken ct)
    {
        var url = $"{options.Value.BaseUrl.TrimEnd('/')}/2010-04-01/{path}";
        var backoff = options.Value.FirstBackoff;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await PostOnceAsync<T>(account, url, form, ct);
            }
            catch (TwilioException e) when (e.Retryable && attempt < options.Value.MaxAttempts)
            {
                await Task.Delay(backoff, ct);
                backoff *= 4;
            }
        }
    }

    private async Task<T> PostOnceAsync<T>(TwilioAccount account, string url, List<KeyValuePair<string, string>> form,
        CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new FormUrlEncodedContent(form) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{account.User}:{account.Secret}")));
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, ct);
        }
        catch (HttpRequestException e)
        {
            throw new TwilioException(0, 0, "Twilio unreachable: " + e.Message);
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TwilioException(0, 0, "Twilio did not answer in time.");
        }
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(ct);
            if (response.IsSuccessStatusCode)
            {
                return JsonSerializer.Deserialize<T>(body) ?? throw new TwilioException((int)response.StatusCode, 0, "Empty Twilio response.");
            }
            int code = 0;
            var message = $"Twilio answered {(int)response.StatusCode}.";
            try
            {
                using var json = JsonDocument.Parse(body);
                if (json.RootElement.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.Number) code = c.GetInt32();
                if (json.RootElement.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String) message = m.GetString()!;
            }
            catch (JsonException)
            {
                // Non-JSON error bodies (proxies, outages) keep the generic message.
            }
            if (response.StatusCode == HttpStatusCode.TooManyRequests && code == 0)
            {
                code = 20429;
            }
            throw new TwilioException((int)response.StatusCode, code, message);
        }
    }
}
