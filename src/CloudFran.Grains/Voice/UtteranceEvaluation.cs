using System.Globalization;
using CloudFran.Abstractions.Voice;

namespace CloudFran.Grains.Voice;

/// <summary>One labelled line of <c>data/voice/utterances.tsv</c>.</summary>
public sealed record LabelledUtterance(int Line, string Language, string Industry, string Intent, IReadOnlyDictionary<string, string> Slots, string Text);

/// <summary>Intent accuracy, slot accuracy (expected slots found with the expected value) and the misses.</summary>
public sealed record EvaluationResult(int Utterances, int IntentCorrect, int SlotsExpected, int SlotsCorrect, int LanguageCorrect, IReadOnlyList<string> Misses)
{
    public double IntentAccuracy => Utterances == 0 ? 0 : (double)IntentCorrect / Utterances;
    public double SlotAccuracy => SlotsExpected == 0 ? 1 : (double)SlotsCorrect / SlotsExpected;
    public double LanguageAccuracy => Utterances == 0 ? 0 : (double)LanguageCorrect / Utterances;
}

/// <summary>Reads the labelled utterance set and scores an engine's answers against it.</summary>
public static class UtteranceEvaluation
{
    /// <summary>The restaurant menu the set's item labels refer to.</summary>
    public static IReadOnlyList<MenuItem> Menu { get; } =
    [
        new("Cheeseburger", 8.99m, ["burger", "hamburguesa"]),
        new("Fries", 3.49m, ["papas", "french fries"]),
        new("Milkshake", 4.99m, ["shake", "malteada"]),
        new("Salad", 6.50m, ["ensalada"]),
        new("Soda", 1.99m, ["coke", "refresco"]),
    ];

    public static IReadOnlyList<LabelledUtterance> Parse(string tsv)
    {
        var result = new List<LabelledUtterance>();
        var number = 0;
        foreach (var raw in tsv.Split('\n'))
        {
            number++;
            var line = raw.TrimEnd('\r');
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var parts = line.Split('\t');
            if (parts.Length != 5) throw new FormatException($"utterances.tsv line {number}: expected 5 tab-separated fields.");
            var slots = parts[3].Split(';', StringSplitOptions.RemoveEmptyEntries)
                .Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
            result.Add(new LabelledUtterance(number, parts[0], parts[1], parts[2], slots, parts[4]));
        }
        return result;
    }

    /// <summary>The expected slot value with relative dates resolved against <paramref name="today"/>.</summary>
    public static string Expected(string slot, string value, DateOnly today)
    {
        if (slot != "date") return value;
        if (value.StartsWith('+')) return today.AddDays(int.Parse(value[1..], CultureInfo.InvariantCulture)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        if (value.StartsWith("dow:", StringComparison.Ordinal))
        {
            var day = value[4..] switch
            {
                "lunes" => DayOfWeek.Monday, "martes" => DayOfWeek.Tuesday, "miercoles" => DayOfWeek.Wednesday, "jueves" => DayOfWeek.Thursday,
                "viernes" => DayOfWeek.Friday, "sabado" => DayOfWeek.Saturday, "domingo" => DayOfWeek.Sunday,
                var en => Enum.Parse<DayOfWeek>(en, ignoreCase: true),
            };
            var ahead = ((int)day - (int)today.DayOfWeek + 7) % 7;
            return today.AddDays(ahead == 0 ? 7 : ahead).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        }
        return value;
    }

    /// <summary>Item lists compare as sets ("A x1; B x2" = "B x2,A x1").</summary>
    private static string Canonical(string value) =>
        string.Join(",", value.Split([';', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Order(StringComparer.Ordinal));

    public static EvaluationResult Score(IReadOnlyList<LabelledUtterance> set, IReadOnlyList<Understanding> answers, DateOnly today)
    {
        int intents = 0, expected = 0, correct = 0, languages = 0;
        var misses = new List<string>();
        for (var i = 0; i < set.Count; i++)
        {
            var u = set[i];
            var a = answers[i];
            if (a.Intent == u.Intent) intents++;
            else misses.Add($"line {u.Line}: intent {a.Intent} ≠ {u.Intent}: {u.Text}");
            if (a.Language == u.Language) languages++;
            foreach (var (slot, value) in u.Slots)
            {
                expected++;
                var want = Expected(slot, value, today);
                if (a.Slots.TryGetValue(slot, out var got) && string.Equals(Canonical(got), Canonical(want), StringComparison.OrdinalIgnoreCase)) correct++;
                else misses.Add($"line {u.Line}: {slot}={got ?? "∅"} ≠ {want}: {u.Text}");
            }
        }
        return new EvaluationResult(set.Count, intents, expected, correct, languages, misses);
    }
}
