using CloudFran.Grains.TextIntelligence;
using CloudFran.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace CloudFran.Tests.TextIntelligence;

/// <summary>The offline engine against the labelled set in this folder, plus its individual rules.</summary>
public sealed class TextIntelligenceTests(ITestOutputHelper output)
{
    private readonly LexiconTextIntelligence _engine = new();

    public static IReadOnlyList<(string Label, string Text)> LabelledSet() =>
        File.ReadAllLines(Path.Combine(Repo.Root, "tests", "CloudFran.Tests", "TextIntelligence", "sentiment.tsv"))
            .Skip(1).Where(l => l.Length > 0).Select(l => l.Split('\t', 2)).Select(p => (p[0], p[1])).ToList();

    [Fact]
    public void Labelled_set_accuracy_is_at_least_85_percent()
    {
        var set = LabelledSet();
        Assert.True(set.Count >= 200, $"The labelled set has {set.Count} lines.");
        var wrong = set.Where(x => _engine.Analyze(x.Text).Sentiment != x.Label).ToList();
        var accuracy = 1.0 - (double)wrong.Count / set.Count;
        output.WriteLine($"accuracy {accuracy:P1} on {set.Count} sentences");
        foreach (var (label, text) in wrong)
        {
            output.WriteLine($"  expected {label}, got {_engine.Analyze(text).Sentiment}: {text}");
        }
        Assert.True(accuracy >= 0.85, $"accuracy {accuracy:P1}");
    }

    [Theory]
    [InlineData("The service was good.", "positive")]
    [InlineData("The service was not good.", "negative")]
    [InlineData("The service was never bad.", "positive")]
    [InlineData("It was okay but the staff were rude.", "negative")]
    [InlineData("The wait was long but the stylist was amazing.", "positive")]
    [InlineData("Can I book for Tuesday?", "neutral")]
    public void Negation_contrast_and_neutral_text(string text, string expected) =>
        Assert.Equal(expected, _engine.Analyze(text).Sentiment);

    [Fact]
    public void Intensifiers_and_exclamations_strengthen_and_downtoners_soften()
    {
        var plain = _engine.Analyze("The food was good.").Score;
        var strong = _engine.Analyze("The food was extremely good!").Score;
        var soft = _engine.Analyze("The food was slightly good.").Score;
        Assert.True(strong > plain && plain > soft && soft > 0, $"{strong} {plain} {soft}");
        Assert.Equal(_engine.Analyze("Same text twice").Score, _engine.Analyze("Same text twice").Score);
    }

    [Fact]
    public void Classification_and_reply_suggestions_follow_the_rules()
    {
        var smb = _engine.Classify("Small business with 8 employees, what does it cost?", null);
        Assert.Equal("smb", smb.Classification);
        Assert.Equal("send_pricing", smb.RecommendedAction);
        Assert.Contains("pricing_interest", smb.Tags);
        var mid = _engine.Classify("We have 120 staff across 4 offices and need it this week", null);
        Assert.Equal("mid_market", mid.Classification);
        Assert.Equal("high", mid.Priority);
        Assert.Equal("not_interested", _engine.Classify("Please remove me, wrong number", null).Classification);
        Assert.Equal("booking", _engine.SuggestReplies("Do you have an opening Friday?").Intent);
        Assert.Equal("complaint", _engine.SuggestReplies("The food was cold and the staff were rude").Intent);
        Assert.NotEmpty(_engine.SuggestReplies("How much is a cut?").Suggestions);
    }
}
