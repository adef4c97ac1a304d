using CsvHelper;

namespace CloudFran.Abstractions.Csv;

/// <summary>
/// The one CSV stack (CsvHelper) every import and export uses, configured alike: comma separated (never guessed,
/// no <c>sep=</c> hint), RFC 4180 quoting, blank lines skipped, line numbers tracked; and the one guard against
/// formula injection for every text cell an export writes.
/// </summary>
public static class CsvFiles
{
    /// <summary>
    /// Options for reading an upload. With <paramref name="onMalformed"/> records with broken quoting are skipped
    /// and reported to it; without, they are recovered (<c>"ab"c</c> reads as <c>abc</c>, a stray quote is text).
    /// </summary>
    public static CsvReaderOptions ReaderOptions(bool hasHeader, bool trimWhitespace, Action<CsvMalformedRecord>? onMalformed = null) => new()
    {
        HasHeader = hasHeader,
        TrimWhitespace = trimWhitespace,
        TrackLineNumbers = true,
        SkipEmptyLines = true,
        DetectSeparatorHint = false,
        Separator = ',',
        MalformedData = onMalformed is null ? CsvMalformedDataHandling.Recover : CsvMalformedDataHandling.Skip,
        OnMalformedRecord = onMalformed is null ? null : bad => onMalformed(bad),
    };

    /// <summary>Every record of a CSV text, header included, as written (no trimming); blank lines are not records.</summary>
    public static List<List<string>> ReadAll(string text)
    {
        var rows = new List<List<string>>();
        using var csv = CsvReader.FromText(text, ReaderOptions(hasHeader: false, trimWhitespace: false));
        while (csv.Read())
        {
            var row = new List<string>(csv.FieldCount);
            for (var i = 0; i < csv.FieldCount; i++) row.Add(csv.GetString(i) ?? "");
            if (row is not [""])
            {
                rows.Add(row);
            }
        }
        return rows;
    }

    /// <summary>A writer with RFC 4180 quoting and the given line ending; the caller guards text cells with <see cref="Guard"/>.</summary>
    public static CsvWriter Writer(TextWriter text, string newLine) =>
        CsvWriter.Create(text, new CsvWriterOptions { NewLine = newLine, Injection = CsvInjection.None }, true);

    /// <summary>A whole CSV document: the header, then one record per row (cells written as given).</summary>
    public static string Write(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows, string newLine)
    {
        using var text = new StringWriter(System.Globalization.CultureInfo.InvariantCulture);
        using (var csv = Writer(text, newLine))
        {
            csv.WriteRecord(header.ToArray());
            foreach (var row in rows)
            {
                csv.WriteRecord(row.ToArray());
            }
            csv.Flush();
        }
        return text.ToString();
    }

    /// <summary>
    /// The formula-injection guard: a text cell a spreadsheet would run as a formula (it starts with <c>=</c>,
    /// <c>+</c>, <c>-</c>, <c>@</c>, tab or CR) gets a leading apostrophe, which spreadsheets show as text.
    /// Apply it to text that came from users, not to numbers the export formats itself.
    /// </summary>
    public static string Guard(string value) =>
        value.Length > 0 && value[0] is '=' or '+' or '-' or '@' or '\t' or '\r' ? "'" + value : value;
}
