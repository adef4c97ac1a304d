using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using CloudFran.Grains.Text;
using CloudFran.Abstractions.Voice;
using CloudFran.Grains.Calendar;

namespace CloudFran.Grains.Voice;

/// <summary>What the engine knows besides the words: language so far, industry, the location's day, services and menu.</summary>
public sealed record EngineContext(
    string? LanguageHint,
    string Industry,
    DateOnly Today,
    IReadOnlyList<string> Services,
    IReadOnlyList<MenuItem> Menu,
    string? Expecting = null);

/// <summary>Turns one caller utterance into intent, confidence, language and slots.</summary>
public interface IConversationEngine
{
    ValueTask<Understanding> UnderstandAsync(string text, EngineContext context, CancellationToken cancellationToken = default);
}

/// <summary>The per-industry vocabulary (embedded <c>industries.json</c>): adding an industry is a data change.</summary>
public sealed record IndustryVocabulary(string Name, string BookingNounEn, string BookingNounEs, bool AskPartySize,
    IReadOnlyList<string> Booking, IReadOnlyList<string> Order)
{
    public static IReadOnlyDictionary<string, IndustryVocabulary> All { get; } = Load();

    public static IndustryVocabulary For(string? industry) =>
        industry is not null && All.TryGetValue(industry, out var v) ? v : All["restaurant"];

    public string BookingNoun(string language) => language == "es" ? BookingNounEs : BookingNounEn;

    private static Dictionary<string, IndustryVocabulary> Load()
    {
        using var stream = typeof(IndustryVocabulary).Assembly.GetManifestResourceStream("CloudFran.Voice.industries.json")
            ?? throw new InvalidOperationException("industries.json is not embedded.");
        using var doc = JsonDocument.Parse(stream);
        var result = new Dictionary<string, IndustryVocabulary>(StringComparer.Ordinal);
        foreach (var p in doc.RootElement.EnumerateObject().Where(p => !p.Name.StartsWith('_')))
        {
            IReadOnlyList<string> Words(string name) =>
                p.Value.GetProperty(name).EnumerateArray().Select(w => BookingLanguage.Normalize(w.GetString()!)).ToList();
            var noun = p.Value.GetProperty("bookingNoun");
            result[p.Name] = new IndustryVocabulary(p.Name, noun.GetProperty("en").GetString()!, noun.GetProperty("es").GetString()!,
                p.Value.GetProperty("askPartySize").GetBoolean(), Words(VoiceIntents.MakeReservation), Words(VoiceIntents.PlaceOrder));
        }
        return result;
    }
}

/// <summary>
/// The offline engine: deterministic keyword scoring per intent (industry vocabulary plus general phrases), language
/// detection by marker words, and slot extraction (name, date, time, party size, phone, menu items with quantities) in
/// English and Spanish. No network; the same words always give the same answer; microseconds per utterance.
/// </summary>
public sealed partial class OfflineConversationEngine : IConversationEngine
{
    private static readonly (string Intent, int Weight, string[] Phrases)[] General =
    [
        (VoiceIntents.TransferCall, 3, ["speak to", "speak with", "talk to", "talk with", "a person", "a human", "real person", "someone", "manager",
            "representative", "operator", "transfer", "connect me", "put me through", "hablar con", "una persona", "el gerente", "un representante",
            "transferir", "comunicar", "comuniqueme", "alguien"]),
        (VoiceIntents.LeaveMessage, 3, ["leave a message", "a message", "message for", "tell them", "let them know", "pass along", "call me back",
            "have someone call", "have them call", "dejar un mensaje", "un mensaje", "recado", "diganle", "digale", "que me llamen", "que me devuelvan"]),
        (VoiceIntents.Goodbye, 3, ["bye", "goodbye", "that's all", "thats all", "that is all", "nothing else", "that's it", "thats it", "have a good",
            "hang up", "adios", "hasta luego", "eso es todo", "nada mas", "es todo", "chao"]),
        // A price question names a service or item but asks about it.
        (VoiceIntents.AskQuestion, 3, ["how much", "price", "prices", "cost", "charge", "cuanto cuesta", "cuanto cuestan", "cuanto es", "precio",
            "precios", "cobran"]),
        (VoiceIntents.MakeReservation, 2, ["reservation", "appointment", "book", "schedule", "reserve", "cita", "reservar", "reservacion", "agendar"]),
        (VoiceIntents.PlaceOrder, 2, ["order", "pedido", "pedir", "ordenar"]),
        (VoiceIntents.AskQuestion, 1, ["what time", "hours", "open", "close", "closing", "where", "address", "located", "how much", "price", "cost",
            "do you", "are you", "is there", "does it", "parking", "menu", "what are", "which", "when", "how late", "how early", "accept",
            "horario", "a que hora", "abren", "cierran", "abierto", "donde", "direccion", "cuanto", "precio", "cuesta", "tienen", "hay", "aceptan",
            "cual", "cuando", "estacionamiento"]),
    ];

    private static readonly string[] AffirmWords = ["yes", "yeah", "yep", "yup", "correct", "sure", "right", "please do", "sounds good", "perfect",
        "ok", "okay", "confirm", "go ahead", "absolutely", "si", "claro", "correcto", "esta bien", "perfecto", "de acuerdo", "dale", "confirmo", "exacto"];

    private static readonly string[] DenyWords = ["no", "nope", "nah", "wrong", "incorrect", "not right", "don't", "dont", "cancel", "incorrecto",
        "mejor no", "cancelar"];

    private static readonly HashSet<string> SpanishMarkers = new(StringComparer.Ordinal)
    {
        "el", "la", "los", "las", "de", "que", "quiero", "quisiera", "para", "una", "por", "favor", "gracias", "hola", "mesa", "cita", "manana",
        "hoy", "necesito", "mi", "con", "hablar", "buenas", "buenos", "tardes", "dias", "noches", "si", "como", "cuanto", "donde", "tienen",
        "puedo", "hacer", "reservar", "es", "esta", "nombre", "llamo", "soy", "personas", "mensaje", "pedir", "y", "del", "al", "en", "se",
        "me", "lo", "su", "a", "las", "uno", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve", "diez", "once", "doce",
        "adios", "pedido", "hamburguesa", "hamburguesas", "papas", "quiere", "tiene", "hay", "ustedes", "abren", "cierran", "horario",
    };

    private static readonly HashSet<string> EnglishMarkers = new(StringComparer.Ordinal)
    {
        "the", "i", "to", "for", "my", "is", "you", "do", "can", "what", "please", "thanks", "thank", "hi", "hello", "want", "need", "would",
        "like", "table", "appointment", "at", "on", "tomorrow", "today", "name", "this", "it", "have", "are", "of", "and", "yes", "with",
        "your", "me", "get", "book", "order", "time", "open", "how", "much", "speak", "someone", "tonight", "could", "we", "our", "be", "an",
        "there", "it's", "i'd", "i'm", "that's", "bye", "goodbye", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    };

    private static readonly (string Word, int Value)[] NumberWords =
    [
        ("one", 1), ("two", 2), ("three", 3), ("four", 4), ("five", 5), ("six", 6), ("seven", 7), ("eight", 8), ("nine", 9), ("ten", 10),
        ("eleven", 11), ("twelve", 12), ("fifteen", 15), ("twenty", 20), ("thirty", 30), ("forty five", 45), ("forty", 40),
        ("uno", 1), ("una", 1), ("dos", 2), ("tres", 3), ("cuatro", 4), ("cinco", 5), ("seis", 6), ("siete", 7), ("ocho", 8), ("nueve", 9),
        ("diez", 10), ("once", 11), ("doce", 12), ("quince", 15), ("veinte", 20), ("treinta", 30),
    ];

    private static readonly HashSet<string> NameStop = new(StringComparer.OrdinalIgnoreCase)
    {
        "and", "for", "at", "on", "please", "tomorrow", "today", "tonight", "i", "i'd", "i'm", "calling", "and", "y", "para", "a", "the", "by",
        "with", "from", "is", "to", "phone", "number", "thanks", "thank", "por", "favor", "gracias", "de", "con", "mañana", "hoy", "quiero",
        "looking", "here", "just", "not", "going", "trying", "wondering", "interested", "hungry", "sorry",
    };

    public ValueTask<Understanding> UnderstandAsync(string text, EngineContext context, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Understand(text, context));

    public static Understanding Understand(string text, EngineContext context)
    {
        var normalized = BookingLanguage.Normalize(text);
        var language = DetectLanguage(text, normalized, context.LanguageHint);
        var withDigits = NumbersToDigits(normalized);
        var vocabulary = IndustryVocabulary.For(context.Industry);
        var slots = ExtractSlots(text, withDigits, context);
        var (intent, confidence) = Classify(normalized, vocabulary, slots, context);
        return new Understanding(intent, Math.Round(confidence, 2), language, slots);
    }

    private static (string Intent, double Confidence) Classify(string t, IndustryVocabulary vocabulary, Dictionary<string, string> slots,
        EngineContext context)
    {
        if (t.Length == 0)
        {
            return (VoiceIntents.Unknown, 0);
        }
        var words = t.Split(' ');
        var scores = new Dictionary<string, double>(StringComparer.Ordinal);
        void Add(string intent, double score) => scores[intent] = scores.GetValueOrDefault(intent) + score;

        foreach (var (intent, weight, phrases) in General)
        {
            foreach (var phrase in phrases)
            {
                if (Contains(t, phrase)) Add(intent, weight);
            }
        }
        foreach (var phrase in vocabulary.Booking) if (Contains(t, phrase)) Add(VoiceIntents.MakeReservation, 2);
        foreach (var phrase in vocabulary.Order) if (Contains(t, phrase)) Add(VoiceIntents.PlaceOrder, 2);
        // "How much is the cheeseburger?" names an item but asks a question.
        if (slots.ContainsKey("items")) Add(VoiceIntents.PlaceOrder, scores.ContainsKey(VoiceIntents.AskQuestion) ? 0.5 : 2.5);
        if (slots.ContainsKey("partySize")) Add(VoiceIntents.MakeReservation, 1.5);
        if ((slots.ContainsKey("date") || slots.ContainsKey("time")) && !scores.ContainsKey(VoiceIntents.AskQuestion)) Add(VoiceIntents.MakeReservation, 1);
        if (Contains(t, "message") && scores.ContainsKey(VoiceIntents.LeaveMessage)) Add(VoiceIntents.LeaveMessage, 1);

        // Yes/no only when the utterance is short or starts with it: "no, I want to speak to a manager" is a transfer.
        var shortReply = words.Length <= 5;
        var affirm = AffirmWords.Any(w => words.Length > 0 && (Contains(t, w) && shortReply || t.StartsWith(w + " ", StringComparison.Ordinal) || t == w));
        var deny = DenyWords.Any(w => Contains(t, w) && shortReply || t == w || t.StartsWith(w + " ", StringComparison.Ordinal));
        if (context.Expecting is "confirm" && (affirm || deny) && words.Length <= 6)
        {
            return deny ? (VoiceIntents.Deny, 0.9) : (VoiceIntents.Affirm, 0.9);
        }
        if (scores.Count == 0)
        {
            if (deny && shortReply) return (VoiceIntents.Deny, 0.8);
            if (affirm && shortReply) return (VoiceIntents.Affirm, 0.8);
            if (t.EndsWith('?')) return (VoiceIntents.AskQuestion, 0.4);
            return (VoiceIntents.Unknown, 0.2);
        }
        // "no, that's all" / "no thanks, bye": a goodbye.
        if (deny && scores.ContainsKey(VoiceIntents.Goodbye)) return (VoiceIntents.Goodbye, 0.9);
        if (deny && context.Expecting is "anything_else" && scores.Keys.All(k => k == VoiceIntents.AskQuestion)) return (VoiceIntents.Goodbye, 0.8);
        var ranked = scores.OrderByDescending(s => s.Value).ThenBy(s => VoiceIntents.All.ToList().IndexOf(s.Key)).ToList();
        var best = ranked[0];
        var second = ranked.Count > 1 ? ranked[1].Value : 0;
        var confidence = Math.Clamp(0.55 + 0.1 * best.Value - 0.1 * second, 0.35, 0.97);
        return (best.Key, confidence);
    }

    private static bool Contains(string text, string phrase) =>
        phrase.Length > 0 && TextPatterns.IsMatch(text, $@"(?<![a-z0-9']){Regex.Escape(phrase)}(?:s|es|ing|ed)?(?![a-z0-9'])");

    /// <summary>Spanish when its marker words clearly outnumber English ones (or Spanish-only characters appear).</summary>
    public static string DetectLanguage(string original, string normalized, string? hint)
    {
        var words = normalized.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var es = words.Count(SpanishMarkers.Contains) + (original.IndexOfAny(['ñ', '¿', '¡', 'á', 'é', 'í', 'ó', 'ú']) >= 0 ? 2 : 0);
        var en = words.Count(EnglishMarkers.Contains);
        if (es >= 2 && es > en) return "es";
        if (en >= 2 && en > es) return "en";
        return hint is "es" or "en" ? hint : (es > en ? "es" : "en");
    }

    /// <summary>Normalized text with number words as digits ("two burgers" → "2 burgers", "half past seven" → "half past 7").</summary>
    public static string DigitsText(string text) => NumbersToDigits(BookingLanguage.Normalize(text));

    private static string NumbersToDigits(string t)
    {
        foreach (var (word, value) in NumberWords)
        {
            t = TextPatterns.Replace(t, $@"\b{word}\b", value.ToString(CultureInfo.InvariantCulture));
        }
        // "7 30 pm" / "7 30" after a time cue → "7:30"; "7 o'clock" → "7".
        t = TextPatterns.Replace(t, @"\b(\d{1,2}) (15|30|45)\b", "$1:$2");
        t = TextPatterns.Replace(t, @"\b(\d{1,2}) o ?clock\b", "$1");
        t = TextPatterns.Replace(t, @"\b(\d{1,2}) y media\b", "$1:30");
        t = TextPatterns.Replace(t, @"\bquarter past (\d{1,2})\b", "$1:15");
        t = TextPatterns.Replace(t, @"\b(\d{1,2}) y cuarto\b", "$1:15");
        return t;
    }

    private static Dictionary<string, string> ExtractSlots(string original, string t, EngineContext context)
    {
        var slots = new Dictionary<string, string>(StringComparer.Ordinal);
        var booking = BookingLanguage.Parse(t, context.Today, context.Services);
        if (booking.Date is { } date) slots["date"] = date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        if (booking.Time is { } time) slots["time"] = time.ToString("HH:mm", CultureInfo.InvariantCulture);
        if (booking.PartOfDay is { } part) slots["partOfDay"] = $"{part.From:HH\\:mm}-{part.To:HH\\:mm}";
        if (booking.Service is { } service) slots["service"] = service;

        if (booking.PartySize is { } size)
        {
            slots["partySize"] = size.ToString(CultureInfo.InvariantCulture);
        }

        var digits = PhoneDigits().Match(original);
        if (digits.Success)
        {
            var only = new string(digits.Value.Where(char.IsDigit).ToArray());
            if (only.Length == 10) slots["phone"] = "+1" + only;
            else if (only.Length == 11 && only[0] == '1') slots["phone"] = "+" + only;
            else if (digits.Value.StartsWith('+') && only.Length is >= 11 and <= 15) slots["phone"] = "+" + only;
        }

        if (ExtractName(original) is { } name)
        {
            slots["name"] = name;
        }
        else if (context.Expecting == "name" && LooksLikeBareName(original) is { } bare)
        {
            slots["name"] = bare;
        }

        var items = ExtractItems(t, context.Menu);
        if (items.Count > 0)
        {
            slots["items"] = string.Join("; ", items.Select(i => $"{i.Item} x{i.Quantity}"));
        }
        return slots;
    }

    private static string? ExtractName(string original)
    {
        var m = NameCue().Match(original);
        if (!m.Success)
        {
            return null;
        }
        var words = m.Groups["rest"].Value.Split([' ', ',', '.', '!', '?'], StringSplitOptions.RemoveEmptyEntries)
            .TakeWhile(w => !NameStop.Contains(w) && !w.Any(char.IsDigit)).Take(3).ToList();
        if (words.Count == 0 || words.Sum(w => w.Length) < 2)
        {
            return null;
        }
        return string.Join(' ', words.Select(Capitalize));
    }

    /// <summary>An answer to "what name?": one to three words, no digits, not a yes/no.</summary>
    private static string? LooksLikeBareName(string original)
    {
        var cleaned = TextPatterns.Replace(original, @"^(it's|it is|its|es|soy|i'm|sure|yes|si)[, ]+", "", RegexOptions.IgnoreCase).Trim(' ', '.', ',', '!');
        var words = cleaned.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length is 0 or > 3 || words.Any(w => w.Any(c => !char.IsLetter(c) && c is not '\'' and not '-')))
        {
            return null;
        }
        if (words.Any(w => NameStop.Contains(w)) || AffirmWords.Contains(cleaned.ToLowerInvariant()) || DenyWords.Contains(cleaned.ToLowerInvariant()))
        {
            return null;
        }
        return string.Join(' ', words.Select(Capitalize));
    }

    private static string Capitalize(string w) => w.Length == 0 ? w : char.ToUpperInvariant(w[0]) + w[1..];

    /// <summary>Menu items named in the text, each with the quantity said before it (default 1).</summary>
    public static List<OrderLine> ExtractItems(string t, IReadOnlyList<MenuItem> menu)
    {
        var found = new List<(int At, OrderLine Line)>();
        var taken = new List<(int Start, int End)>();
        var candidates = menu.SelectMany(item => new[] { item.Name }.Concat(item.Aliases ?? []).Select(alias => (item, alias: BookingLanguage.Normalize(alias))))
            .Where(c => c.alias.Length > 0)
            .OrderByDescending(c => c.alias.Length);
        foreach (var (item, alias) in candidates)
        {
            var pattern = $@"(?:(?<q>\d{{1,2}}|a|an|un|una|unos|unas)\s+(?:(?:large|small|medium|regular|grande|chica|mediana|order of|orders of|orden de|ordenes de)\s+)*)?(?<!\w){Regex.Escape(alias)}(?:e?s)?(?!\w)";
            foreach (Match m in TextPatterns.Matches(t, pattern))
            {
                if (taken.Any(r => m.Index < r.End && r.Start < m.Index + m.Length))
                {
                    continue;
                }
                taken.Add((m.Index, m.Index + m.Length));
                var quantity = m.Groups["q"].Success && int.TryParse(m.Groups["q"].Value, CultureInfo.InvariantCulture, out var q) ? q : 1;
                found.Add((m.Index, new OrderLine(item.Name, Math.Clamp(quantity, 1, 99), item.Price)));
            }
        }
        return found.OrderBy(f => f.At).GroupBy(f => f.Line.Item)
            .Select(g => g.First().Line with { Quantity = g.Sum(x => x.Line.Quantity) }).ToList();
    }

    [GeneratedRegex(@"\+?\d[\d\-\s().]{8,18}\d")]
    private static partial Regex PhoneDigits();

    [GeneratedRegex(@"(?:\bmy name is|\bname is|\bthis is|\bunder the name(?: of)?|\bunder|\bname's|\bme llamo|\bmi nombre es|\ba nombre de|\bsoy|\bit's for|\bfor the name)\s+(?<rest>[^\d].*)$", RegexOptions.IgnoreCase)]
    private static partial Regex NameCue();
}
