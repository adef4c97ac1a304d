using System.Globalization;
using System.Text.RegularExpressions;
using CloudFran.Grains.Text;

namespace CloudFran.Grains.Calendar;

/// <summary>What a natural-language booking request asked for. Null parts were not said.</summary>
public sealed record BookingIntent(DateOnly? Date, TimeOnly? Time, (TimeOnly From, TimeOnly To)? PartOfDay, string? Service,
    int? PartySize = null);

/// <summary>
/// Deterministic understanding of booking requests in English and Spanish ("Haircut next Tuesday at 2pm",
/// "corte mañana a las 3 de la tarde"): relative days, weekdays, dates, 12/24-hour times, "half past", "y media",
/// noon/mediodía and parts of the day. No network, same answer every time; the voice receptionist reuses it.
/// </summary>
public static partial class BookingLanguage
{
    private static readonly (string Word, DayOfWeek Day)[] Weekdays =
    [
        ("monday", DayOfWeek.Monday), ("tuesday", DayOfWeek.Tuesday), ("wednesday", DayOfWeek.Wednesday), ("thursday", DayOfWeek.Thursday),
        ("friday", DayOfWeek.Friday), ("saturday", DayOfWeek.Saturday), ("sunday", DayOfWeek.Sunday),
        ("lunes", DayOfWeek.Monday), ("martes", DayOfWeek.Tuesday), ("miercoles", DayOfWeek.Wednesday), ("jueves", DayOfWeek.Thursday),
        ("viernes", DayOfWeek.Friday), ("sabado", DayOfWeek.Saturday), ("domingo", DayOfWeek.Sunday),
    ];

    private static readonly string[] Months =
        ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"];

    private static readonly string[] Meses =
        ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"];

    public static BookingIntent Parse(string text, DateOnly today, IEnumerable<string> services)
    {
        var t = Normalize(text);
        var service = services.OrderByDescending(s => s.Length)
            .FirstOrDefault(s => TextPatterns.IsMatch(t, $@"\b{Regex.Escape(Normalize(s))}\b"));
        var part = PartOfDay(t);
        return new BookingIntent(ParseDate(t, today), ParseTime(t, part), part, service, PartySizeOf(t));
    }

    private static readonly Dictionary<string, int> SmallNumbers = new(StringComparer.Ordinal)
    {
        ["one"] = 1, ["two"] = 2, ["three"] = 3, ["four"] = 4, ["five"] = 5, ["six"] = 6, ["seven"] = 7, ["eight"] = 8, ["nine"] = 9,
        ["ten"] = 10, ["eleven"] = 11, ["twelve"] = 12, ["uno"] = 1, ["una"] = 1, ["dos"] = 2, ["tres"] = 3, ["cuatro"] = 4, ["cinco"] = 5,
        ["seis"] = 6, ["siete"] = 7, ["ocho"] = 8, ["nueve"] = 9, ["diez"] = 10, ["once"] = 11, ["doce"] = 12,
    };

    /// <summary>
    /// The party size said in normalized text ("table for four", "party of 6", "mesa para 4", "somos seis",
    /// "5 people", "tres personas"), 1–50, or null. A number followed by a time cue ("for 7 pm") is a time, not a party.
    /// </summary>
    public static int? PartySizeOf(string normalized)
    {
        var m = PartyCue().Match(normalized);
        if (!m.Success) m = PeopleCount().Match(normalized);
        if (!m.Success) return null;
        var n = m.Groups["n"].Value;
        var size = int.TryParse(n, NumberStyles.None, CultureInfo.InvariantCulture, out var d) ? d : SmallNumbers.GetValueOrDefault(n);
        return size is >= 1 and <= 50 ? size : null;
    }

    private const string CountWord = @"(?<n>\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|uno|una|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez|once|doce)";

    [GeneratedRegex(@"\b(?:for|party of|table for|para|mesa para|somos)\s+" + CountWord + @"\b(?!\s*(?::|am\b|pm\b|a\.m|p\.m|o ?clock|de la|en punto|y media|y cuarto))")]
    private static partial Regex PartyCue();

    [GeneratedRegex(@"\b" + CountWord + @"\s+(?:people|persons|guests|adults|of us|personas|adultos)\b")]
    private static partial Regex PeopleCount();

    private static DateOnly? ParseDate(string t, DateOnly today)
    {
        if (TextPatterns.IsMatch(t, @"\bpasado manana\b") || t.Contains("day after tomorrow", StringComparison.Ordinal)) return today.AddDays(2);
        if (TextPatterns.IsMatch(t, @"\b(tomorrow|manana)\b") && !TextPatterns.IsMatch(t, @"\b(por|de|en) la manana\b")) return today.AddDays(1);
        if (TextPatterns.IsMatch(t, @"\b(today|hoy|tonight|esta noche)\b")) return today;
        if (IsoDate().Match(t) is { Success: true } iso
            && DateOnly.TryParseExact(iso.Value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var isoDate))
        {
            return isoDate;
        }
        for (var m = 0; m < 12; m++)
        {
            var en = TextPatterns.Match(t, $@"\b{Months[m]} (\d{{1,2}})(st|nd|rd|th)?\b");
            var es = TextPatterns.Match(t, $@"\b(\d{{1,2}}) de {Meses[m]}\b");
            var dayNumber = en.Success ? int.Parse(en.Groups[1].Value, CultureInfo.InvariantCulture)
                : es.Success ? int.Parse(es.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
            if (dayNumber is >= 1 and <= 31 && dayNumber <= DateTime.DaysInMonth(today.Year, m + 1))
            {
                var date = new DateOnly(today.Year, m + 1, dayNumber);
                return date < today ? date.AddYears(1) : date;
            }
        }
        if (UsDate().Match(t) is { Success: true } us)
        {
            var month = int.Parse(us.Groups[1].Value, CultureInfo.InvariantCulture);
            var day = int.Parse(us.Groups[2].Value, CultureInfo.InvariantCulture);
            if (month is >= 1 and <= 12 && day >= 1 && day <= DateTime.DaysInMonth(today.Year, month))
            {
                var date = new DateOnly(today.Year, month, day);
                return date < today ? date.AddYears(1) : date;
            }
        }
        foreach (var (word, dayOfWeek) in Weekdays)
        {
            if (!TextPatterns.IsMatch(t, $@"\b{word}\b"))
            {
                continue;
            }
            var ahead = ((int)dayOfWeek - (int)today.DayOfWeek + 7) % 7;
            // "tuesday", "next tuesday", "el próximo martes", "martes que viene": the coming one, never today.
            if (ahead == 0)
            {
                ahead = 7;
            }
            return today.AddDays(ahead);
        }
        return null;
    }

    private static TimeOnly? ParseTime(string t, (TimeOnly From, TimeOnly To)? part)
    {
        if (TextPatterns.IsMatch(t, @"\b(noon|mediodia)\b")) return new TimeOnly(12, 0);
        if (HalfPast().Match(t) is { Success: true } half)
        {
            return Clock(int.Parse(half.Groups[1].Value, CultureInfo.InvariantCulture), 30, null, part);
        }
        if (TwentyFour().Match(t) is { Success: true } hm)
        {
            var hour = int.Parse(hm.Groups[1].Value, CultureInfo.InvariantCulture);
            var minute = int.Parse(hm.Groups[2].Value, CultureInfo.InvariantCulture);
            var suffix = hm.Groups[3].Success ? hm.Groups[3].Value : null;
            return hour <= 23 && minute <= 59 ? Clock(hour, minute, suffix, part) : null;
        }
        if (Meridiem().Match(t) is { Success: true } pm)
        {
            return Clock(int.Parse(pm.Groups[1].Value, CultureInfo.InvariantCulture), 0, pm.Groups[2].Value, part);
        }
        if (AtHour().Match(t) is { Success: true } at)
        {
            var minute = at.Groups[2].Success ? 30 : 0;
            return Clock(int.Parse(at.Groups[1].Value, CultureInfo.InvariantCulture), minute, null, part);
        }
        return null;
    }

    /// <summary>12-hour readings: explicit am/pm wins, then the part of day, then business sense (1–7 → afternoon).</summary>
    private static TimeOnly? Clock(int hour, int minute, string? suffix, (TimeOnly From, TimeOnly To)? part)
    {
        if (hour is < 0 or > 23)
        {
            return null;
        }
        if (suffix is "pm" or "p.m." && hour < 12) hour += 12;
        else if (suffix is "am" or "a.m." && hour == 12) hour = 0;
        else if (suffix is null && hour < 12 && hour > 0)
        {
            if (part is { } p && p.From.Hour >= 12) hour += 12;
            else if (part is null && hour <= 7) hour += 12;
        }
        return hour <= 23 ? new TimeOnly(hour, minute) : null;
    }

    private static (TimeOnly, TimeOnly)? PartOfDay(string t) =>
        TextPatterns.IsMatch(t, @"\b(morning|(por|de|en) la manana)\b") ? (new TimeOnly(8, 0), new TimeOnly(12, 0))
        : TextPatterns.IsMatch(t, @"\b(afternoon|(por|de|en) la tarde)\b") ? (new TimeOnly(12, 0), new TimeOnly(17, 0))
        : TextPatterns.IsMatch(t, @"\b(evening|tonight|(por|de|en) la noche|esta noche)\b") ? (new TimeOnly(17, 0), new TimeOnly(22, 0))
        : null;

    /// <summary>Lower case, accents removed, punctuation other than ':' '/' '-' '.' turned into spaces.</summary>
    public static string Normalize(string text)
    {
        var decomposed = text.ToLowerInvariant().Normalize(System.Text.NormalizationForm.FormD);
        var chars = decomposed.Where(c => CharUnicodeInfo.GetUnicodeCategory(c) != UnicodeCategory.NonSpacingMark)
            .Select(c => char.IsLetterOrDigit(c) || c is ':' or '/' or '-' or '.' ? c : ' ');
        return TextPatterns.Replace(new string(chars.ToArray()), @"\s+", " ").Trim();
    }

    [GeneratedRegex(@"\b(\d{4}-\d{2}-\d{2})\b")] private static partial Regex IsoDate();
    [GeneratedRegex(@"\b(\d{1,2})/(\d{1,2})\b")] private static partial Regex UsDate();
    [GeneratedRegex(@"\bhalf past (\d{1,2})\b")] private static partial Regex HalfPast();
    [GeneratedRegex(@"\b(\d{1,2}):(\d{2}) ?(am|pm|a\.m\.|p\.m\.)?")] private static partial Regex TwentyFour();
    [GeneratedRegex(@"\b(\d{1,2}) ?(am|pm|a\.m\.|p\.m\.)")] private static partial Regex Meridiem();
    [GeneratedRegex(@"\b(?:at|a las|a la) (\d{1,2})( y media)?\b")] private static partial Regex AtHour();
}
