using System.Net;
using System.Text.Json;
using CloudFran.Tests.Infrastructure;
using CloudFran.Tests.Messaging;
using Microsoft.AspNetCore.Http;
using Xunit;

namespace CloudFran.Tests.Voice;

/// <summary>A local stand-in for an OpenAI-compatible chat-completions endpoint (the real wire format).</summary>
public sealed class FakeOpenAi : IAsyncDisposable
{
    private readonly LocalHttpServer _server;

    private FakeOpenAi(LocalHttpServer server)
    {
        _server = server;
        _server.Handler = HandleAsync;
    }

    public static async Task<FakeOpenAi> StartAsync() => new(await LocalHttpServer.StartAsync());

    public string BaseUrl => _server.BaseUrl + "/v1";
    public IEnumerable<RecordedRequest> Requests => _server.Requests;

    /// <summary>The tool call to answer with (name, JSON arguments); null answers plain content.</summary>
    public (string Name, string Arguments)? ToolCall { get; set; }
    public string Content { get; set; } = """{"intent":"AskQuestion","confidence":0.8,"language":"en","slots":{}}""";
    public TimeSpan Delay { get; set; }
    public int Status { get; set; } = 200;

    private async Task HandleAsync(RecordedRequest request, HttpResponse response)
    {
        // A slow model is the subject of the tests that set it (the platform's timeout and fallback).
        if (Delay > TimeSpan.Zero) await Task.Delay(Delay);
        response.StatusCode = Status;
        if (Status != 200)
        {
            await response.WriteAsJsonAsync(new { error = new { message = "overloaded", type = "server_error", code = "server_error" } });
            return;
        }
        object message = ToolCall is { } call
            ? new { role = "assistant", content = (string?)null, tool_calls = new[] { new { id = "call_1", type = "function", function = new { name = call.Name, arguments = call.Arguments } } } }
            : new { role = "assistant", content = Content };
        await response.WriteAsJsonAsync(new
        {
            id = "chatcmpl-test", @object = "chat.completion", created = 1_700_000_000, model = "gpt-4o-mini",
            choices = new[] { new { index = 0, message, finish_reason = ToolCall is null ? "stop" : "tool_calls" } },
            usage = new { prompt_tokens = 10, completion_tokens = 5, total_tokens = 15 },
        });
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}

/// <summary>The platform with the LLM engine pointed at <see cref="FakeOpenAi"/>.</summary>
public sealed class LlmVoiceFactory : IAsyncDisposable
{
    public LlmVoiceFactory()
    {
        OpenAi = FakeOpenAi.StartAsync().GetAwaiter().GetResult();
        Platform = new MessagingFactory();
        Platform.Settings["CLOUDFRAN_LLM_ENDPOINT"] = OpenAi.BaseUrl;
        Platform.Settings["CLOUDFRAN_LLM_API_KEY"] = "sk-test-llm";
        Platform.Settings["CLOUDFRAN_LLM_TIMEOUT_SECONDS"] = "10";
    }

    public FakeOpenAi OpenAi { get; }
    public MessagingFactory Platform { get; }

    public async ValueTask DisposeAsync()
    {
        await Platform.DisposeAsync();
        await OpenAi.DisposeAsync();
    }
}

[Collection(LlmCollection.Name)]
public sealed class LlmEngineTests(LlmVoiceFactory llm)
{
    [Fact]
    public async Task Understand_reads_the_models_tool_call_as_intent_and_slots()
    {
        var location = await VoiceLocation.CreateAsync(llm.Platform, engine: "llm");
        llm.OpenAi.ToolCall = ("take_order", """{"items":[{"item":"Fries","quantity":3},{"item":"Caviar","quantity":1}]}""");
        using var client = location.Tenant.Live();
        var u = await (await client.PostJsonAsync("/v1/voice/understand", new { text = "three of those potato things", locationId = location.LocationId }))
            .JsonAsync(HttpStatusCode.OK);
        Assert.Equal("PlaceOrder", u.GetProperty("intent").GetString());
        // Only menu items survive: the model cannot invent "Caviar".
        Assert.Equal("Fries x3", u.GetProperty("slots").GetProperty("items").GetString());

        var request = llm.OpenAi.Requests.Last();
        Assert.Equal("/v1/chat/completions", request.Path);
        Assert.Equal("Bearer sk-test-llm", request.Headers["authorization"]);
        using var body = JsonDocument.Parse(request.Body);
        var tools = body.RootElement.GetProperty("tools").EnumerateArray().Select(t => t.GetProperty("function").GetProperty("name").GetString()).ToList();
        Assert.Equal(["check_availability", "hold_slot", "book_appointment", "take_order", "take_message", "transfer_call"], tools);
        Assert.Contains("three of those potato things", request.Body);
    }

    [Fact]
    public async Task A_slow_model_keeps_the_caller_engaged_and_Twilio_polls_for_the_answer()
    {
        var location = await VoiceLocation.CreateAsync(llm.Platform, engine: "llm");
        var call = new VoiceCall(llm.Platform, location);
        await call.StartAsync();
        llm.OpenAi.ToolCall = ("transfer_call", "{}");
        llm.OpenAi.Delay = TimeSpan.FromSeconds(4);
        try
        {
            var holding = await call.SayAsync("I need to reach whoever is in charge");
            Assert.Contains("One moment", VoiceCall.Said(holding));
            var redirect = holding.Root!.Element("Redirect")!.Value;
            Assert.StartsWith($"/api/voice-receptionist/poll?callSid={call.CallSid}&turn=1", redirect);
            var answer = await call.PostAsync(redirect, new Dictionary<string, string>
            {
                ["CallSid"] = call.CallSid, ["From"] = call.Caller, ["To"] = location.Number, ["CallStatus"] = "in-progress",
            });
            Assert.Equal(location.TransferNumber, answer.Root!.Element("Dial")!.Value.Trim());
        }
        finally
        {
            llm.OpenAi.Delay = TimeSpan.Zero;
        }
    }

    [Fact]
    public async Task A_poll_for_a_turn_already_answered_gets_the_current_prompt_not_that_answer_again()
    {
        var location = await VoiceLocation.CreateAsync(llm.Platform, engine: "llm");
        var call = new VoiceCall(llm.Platform, location);
        await call.StartAsync();
        llm.OpenAi.ToolCall = ("transfer_call", "{}");
        var poll = new Dictionary<string, string>
        {
            ["CallSid"] = call.CallSid, ["From"] = call.Caller, ["To"] = location.Number, ["CallStatus"] = "in-progress",
        };
        // The model answers at once: the transfer comes in the response to the speech itself (on a very slow machine
        // the caller may be held first; then the poll brings it, as Twilio would).
        var transfer = await call.SayAsync("I need to reach whoever is in charge");
        if (transfer.Root!.Element("Redirect") is { } redirect)
        {
            transfer = await call.PostAsync(redirect.Value, poll);
        }
        Assert.Equal(location.TransferNumber, transfer.Root!.Element("Dial")!.Value.Trim());

        var back = await call.DialStatusAsync("no-answer");
        Assert.Contains("nobody was able to answer", VoiceCall.Said(back));

        // A late or repeated poll for turn 1, already answered: the caller hears where the call is now; no second dial.
        var stray = await call.PostAsync($"/api/voice-receptionist/poll?callSid={call.CallSid}&turn=1", poll);
        Assert.Null(stray.Root!.Element("Dial"));
        Assert.Equal(VoiceCall.Said(back), VoiceCall.Said(stray));
        Assert.NotNull(VoiceCall.Gather(stray));
    }

    [Fact]
    public async Task A_failing_model_falls_back_to_the_offline_engine()
    {
        var location = await VoiceLocation.CreateAsync(llm.Platform, engine: "llm");
        llm.OpenAi.Status = 500;
        try
        {
            using var client = location.Tenant.Live();
            var u = await (await client.PostJsonAsync("/v1/voice/understand", new { text = "Can I speak to a manager?" })).JsonAsync(HttpStatusCode.OK);
            Assert.Equal("TransferCall", u.GetProperty("intent").GetString());
        }
        finally
        {
            llm.OpenAi.Status = 200;
        }
    }
}
