using System.Text.Json;
using CloudFran.Abstractions.TextIntelligence;
using CloudFran.Grains.Ai;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace CloudFran.Grains.TextIntelligence;

/// <summary>
/// The model-backed engine: one chat-completions request per call (JSON response format, temperature 0) through
/// Microsoft.Extensions.AI, the same client and configuration as the voice receptionist's LLM engine. The model's
/// answer is never trusted blindly: labels outside the documented sets, numbers out of range and entities that do
/// not occur in the text are dropped or replaced by the offline engine's value; a failed, slow or unreadable answer
/// returns the offline engine's result, marked <c>engine: "lexicon"</c>.
/// </summary>
public sealed class LlmTextIntelligence(IChatClient chat, LlmOptions options, LexiconTextIntelligence offline,
    ILogger<LlmTextIntelligence> logger) : ITextIntelligence
{
    private const string Llm = "llm";
    private static readonly string[] Sentiments = ["positive", "negative", "neutral"];
    private static readonly string[] Classes = ["enterprise", "mid_market", "smb", "unqualified", "support", "not_interested"];
    private static readonly string[] Priorities = ["high", "medium", "low"];
    private static readonly string[] Actions =
        ["schedule_demo", "send_proposal", "send_pricing", "start_trial", "qualify_by_call", "route_to_support", "close_lead"];
    private static readonly string[] Intents = ["booking", "pricing", "complaint", "question", "positive", "general"];

    public string Engine => Llm;

    public async ValueTask<TextAnalysis> AnalyzeAsync(string text, CancellationToken cancellationToken = default)
    {
        var fallback = offline.Analyze(text);
        var answer = await AskAsync(
            """
            You analyse customer messages for a franchise business. Reply only with a JSON object:
            {"sentiment": "positive"|"negative"|"neutral", "confidence": 0..1, "score": -1..1,
             "entities": [{"text": exact words from the message, "type": "product"|"service"|"feature"|"place"|"person"|"organization"|"date"|"money"|"email"|"request", "confidence": 0..1}],
             "summary": one sentence of at most 30 words}
            """, text, cancellationToken);
        if (answer is not { } root)
        {
            return fallback;
        }
        var sentiment = OneOf(root, "sentiment", Sentiments);
        if (sentiment is null)
        {
            return fallback;
        }
        var entities = new List<TextEntity>();
        if (root.TryGetProperty("entities", out var list) && list.ValueKind == JsonValueKind.Array)
        {
            foreach (var e in list.EnumerateArray().Take(50))
            {
                var words = e.ValueKind == JsonValueKind.Object && e.TryGetProperty("text", out var t) ? t.GetString() : null;
                var type = e.ValueKind == JsonValueKind.Object && e.TryGetProperty("type", out var k) ? k.GetString() : null;
                // Only what the text actually says: an entity the model made up is dropped.
                if (string.IsNullOrWhiteSpace(words) || words.Length > 100 || string.IsNullOrWhiteSpace(type) || type.Length > 30
                    || !text.Contains(words, StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }
                entities.Add(new TextEntity(words, type.ToLowerInvariant(), Number(e, "confidence", 0, 1) ?? 0.7));
            }
        }
        var summary = root.TryGetProperty("summary", out var s) && s.ValueKind == JsonValueKind.String && s.GetString() is { Length: > 0 and <= 500 } sum
            ? sum
            : fallback.Summary;
        var score = Number(root, "score", -1, 1) ?? sentiment switch { "positive" => 0.5, "negative" => -0.5, _ => 0 };
        return new TextAnalysis(sentiment, Number(root, "confidence", 0, 1) ?? fallback.Confidence, Math.Round(score, 4),
            entities, summary, Llm);
    }

    public async ValueTask<LeadClassification> ClassifyAsync(string text, IReadOnlyDictionary<string, string>? context,
        CancellationToken cancellationToken = default)
    {
        var fallback = offline.Classify(text, context);
        var facts = context is { Count: > 0 } ? JsonSerializer.Serialize(context) : "{}";
        var answer = await AskAsync(
            $$"""
            You qualify sales leads. Known context: {{facts}}. Reply only with a JSON object:
            {"classification": {{string.Join("|", Classes.Select(c => $"\"{c}\""))}}, "confidence": 0..1,
             "priority": "high"|"medium"|"low", "recommended_action": {{string.Join("|", Actions.Select(a => $"\"{a}\""))}},
             "tags": [short snake_case tags]}
            """, text, cancellationToken);
        if (answer is not { } root || OneOf(root, "classification", Classes) is not { } classification)
        {
            return fallback;
        }
        var tags = root.TryGetProperty("tags", out var t) && t.ValueKind == JsonValueKind.Array
            ? t.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()!.Trim().ToLowerInvariant().Replace(' ', '_'))
                .Where(x => x.Length is > 0 and <= 40).Distinct().Take(10).ToList()
            : [];
        return new LeadClassification(classification, Number(root, "confidence", 0, 1) ?? fallback.Confidence,
            OneOf(root, "priority", Priorities) ?? fallback.Priority,
            OneOf(root, "recommended_action", Actions) ?? fallback.RecommendedAction, tags, Llm);
    }

    public async ValueTask<ReplySuggestion> SuggestRepliesAsync(string incomingMessage, CancellationToken cancellationToken = default)
    {
        var fallback = offline.SuggestReplies(incomingMessage);
        var answer = await AskAsync(
            $$"""
            You help a franchise location's staff answer an incoming text message. Reply only with a JSON object:
            {"intent": {{string.Join("|", Intents.Select(i => $"\"{i}\""))}}, "suggestions": [two or three short, friendly replies, each at most 300 characters, that promise nothing specific about prices or times]}
            """, incomingMessage, cancellationToken);
        if (answer is not { } root || OneOf(root, "intent", Intents) is not { } intent)
        {
            return fallback;
        }
        var suggestions = root.TryGetProperty("suggestions", out var s) && s.ValueKind == JsonValueKind.Array
            ? s.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()!.Trim())
                .Where(x => x.Length is > 0 and <= 300).Take(3).ToList()
            : [];
        return suggestions.Count == 0 ? fallback : new ReplySuggestion(intent, suggestions, Llm);
    }

    /// <summary>The model's JSON object, or null when the call failed, timed out or answered something else.</summary>
    private async Task<JsonElement?> AskAsync(string instructions, string text, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Timeout);
        try
        {
            var response = await chat.GetResponseAsync(
                [new ChatMessage(ChatRole.System, instructions), new ChatMessage(ChatRole.User, text)],
                new ChatOptions { ModelId = options.Model, Temperature = 0, ResponseFormat = ChatResponseFormat.Json },
                timeout.Token);
            var reply = response.Text;
            var start = reply.IndexOf('{');
            var end = reply.LastIndexOf('}');
            if (start < 0 || end <= start)
            {
                logger.LogWarning("The model answered without a JSON object; the offline engine answered.");
                return null;
            }
            using var doc = JsonDocument.Parse(reply[start..(end + 1)]);
            return doc.RootElement.ValueKind == JsonValueKind.Object ? doc.RootElement.Clone() : null;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning("Text model unavailable ({Error}); the offline engine answered.", e.GetType().Name);
            return null;
        }
    }

    private static string? OneOf(JsonElement root, string name, string[] allowed) =>
        root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String
            && allowed.FirstOrDefault(a => string.Equals(a, v.GetString(), StringComparison.OrdinalIgnoreCase)) is { } match
            ? match
            : null;

    private static double? Number(JsonElement root, string name, double min, double max) =>
        root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out var d) && d >= min && d <= max
            ? Math.Round(d, 4)
            : null;
}
