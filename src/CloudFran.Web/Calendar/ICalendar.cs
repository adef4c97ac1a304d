using System.Globalization;
using System.Text;
using CloudFran.Abstractions.Calendar;

namespace CloudFran.Web.Calendar;

/// <summary>RFC 5545 text for an appointment: UTC times, escaped text, lines folded at 75 octets, CRLF endings.</summary>
public static class ICalendar
{
    public static string Event(AppointmentView a) => Calendar([a]);

    /// <summary>A calendar of several appointments (a provider's feed).</summary>
    public static string Calendar(IEnumerable<AppointmentView> appointments)
    {
        var lines = new List<string> { "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//CloudFran//Calendar//EN", "CALSCALE:GREGORIAN", "METHOD:PUBLISH" };
        foreach (var a in appointments)
        {
            AddEvent(lines, a);
        }
        lines.Add("END:VCALENDAR");
        var text = new StringBuilder();
        foreach (var line in lines)
        {
            text.Append(Fold(line)).Append("\r\n");
        }
        return text.ToString();
    }

    private static void AddEvent(List<string> lines, AppointmentView a)
    {
        lines.AddRange(new[]
        {
            "BEGIN:VEVENT",
            $"UID:{a.AppointmentId}@cloudfran",
            $"DTSTAMP:{Utc(a.LastModified)}",
            $"DTSTART:{Utc(a.Start)}",
            $"DTEND:{Utc(a.End)}",
            $"SUMMARY:{Escape(a.ServiceType)}",
            $"STATUS:{(a.Cancelled ? "CANCELLED" : "CONFIRMED")}",
        });
        if (!string.IsNullOrEmpty(a.Notes))
        {
            lines.Add($"DESCRIPTION:{Escape(a.Notes)}");
        }
        lines.Add("END:VEVENT");
    }

    private static string Utc(DateTimeOffset t) => t.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);

    private static string Escape(string s) =>
        s.Replace("\\", "\\\\").Replace(";", "\\;").Replace(",", "\\,").Replace("\r\n", "\\n").Replace("\n", "\\n");

    private static string Fold(string line)
    {
        var bytes = Encoding.UTF8.GetBytes(line);
        if (bytes.Length <= 75)
        {
            return line;
        }
        var result = new StringBuilder();
        var current = new StringBuilder();
        var size = 0;
        foreach (var rune in line.EnumerateRunes())
        {
            var width = rune.Utf8SequenceLength;
            if (size + width > (result.Length == 0 ? 75 : 74))
            {
                result.Append(current).Append("\r\n ");
                current.Clear();
                size = 0;
            }
            current.Append(rune.ToString());
            size += width;
        }
        return result.Append(current).ToString();
    }
}
