namespace CloudFran.Abstractions.TextIntelligence;

[GenerateSerializer, Immutable, Alias("cf.TextEntity")]
public sealed record TextEntity(
    [property: Id(0)] string Text,
    [property: Id(1)] string Type,
    [property: Id(2)] double Confidence);

[GenerateSerializer, Immutable, Alias("cf.TextAnalysis")]
public sealed record TextAnalysis(
    [property: Id(0)] string Sentiment,
    [property: Id(1)] double Confidence,
    /// <summary>-1 (very negative) … +1 (very positive).</summary>
    [property: Id(2)] double Score,
    [property: Id(3)] IReadOnlyList<TextEntity> Entities,
    [property: Id(4)] string Summary,
    /// <summary>The engine that produced this answer: "lexicon", or "llm" (a failed model call falls back to "lexicon").</summary>
    [property: Id(5)] string Engine = "lexicon");

[GenerateSerializer, Immutable, Alias("cf.LeadClassification")]
public sealed record LeadClassification(
    [property: Id(0)] string Classification,
    [property: Id(1)] double Confidence,
    [property: Id(2)] string Priority,
    [property: Id(3)] string RecommendedAction,
    [property: Id(4)] IReadOnlyList<string> Tags,
    [property: Id(5)] string Engine = "lexicon");

[GenerateSerializer, Immutable, Alias("cf.ReplySuggestion")]
public sealed record ReplySuggestion(
    [property: Id(0)] string Intent,
    [property: Id(1)] IReadOnlyList<string> Suggestions,
    [property: Id(2)] string Engine = "lexicon");

/// <summary>
/// Sentiment, entities, summary, lead classification and reply suggestions. The default engine is offline and
/// deterministic (<c>LexiconTextIntelligence</c>); with a model configured <c>LlmTextIntelligence</c> answers and
/// falls back to the offline engine when the model fails. Each answer names the engine that produced it.
/// </summary>
public interface ITextIntelligence
{
    /// <summary>The configured engine ("lexicon" or "llm").</summary>
    string Engine { get; }
    ValueTask<TextAnalysis> AnalyzeAsync(string text, CancellationToken cancellationToken = default);
    ValueTask<LeadClassification> ClassifyAsync(string text, IReadOnlyDictionary<string, string>? context,
        CancellationToken cancellationToken = default);
    ValueTask<ReplySuggestion> SuggestRepliesAsync(string incomingMessage, CancellationToken cancellationToken = default);
}
