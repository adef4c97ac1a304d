using System.Globalization;
using System.Text.RegularExpressions;
using CloudFran.Abstractions.Calendar;
using CloudFran.Abstractions.Locations;
using CloudFran.Abstractions.Voice;
using CloudFran.Grains.Calendar;
using static CloudFran.Grains.Voice.SpokenText;

namespace CloudFran.Grains.Voice;

/// <summary>An answer to a caller's question; <see cref="Answered"/> false means "I don't know, may I take a message?".</summary>
public sealed record FaqAnswer(string Say, bool Answered);

/// <summary>
/// Answers a caller's question from what the business told us: its FAQ first, then opening hours, address, menu
/// prices, services, and what is on offer.
/// </summary>
public static class FaqAnswers
{
    private static readonly HashSet<string> StopWords = new(StringComparer.Ordinal)
    {
        "the", "a", "an", "do", "you", "is", "are", "i", "can", "your", "what", "to", "of", "for", "we", "it", "have", "there", "any", "in", "on",
        "el", "la", "los", "las", "de", "que", "se", "un", "una", "tienen", "hay", "es", "y", "en", "con", "su",
    };

    /// <param name="day">The day the caller asks about (their date slot, else today).</param>
    public static FaqAnswer Answer(string text, string language, ReceptionistSettings settings, LocationView? location,
        IReadOnlyList<ServiceView> services, DateOnly day, DateOnly today)
    {
        var t = BookingLanguage.Normalize(text);
        bool Has(params string[] words) => words.Any(w => Text.TextPatterns.IsMatch(t, $@"\b{Regex.Escape(w)}\b"));

        var faq = BestFaq(t, settings.Faq);
        if (faq is not null)
        {
            return new FaqAnswer(faq.Answer, true);
        }
        if (location is not null && Has("hours", "open", "close", "closing", "closed", "what time", "how late", "horario", "abren", "cierran", "abierto", "a que hora"))
        {
            return new FaqAnswer(Hours(location, day, today, language), true);
        }
        if (location is not null && Has("where", "address", "located", "location", "directions", "donde", "direccion", "ubicados", "quedan"))
        {
            var a = location.Address;
            var parts = new[] { a.Street, a.City, a.State }.Where(p => !string.IsNullOrWhiteSpace(p));
            return new FaqAnswer(L(language, $"We're at {string.Join(", ", parts)}.", $"Estamos en {string.Join(", ", parts)}."), true);
        }
        var item = settings.Menu.FirstOrDefault(m => new[] { m.Name }.Concat(m.Aliases ?? []).Any(n => t.Contains(BookingLanguage.Normalize(n), StringComparison.Ordinal)));
        if (item is not null)
        {
            return new FaqAnswer(L(language, $"The {item.Name} is ${item.Price:0.00}.", $"{item.Name} cuesta ${item.Price:0.00}."), true);
        }
        var service = services.FirstOrDefault(s => t.Contains(BookingLanguage.Normalize(s.Name), StringComparison.Ordinal));
        if (service is not null)
        {
            return new FaqAnswer(service.Price is { } price
                ? L(language, $"{service.Name} is ${price:0.00} and takes about {service.DurationMinutes} minutes.", $"{service.Name} cuesta ${price:0.00} y dura unos {service.DurationMinutes} minutos.")
                : L(language, $"{service.Name} takes about {service.DurationMinutes} minutes.", $"{service.Name} dura unos {service.DurationMinutes} minutos."), true);
        }
        if (Has("services", "menu", "offer", "price", "prices", "servicios", "menu", "precios", "ofrecen"))
        {
            var list = settings.Menu.Count > 0 ? OrderTaking.MenuList(settings.Menu) : string.Join(", ", services.Select(s => s.Name));
            if (list.Length > 0)
            {
                return new FaqAnswer(L(language, $"We offer {list}.", $"Ofrecemos {list}."), true);
            }
        }
        return new FaqAnswer(L(language, "I'm not sure about that one. I can take a message so the team can call you back.",
            "No estoy seguro de eso. Puedo tomar un mensaje para que el equipo le devuelva la llamada."), false);
    }

    /// <summary>The FAQ entry sharing at least half of its question's words with the caller's, if any.</summary>
    public static FaqEntry? BestFaq(string normalized, IReadOnlyList<FaqEntry> faq)
    {
        var words = Words(normalized);
        FaqEntry? best = null;
        double bestScore = 0;
        foreach (var entry in faq)
        {
            var q = Words(BookingLanguage.Normalize(entry.Question));
            if (q.Count == 0) continue;
            var score = (double)q.Count(words.Contains) / q.Count;
            if (score > bestScore) { bestScore = score; best = entry; }
        }
        return bestScore >= 0.5 ? best : null;
    }

    /// <summary>"We're open today from 9:00 AM to 11:00 PM." / "We're closed on Sunday."</summary>
    public static string Hours(LocationView location, DateOnly day, DateOnly today, string language)
    {
        var key = day.DayOfWeek.ToString().ToLowerInvariant();
        var which = day == today ? L(language, "today", "hoy") : OnDay(day.DayOfWeek, language);
        if (!location.Hours.TryGetValue(key, out var intervals) || intervals.Count == 0)
        {
            return L(language, $"We're closed {which}.", $"Estamos cerrados {which}.");
        }
        var spans = string.Join(L(language, " and ", " y "), intervals.Select(i =>
            $"{Time(TimeOnly.Parse(i.Open, CultureInfo.InvariantCulture), language)} {L(language, "to", "a")} {(i.Close == "24:00" ? L(language, "midnight", "medianoche") : Time(TimeOnly.Parse(i.Close, CultureInfo.InvariantCulture), language))}"));
        return L(language, $"We're open {which} from {spans}.", $"Abrimos {which} de {spans}.");
    }

    private static HashSet<string> Words(string t) =>
        t.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(w => !StopWords.Contains(w)).Select(w => w.TrimEnd('s')).ToHashSet(StringComparer.Ordinal);
}
