using CloudFran.Abstractions.Voice;
using CloudFran.Grains.Voice;
using CloudFran.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace CloudFran.Tests.Voice;

/// <summary>The offline engine against the labelled utterance set and on the slot forms the receptionist relies on.</summary>
public sealed class ConversationEngineTests(ITestOutputHelper output)
{
    private static readonly DateOnly Today = new(2026, 11, 23); // a Monday

    private static Understanding Understand(string text, string industry = "restaurant", string? expecting = null) =>
        OfflineConversationEngine.Understand(text, new EngineContext("en", industry, Today, [], UtteranceEvaluation.Menu, expecting));

    [Fact]
    public void Labelled_set_has_at_least_300_lines_in_both_languages_and_the_engine_scores_well_on_it()
    {
        var set = UtteranceEvaluation.Parse(File.ReadAllText(Path.Combine(Repo.Root, "data/voice/utterances.tsv")));
        Assert.True(set.Count >= 300, $"{set.Count} lines");
        Assert.True(set.Count(u => u.Language == "es") >= 100);
        var answers = set.Select(u => OfflineConversationEngine.Understand(u.Text,
            new EngineContext(null, u.Industry, Today, [], UtteranceEvaluation.Menu))).ToList();
        var result = UtteranceEvaluation.Score(set, answers, Today);
        output.WriteLine($"intent {result.IntentAccuracy:P1}, slots {result.SlotAccuracy:P1}, language {result.LanguageAccuracy:P1}");
        foreach (var miss in result.Misses) output.WriteLine(miss);
        Assert.True(result.IntentAccuracy >= 0.90, $"intent accuracy {result.IntentAccuracy:P1}\n{string.Join('\n', result.Misses)}");
        Assert.True(result.SlotAccuracy >= 0.85, $"slot accuracy {result.SlotAccuracy:P1}\n{string.Join('\n', result.Misses)}");
        Assert.True(result.LanguageAccuracy >= 0.95, $"language accuracy {result.LanguageAccuracy:P1}");
    }

    [Theory]
    [InlineData("next Tuesday at 2pm", "2026-11-24", "14:00")]
    [InlineData("tomorrow evening at half past seven", "2026-11-24", "19:30")]
    [InlineData("Friday at 14:30", "2026-11-27", "14:30")]
    [InlineData("el jueves a las ocho de la noche", "2026-11-26", "20:00")]
    [InlineData("mañana a las siete y media", "2026-11-24", "19:30")]
    public void Dates_and_times_in_both_languages(string text, string date, string time)
    {
        var u = Understand(text);
        Assert.Equal(date, u.Slots["date"]);
        Assert.Equal(time, u.Slots["time"]);
    }

    [Fact]
    public void Party_size_is_not_confused_with_a_time()
    {
        Assert.Equal("4", Understand("a table for four at 7").Slots["partySize"]);
        Assert.False(Understand("a table for 7pm").Slots.ContainsKey("partySize"));
        Assert.Equal("19:00", Understand("a table for 7pm").Slots["time"]);
        Assert.Equal("6", Understand("somos seis personas").Slots["partySize"]);
    }

    [Fact]
    public void Industry_vocabulary_decides_what_a_booking_sounds_like()
    {
        Assert.Equal(VoiceIntents.MakeReservation, Understand("my sink is leaking", "home_services").Intent);
        Assert.NotEqual(VoiceIntents.MakeReservation, Understand("my sink is leaking", "restaurant").Intent);
        Assert.True(IndustryVocabulary.All.Count >= 3);
        Assert.Contains("salon", IndustryVocabulary.All.Keys);
    }

    [Fact]
    public void Names_are_taken_from_cues_or_as_a_bare_answer_when_asked()
    {
        Assert.Equal("Maria Lopez", Understand("my name is maria lopez").Slots["name"]);
        Assert.Equal("Ana", Understand("Ana", expecting: "name").Slots["name"]);
        Assert.False(Understand("yes", expecting: "name").Slots.ContainsKey("name"));
        Assert.False(Understand("Ana").Slots.ContainsKey("name"));
    }
}
