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
    [property: Id(4)] string Summary);

[GenerateSerializer, Immutable, Alias("cf.LeadClassification")]
public sealed record LeadClassification(
    [property: Id(0)] string Classification,
    [property: Id(1)] double Confidence,
    [property: Id(2)] string Priority,
    [property: Id(3)] string RecommendedAction,
    [property: Id(4)] IReadOnlyList<string> Tags);

[GenerateSerializer, Immutable, Alias("cf.ReplySuggestion")]
public sealed record ReplySuggestion(
    [property: Id(0)] string Intent,
    [property: Id(1)] IReadOnlyList<string> Suggestions);

/// <summary>
/// Sentiment, entities, summary, lead classification and reply suggestions. The default engine is offline and
/// deterministic (<c>LexiconTextIntelligence</c>); a model-backed engine can implement the same interface.
/// </summary>
public interface ITextIntelligence
{
    string Engine { get; }
    TextAnalysis Analyze(string text);
    LeadClassification Classify(string text, IReadOnlyDictionary<string, string>? context);
    ReplySuggestion SuggestReplies(string incomingMessage);
}
