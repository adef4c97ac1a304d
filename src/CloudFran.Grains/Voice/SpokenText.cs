using System.Globalization;

namespace CloudFran.Grains.Voice;

/// <summary>How the receptionist says dates, times, numbers and fixed phrases in English and Spanish.</summary>
public static class SpokenText
{
    private static readonly string[] EsDays = ["domingo", "lunes", "martes", "miércoles", "jueves", "viernes", "sábado"];
    private static readonly string[] EsMonths = ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"];

    /// <summary>The English or the Spanish text, by the call's language.</summary>
    public static string L(string language, string en, string es) => language == "es" ? es : en;

    /// <summary>"Friday, March 6 at 7:00 PM" / "viernes 6 de marzo a las 19:00"; only the time on <paramref name="sameDayAs"/>.</summary>
    public static string When(DateTimeOffset local, DateOnly? sameDayAs, string language)
    {
        var time = Time(TimeOnly.FromDateTime(local.DateTime), language);
        if (sameDayAs is { } day && DateOnly.FromDateTime(local.DateTime) == day)
        {
            return time;
        }
        return language == "es"
            ? $"{EsDays[(int)local.DayOfWeek]} {local.Day} de {EsMonths[local.Month - 1]} a las {time}"
            : $"{local.ToString("dddd, MMMM d", CultureInfo.InvariantCulture)} at {time}";
    }

    /// <summary>"7:00 PM" / "19:00".</summary>
    public static string Time(TimeOnly time, string language) => language == "es"
        ? time.ToString("H:mm", CultureInfo.InvariantCulture)
        : time.ToString("h:mm tt", CultureInfo.InvariantCulture);

    /// <summary>"on Friday" / "el viernes".</summary>
    public static string OnDay(DayOfWeek day, string language) => language == "es" ? "el " + EsDays[(int)day] : "on " + day;

    /// <summary>The English indefinite article for a noun ("an appointment", "a table").</summary>
    public static string Article(string noun) => "aeiou".Contains(noun[0], StringComparison.Ordinal) ? "an" : "a";

    /// <summary>Keypad answers as words: 0 asks for a person, 1 is yes, 2 is no; a long entry is a phone number.</summary>
    public static string Digits(string digits) => digits switch
    {
        "0" => "speak to a person",
        "1" => "yes",
        "2" => "no",
        _ => digits.Length >= 10 ? digits : $"number {digits}",
    };

    /// <summary>The first one- or two-digit number in an utterance, written or spoken ("four" → 4).</summary>
    public static int? FirstNumber(string text)
    {
        var m = Text.TextPatterns.Match(OfflineConversationEngine.DigitsText(text), @"\b(\d{1,2})\b");
        return m.Success ? int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : null;
    }
}
