using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Xml;
using CloudFran.Abstractions.Csv;
using Microsoft.AspNetCore.Http;

namespace CloudFran.Web.Calendar;

/// <summary>The Scheduling Center's output side: field selection and the JSON, XML and CSV renderings of records.</summary>
public static partial class SchedulingCenterApi
{
    private static string Stamp(DateTimeOffset t) => t.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);

    /// <summary>The <c>fields</c> parameter: a JSON object of table name → field names ("*" = all of an association).</summary>
    internal sealed record FieldSelection(bool Filtered, IReadOnlyDictionary<string, string[]> Tables)
    {
        public static readonly FieldSelection All = new(false, new Dictionary<string, string[]>());

        public static FieldSelection Parse(string? raw)
        {
            if (string.IsNullOrWhiteSpace(raw))
            {
                return All;
            }
            var error = CloudFranException.Invalid("fields", "fields must be a JSON object of table name to a list of field names, e.g. {\"appointments\":[\"id\",\"start_datetime\"],\"contacts\":[\"*\"]}.");
            JsonElement root;
            try
            {
                root = JsonDocument.Parse(raw).RootElement;
            }
            catch (JsonException)
            {
                throw error;
            }
            if (root.ValueKind != JsonValueKind.Object) throw error;
            var tables = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase);
            foreach (var table in root.EnumerateObject())
            {
                if (table.Value.ValueKind != JsonValueKind.Array || table.Value.EnumerateArray().Any(f => f.ValueKind != JsonValueKind.String))
                {
                    throw error;
                }
                tables[table.Name] = table.Value.EnumerateArray().Select(f => f.GetString()!).ToArray();
            }
            return new FieldSelection(true, tables);
        }

        /// <summary>Applies the selection to a record; returns the record and the matched fields per table.</summary>
        public (Dictionary<string, object?> Record, Dictionary<string, List<string>> Matched) Apply(Dictionary<string, object?> record)
        {
            var matched = new Dictionary<string, List<string>>();
            if (!Filtered)
            {
                return (record, matched);
            }
            var result = new Dictionary<string, object?>();
            var own = Tables.TryGetValue("appointments", out var wanted) ? wanted : ["*"];
            matched["Appointments"] = [];
            foreach (var field in BaseFields.Where(f => own.Contains("*") || own.Contains(f)))
            {
                result[field] = record[field];
                matched["Appointments"].Add(field);
            }
            foreach (var (node, table, echo, fields) in Associations)
            {
                if (!Tables.TryGetValue(table, out var sub))
                {
                    continue;
                }
                var source = (Dictionary<string, object?>)record[node]!;
                matched[echo] = fields.Where(f => sub.Contains("*") || sub.Contains(f)).ToList();
                result[node] = matched[echo].ToDictionary(f => f, f => source[f]);
            }
            return (result, matched);
        }
    }

    private static IResult Write(HttpContext http, string format, string root, IReadOnlyList<Dictionary<string, object?>> records,
        FieldSelection fields, (long Total, int Page, int Limit)? paging, int status)
    {
        var shaped = new List<Dictionary<string, object?>>();
        Dictionary<string, List<string>> matched = [];
        foreach (var record in records)
        {
            (var r, matched) = fields.Apply(record);
            shaped.Add(r);
        }
        if (fields.Filtered && records.Count == 0)
        {
            matched = fields.Apply(EmptyRecord()).Matched;
        }
        var document = new Dictionary<string, object?>();
        document[root] = root == "appointments" ? shaped : shaped.FirstOrDefault();
        if (paging is { } p)
        {
            document["total"] = p.Total;
            document["page"] = p.Page;
            document["limit"] = p.Limit;
        }
        if (fields.Filtered)
        {
            document["fields"] = matched;
        }
        if (paging is { } h)
        {
            http.Response.Headers["X-Total-Count"] = h.Total.ToString(CultureInfo.InvariantCulture);
        }
        return format switch
        {
            "xml" => TypedResults.Text(Xml(document), "application/xml; charset=utf-8", Encoding.UTF8, status),
            "csv" => TypedResults.Text(Csv(shaped, fields), "text/csv; charset=utf-8", Encoding.UTF8, status),
            _ => TypedResults.Json(document, Output, "application/json; charset=utf-8", status),
        };
    }

    private static Dictionary<string, object?> EmptyRecord()
    {
        var record = BaseFields.ToDictionary(f => f, _ => (object?)null);
        foreach (var (node, _, _, fields) in Associations)
        {
            record[node] = fields.ToDictionary(f => f, _ => (object?)null);
        }
        return record;
    }

    private static string Xml(Dictionary<string, object?> document)
    {
        var output = new StringBuilder();
        using (var xml = XmlWriter.Create(output, new XmlWriterSettings { OmitXmlDeclaration = false, Indent = false }))
        {
            xml.WriteStartElement("response");
            foreach (var (name, value) in document)
            {
                WriteXml(xml, name, value);
            }
            xml.WriteEndElement();
        }
        return output.ToString().Replace("encoding=\"utf-16\"", "encoding=\"utf-8\"", StringComparison.Ordinal);
    }

    private static void WriteXml(XmlWriter xml, string name, object? value)
    {
        xml.WriteStartElement(name);
        switch (value)
        {
            case null:
                break;
            case Dictionary<string, object?> map:
                foreach (var (k, v) in map) WriteXml(xml, k, v);
                break;
            case Dictionary<string, List<string>> lists:
                foreach (var (k, v) in lists) WriteXml(xml, k, v);
                break;
            case List<Dictionary<string, object?>> items:
                foreach (var item in items) WriteXml(xml, name == "appointments" ? "appointment" : "item", item);
                break;
            case List<string> strings:
                foreach (var s in strings) WriteXml(xml, "field", s);
                break;
            default:
                xml.WriteString(Scalar(value));
                break;
        }
        xml.WriteEndElement();
    }

    /// <summary>CSV: one row per appointment; association fields flattened as <c>appointments_type.name</c>.</summary>
    private static string Csv(IReadOnlyList<Dictionary<string, object?>> records, FieldSelection fields)
    {
        var template = records.Count > 0 ? records[0] : fields.Apply(EmptyRecord()).Record;
        var columns = new List<string>();
        foreach (var (key, value) in template)
        {
            if (value is Dictionary<string, object?> nested) columns.AddRange(nested.Keys.Select(k => $"{key}.{k}"));
            else columns.Add(key);
        }
        var rows = records.Select(record => columns.Select(column =>
        {
            var dot = column.IndexOf('.', StringComparison.Ordinal);
            var value = dot < 0 ? record[column] : ((Dictionary<string, object?>)record[column[..dot]]!)[column[(dot + 1)..]];
            return value is string text ? CsvFiles.Guard(text) : Scalar(value);
        }).ToList());
        return CsvFiles.Write(columns, rows, Environment.NewLine);
    }

    private static string Scalar(object? value) => value switch
    {
        null => "",
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
