using System.Globalization;
using System.Text.RegularExpressions;
using CloudFran.Abstractions.TextIntelligence;

namespace CloudFran.Grains.TextIntelligence;

/// <summary>
/// The offline engine: a weighted sentiment lexicon with negation (a negator flips and dampens the next three
/// words), intensifiers and downtoners, "but" shifting weight to the clause after it, and exclamation emphasis;
/// keyword entities; rule-based lead classification. Deterministic: the same text always gives the same answer.
/// </summary>
public sealed partial class LexiconTextIntelligence : ITextIntelligence
{
    public const int MaxLength = 10_000;

    private static readonly Dictionary<string, double> Lexicon = BuildLexicon();

    /// <summary>Multi-word expressions scored as a unit (their words are then not scored again).</summary>
    private static readonly (string Phrase, double Valence)[] Phrases =
    [
        ("above and beyond", 2.8), ("right the first time", 2.2), ("on time", 1.2), ("no complaints", 2.0), ("nothing to complain about", 2.0),
        ("not good enough", -2.2), ("no refund", -2.2), ("never arrived", -2.4), ("never showed", -2.4), ("never received", -2.2),
        ("did not show", -2.4), ("didn't show", -2.4), ("not show up", -2.4), ("never called", -2.0), ("nobody answered", -2.2),
        ("nobody called", -2.0), ("went down", -1.5), ("charged twice", -2.2), ("stopped working", -2.2), ("made me sick", -3.0),
        ("waste of", -2.4), ("keeps crashing", -2.4), ("no one", -0.8), ("not happy", -2.0), ("not satisfied", -2.0),
    ];

    private static readonly HashSet<string> Negators =
        ["not", "no", "never", "none", "nothing", "neither", "nor", "without", "hardly", "barely", "cannot", "cant", "dont",
         "doesnt", "didnt", "isnt", "wasnt", "arent", "werent", "wont", "wouldnt", "shouldnt", "couldnt", "havent", "hasnt", "aint", "nobody"];

    private static readonly Dictionary<string, double> Intensifiers = new()
    {
        ["very"] = 1.5, ["really"] = 1.4, ["extremely"] = 1.8, ["so"] = 1.3, ["super"] = 1.5, ["incredibly"] = 1.7,
        ["absolutely"] = 1.6, ["totally"] = 1.4, ["truly"] = 1.4, ["highly"] = 1.5, ["most"] = 1.3, ["too"] = 1.3,
        ["especially"] = 1.3, ["utterly"] = 1.7, ["completely"] = 1.5, ["exceptionally"] = 1.7,
        ["slightly"] = 0.5, ["somewhat"] = 0.6, ["kinda"] = 0.6, ["fairly"] = 0.8, ["bit"] = 0.6, ["little"] = 0.7,
        ["mildly"] = 0.5, ["barely"] = 0.4,
    };

    private static readonly (string Word, string Type)[] EntityKeywords =
    [
        ("product", "product"), ("app", "product"), ("software", "product"), ("platform", "product"), ("system", "product"),
        ("tool", "product"), ("device", "product"), ("item", "product"), ("order", "product"),
        ("pricing", "feature"), ("price", "feature"), ("prices", "feature"), ("cost", "feature"), ("plan", "feature"),
        ("subscription", "feature"), ("feature", "feature"), ("features", "feature"), ("integration", "feature"),
        ("dashboard", "feature"), ("reporting", "feature"), ("reports", "feature"), ("interface", "feature"),
        ("support", "service"), ("service", "service"), ("staff", "service"), ("team", "service"), ("delivery", "service"),
        ("appointment", "service"), ("booking", "service"), ("onboarding", "service"), ("billing", "service"),
        ("refund", "service"), ("shipping", "service"), ("wait", "service"), ("location", "place"), ("store", "place"),
        ("office", "place"), ("demo", "request"), ("quote", "request"), ("trial", "request"),
    ];

    public string Engine => "lexicon";

    public ValueTask<TextAnalysis> AnalyzeAsync(string text, CancellationToken cancellationToken = default) => new(Analyze(text));

    public ValueTask<LeadClassification> ClassifyAsync(string text, IReadOnlyDictionary<string, string>? context,
        CancellationToken cancellationToken = default) => new(Classify(text, context));

    public ValueTask<ReplySuggestion> SuggestRepliesAsync(string incomingMessage, CancellationToken cancellationToken = default) =>
        new(SuggestReplies(incomingMessage));

    public TextAnalysis Analyze(string text)
    {
        var input = text.Length > MaxLength ? text[..MaxLength] : text;
        var score = Score(input);
        var sentiment = score >= 0.05 ? "positive" : score <= -0.05 ? "negative" : "neutral";
        var confidence = Math.Round(sentiment == "neutral" ? 0.6 + (0.05 - Math.Abs(score)) * 4 : Math.Min(0.99, 0.55 + Math.Abs(score) * 0.45), 2);
        var entities = Entities(input);
        return new TextAnalysis(sentiment, confidence, Math.Round(score, 4), entities, Summary(score, entities));
    }

    public LeadClassification Classify(string text, IReadOnlyDictionary<string, string>? context)
    {
        var lower = text.ToLowerInvariant();
        var size = context is not null && context.TryGetValue("company_size", out var s) ? s.ToLowerInvariant() : null;
        var seats = Seats().Matches(lower).Select(m => int.Parse(m.Groups[1].Value.Replace(",", ""), CultureInfo.InvariantCulture))
            .DefaultIfEmpty(0).Max();
        var tags = new List<string>();
        double confidence;
        string classification;
        if (ContainsAny(lower, "unsubscribe", "stop texting", "not interested", "wrong number", "remove me"))
        {
            return new LeadClassification("not_interested", 0.9, "low", "close_lead", ["not_interested"]);
        }
        if (ContainsAny(lower, "broken", "refund", "complaint", "not working", "cancel my"))
        {
            return new LeadClassification("support", 0.8, "medium", "route_to_support", ["support"]);
        }
        var enterpriseWords = ContainsAny(lower, "enterprise", "organization-wide", "company-wide", "sso", "sla", "procurement", "global", "multiple locations", "franchise");
        if (seats >= 500 || size is "large" or "enterprise" || enterpriseWords && seats == 0)
        {
            classification = "enterprise";
            confidence = 0.6 + (seats >= 500 ? 0.15 : 0) + (size is "large" or "enterprise" ? 0.1 : 0) + (enterpriseWords ? 0.1 : 0);
            tags.AddRange(["enterprise", "large_company", "high_value"]);
        }
        else if (seats >= 50 || size is "medium" or "mid")
        {
            classification = "mid_market";
            confidence = 0.65 + (seats >= 50 ? 0.1 : 0) + (size is "medium" or "mid" ? 0.1 : 0);
            tags.AddRange(["mid_market", "medium_company"]);
        }
        else if (seats > 0 || size is "small" or "startup" || ContainsAny(lower, "small business", "startup", "my shop", "just me", "small team"))
        {
            classification = "smb";
            confidence = 0.7;
            tags.AddRange(["smb", "small_company"]);
        }
        else
        {
            classification = "unqualified";
            confidence = 0.5;
            tags.Add("needs_discovery");
        }
        var urgent = ContainsAny(lower, "asap", "urgent", "this week", "immediately", "right away", "today");
        var pricing = ContainsAny(lower, "price", "pricing", "cost", "quote", "budget");
        if (urgent) tags.Add("urgent");
        if (pricing) tags.Add("pricing_interest");
        if (context is not null && context.TryGetValue("industry", out var industry) && industry.Length is > 0 and <= 40)
        {
            tags.Add(industry.ToLowerInvariant().Replace(' ', '_'));
        }
        var priority = classification == "enterprise" || urgent ? "high" : classification is "mid_market" or "smb" ? "medium" : "low";
        var action = classification switch
        {
            "enterprise" => "schedule_demo",
            "mid_market" => urgent ? "schedule_demo" : "send_proposal",
            "smb" => pricing ? "send_pricing" : "start_trial",
            _ => "qualify_by_call",
        };
        return new LeadClassification(classification, Math.Round(Math.Min(0.95, confidence), 2), priority, action, tags);
    }

    public ReplySuggestion SuggestReplies(string incomingMessage)
    {
        var lower = incomingMessage.ToLowerInvariant();
        var sentiment = Score(incomingMessage);
        if (ContainsAny(lower, "book", "appointment", "schedule", "available", "opening", "slot"))
        {
            return new ReplySuggestion("booking", ["Happy to get you booked! What day and time work best for you?",
                "We have openings this week. Would morning or afternoon suit you better?"]);
        }
        if (ContainsAny(lower, "price", "cost", "how much", "pricing", "quote"))
        {
            return new ReplySuggestion("pricing", ["Great question! Our pricing depends on what you need. Can I ask a couple of quick questions?",
                "I can send our current price list right away. Is text or email better for you?"]);
        }
        if (sentiment <= -0.05)
        {
            return new ReplySuggestion("complaint", ["I'm sorry to hear that. Can you tell me a little more so we can make it right?",
                "Thank you for letting us know. A manager will reach out to you today."]);
        }
        if (incomingMessage.Contains('?'))
        {
            return new ReplySuggestion("question", ["Thanks for asking! Let me find that out for you.",
                "Good question. Would a quick call be easier? I can ring you in a few minutes."]);
        }
        return sentiment >= 0.05
            ? new ReplySuggestion("positive", ["Thank you so much! We're glad to hear it.", "That's wonderful. Is there anything else we can help with?"])
            : new ReplySuggestion("general", ["Thanks for your message! How can we help?", "Got it, thank you. We'll follow up shortly."]);
    }

    /// <summary>Sum of word valences with negation, intensity and "but" weighting, normalised to (-1, 1).</summary>
    public static double Score(string text)
    {
        var total = 0.0;
        foreach (var raw in Sentences().Split(text.ToLowerInvariant()))
        {
            var sentence = raw;
            var phraseScore = 0.0;
            foreach (var (phrase, valence) in Phrases)
            {
                var at = sentence.IndexOf(phrase, StringComparison.Ordinal);
                while (at >= 0)
                {
                    phraseScore += valence;
                    sentence = string.Concat(sentence.AsSpan(0, at), " , ", sentence.AsSpan(at + phrase.Length));
                    at = sentence.IndexOf(phrase, StringComparison.Ordinal);
                }
            }
            var words = Words().Matches(sentence).Select(m => m.Value.Replace("'", "").Replace("’", "")).ToList();
            var butAt = words.FindIndex(w => w is "but" or "however" or "although" or "though");
            var sentenceScore = phraseScore;
            for (var i = 0; i < words.Count; i++)
            {
                if (!Lexicon.TryGetValue(words[i], out var valence))
                {
                    continue;
                }
                for (var back = 1; back <= 3 && i - back >= 0; back++)
                {
                    var w = words[i - back];
                    if (Intensifiers.TryGetValue(w, out var factor))
                    {
                        valence *= factor;
                    }
                    if (Negators.Contains(w))
                    {
                        valence *= -0.6;
                        break;
                    }
                }
                if (butAt >= 0)
                {
                    valence *= i > butAt ? 1.5 : 0.5;
                }
                sentenceScore += valence;
            }
            var bangs = sentence.Count(c => c == '!');
            if (bangs > 0 && sentenceScore != 0)
            {
                sentenceScore += Math.Sign(sentenceScore) * Math.Min(bangs, 3) * 0.3;
            }
            total += sentenceScore;
        }
        return total / Math.Sqrt(total * total + 15);
    }

    private static IReadOnlyList<TextEntity> Entities(string text)
    {
        var found = new List<TextEntity>();
        var words = Words().Matches(text.ToLowerInvariant()).Select(m => m.Value).ToHashSet();
        foreach (var (word, type) in EntityKeywords)
        {
            if (words.Contains(word) && found.All(f => f.Type != type || f.Text != word))
            {
                found.Add(new TextEntity(word, type, Math.Round(0.8 + Math.Min(0.15, word.Length * 0.015), 2)));
            }
        }
        foreach (Match m in Money().Matches(text))
        {
            found.Add(new TextEntity(m.Value, "money", 0.95));
        }
        foreach (Match m in Email().Matches(text))
        {
            found.Add(new TextEntity(m.Value, "email", 0.99));
        }
        return found.Take(20).ToList();
    }

    private static string Summary(double score, IReadOnlyList<TextEntity> entities)
    {
        var tone = score switch
        {
            >= 0.6 => "Highly positive",
            >= 0.05 => "Positive",
            <= -0.6 => "Highly negative",
            <= -0.05 => "Negative",
            _ => "Neutral",
        };
        var topics = entities.Where(e => e.Type is "product" or "feature" or "service" or "place" or "request").Select(e => e.Text).Distinct().Take(4).ToList();
        return topics.Count switch
        {
            0 => $"{tone} message",
            1 => $"{tone} feedback about {topics[0]}",
            _ => $"{tone} feedback about {string.Join(", ", topics[..^1])}, and {topics[^1]}",
        };
    }

    private static bool ContainsAny(string text, params string[] needles) => needles.Any(n => text.Contains(n, StringComparison.Ordinal));

    private static Dictionary<string, double> BuildLexicon()
    {
        var lexicon = new Dictionary<string, double>(StringComparer.Ordinal);
        void Add(double valence, string words)
        {
            foreach (var w in words.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                lexicon[w] = valence;
            }
        }
        Add(3.2, "love loved loves amazing awesome excellent fantastic outstanding superb wonderful perfect brilliant phenomenal incredible exceptional");
        Add(2.4, "great best delighted thrilled impressed recommend recommended happy glad pleased beautiful terrific stellar flawless");
        Add(1.8, "good nice helpful friendly easy quick fast smooth smoothly enjoy enjoyed like liked satisfied fair reasonable affordable clean efficient professional reliable fresh pleasure beautifully delicious gentle");
        Add(1.5, "thanks thank appreciate appreciated worth welcoming kind polite convenient comfortable responsive useful valuable");
        Add(1.0, "fine ok okay decent interested yes sure works worked improve improved better");
        Add(-3.2, "hate hated horrible terrible awful worst disgusting pathetic useless scam nightmare atrocious");
        Add(-2.4, "bad rude angry furious disappointed disappointing unacceptable broken poor frustrating frustrated annoyed annoying ridiculous incompetent");
        Add(-2.4, "filthy burnt stale wilted sick soggy leaks leaking leaked ignored crashing crashes scratch scratched damaged moldy");
        Add(-1.8, "slow expensive overpriced confusing difficult dirty late wrong problem problems issue issues complaint unhappy unprofessional mess messy waste");
        Add(-1.5, "wait waiting waited delay delayed cancel cancelled canceled refund lost missing error errors fail failed failure bug bugs crash crashed");
        Add(-1.0, "meh mediocre unclear cold noisy crowded hard worse sorry unfortunately");
        return lexicon;
    }

    [GeneratedRegex(@"[.?;\n]+")]
    private static partial Regex Sentences();

    [GeneratedRegex(@"[a-z][a-z'’\-]*")]
    private static partial Regex Words();

    [GeneratedRegex(@"(\d[\d,]*)\+?\s*(?:users|employees|seats|people|staff|locations|stores|agents)")]
    private static partial Regex Seats();

    [GeneratedRegex(@"\$\s?\d[\d,]*(?:\.\d{2})?")]
    private static partial Regex Money();

    [GeneratedRegex(@"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")]
    private static partial Regex Email();
}
