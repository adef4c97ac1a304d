using System.Net;
using System.Text.Json;
using CloudFran.Tests.Infrastructure;
using CloudFran.Tests.Voice;
using Xunit;

namespace CloudFran.Tests.TextIntelligence;

/// <summary>
/// Text intelligence with a model configured: the platform talks to a local OpenAI-compatible server on 127.0.0.1
/// (the real chat-completions wire format) through the production client. The model's answer is used where it is
/// valid, cleaned where it is not, and the offline engine answers when the model fails.
/// </summary>
[Collection(LlmCollection.Name)]
public sealed class LlmTextIntelligenceTests(LlmVoiceFactory llm)
{
    [Fact]
    public async Task Analyze_uses_the_models_answer_and_drops_entities_the_text_does_not_contain()
    {
        var tenant = await llm.Platform.CreateTenantAsync();
        using var client = tenant.Live();
        llm.OpenAi.Content = """
            {"sentiment":"negative","confidence":0.93,"score":-0.8,
             "entities":[{"text":"oil change","type":"service","confidence":0.9},{"text":"Tesla","type":"organization"}],
             "summary":"A customer waited three hours for an oil change."}
            """;
        var a = await (await client.PostJsonAsync("/api/analyze", new { text = "The oil change took three hours. Never again.", analysis_type = "full" }))
            .JsonAsync(HttpStatusCode.OK);
        Assert.Equal("llm", a.GetProperty("engine").GetString());
        Assert.Equal("negative", a.GetProperty("sentiment").GetString());
        Assert.Equal(-0.8, a.GetProperty("score").GetDouble());
        Assert.Equal(["oil change"], a.GetProperty("entities").EnumerateArray().Select(e => e.GetProperty("text").GetString()));
        Assert.Equal("A customer waited three hours for an oil change.", a.GetProperty("summary").GetString());

        var request = llm.OpenAi.Requests.Last();
        Assert.Equal("/v1/chat/completions", request.Path);
        using var body = JsonDocument.Parse(request.Body);
        Assert.Equal("json_object", body.RootElement.GetProperty("response_format").GetProperty("type").GetString());
        Assert.Contains("The oil change took three hours", request.Body);
    }

    [Fact]
    public async Task Classification_keeps_documented_labels_and_falls_back_on_unknown_ones()
    {
        var tenant = await llm.Platform.CreateTenantAsync();
        using var client = tenant.Live();
        llm.OpenAi.Content = """{"classification":"enterprise","confidence":0.88,"priority":"high","recommended_action":"schedule_demo","tags":["Multi Location","urgent"]}""";
        var c = await (await client.PostJsonAsync("/api/classify-lead", new { text_content = "We run 40 gyms and want this rolled out", context = new { industry = "fitness" } }))
            .JsonAsync(HttpStatusCode.OK);
        Assert.Equal("llm", c.GetProperty("engine").GetString());
        Assert.Equal("enterprise", c.GetProperty("classification").GetString());
        Assert.Equal("schedule_demo", c.GetProperty("recommended_action").GetString());
        Assert.Equal(["multi_location", "urgent"], c.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.Contains("fitness", llm.OpenAi.Requests.Last().Body);

        // A label outside the documented set is not passed on: the offline engine answers instead.
        llm.OpenAi.Content = """{"classification":"whale","confidence":0.99,"priority":"urgent"}""";
        var fallback = await (await client.PostJsonAsync("/api/classify-lead", new { text_content = "Small business with 8 employees, what does it cost?" }))
            .JsonAsync(HttpStatusCode.OK);
        Assert.Equal("lexicon", fallback.GetProperty("engine").GetString());
        Assert.Equal("smb", fallback.GetProperty("classification").GetString());
    }

    [Fact]
    public async Task Reply_suggestions_come_from_the_model_and_a_failing_model_falls_back()
    {
        var tenant = await llm.Platform.CreateTenantAsync();
        using var client = tenant.Live();
        llm.OpenAi.Content = """{"intent":"booking","suggestions":["We'd love to see you! Which day suits you?","Sure - shall I check Friday's openings?"],"sentiment":"positive"}""";
        var s = await (await client.PostJsonAsync("/v1/crm/reply-suggestions", new { message = "Any chance of a trim on Friday?" })).JsonAsync(HttpStatusCode.OK);
        Assert.Equal("llm", s.GetProperty("engine").GetString());
        Assert.Equal("booking", s.GetProperty("intent").GetString());
        Assert.Equal(2, s.GetProperty("suggestions").GetArrayLength());

        llm.OpenAi.Status = 500;
        try
        {
            var sentiment = await (await client.PostJsonAsync("/v1/crm/sentiment", new { text = "The staff were wonderful and friendly!", source = "review" }))
                .JsonAsync(HttpStatusCode.OK);
            Assert.Equal("lexicon", sentiment.GetProperty("engine").GetString());
            Assert.Equal("positive", sentiment.GetProperty("sentiment").GetString());
        }
        finally
        {
            llm.OpenAi.Status = 200;
        }
    }
}
