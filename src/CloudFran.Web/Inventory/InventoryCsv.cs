using System.Globalization;
using System.Text;
using CloudFran.Abstractions.Errors;
using CloudFran.Abstractions.Csv;
using CloudFran.Abstractions.Inventory;
using CloudFran.Abstractions.Keys;
using CsvHelper;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace CloudFran.Web.Inventory;

/// <summary>
/// CSV import and export of items and one location's stock. The upload is streamed to a temporary file while its
/// size and UTF-8 encoding are checked (so a bad file changes nothing), then read with the shared CSV stack
/// (<see cref="CsvFiles"/>) row by row, checked by <see cref="InventoryCsvRules"/> and applied in batches; every
/// refused row is reported with its line, field and reason. Export writes the same format.
/// </summary>
public static class InventoryCsv
{
    public const long MaxFileBytes = 20L * 1024 * 1024;
    public const int BatchSize = 500;
    public const int MaxReportedErrors = 1000;

    private sealed record Upload(string Path, long Bytes, string? Mode, string? LocationId);

    public static async Task<ImportReport> ImportAsync(HttpContext http, IInventoryDirectoryGrain directory, string? actor)
    {
        if (!MediaTypeHeaderValue.TryParse(http.Request.ContentType, out var type) || !type.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
            || HeaderUtilities.RemoveQuotes(type.Boundary).Length == 0)
        {
            throw new CloudFranException(ErrorKind.UnsupportedFormat, ErrorCodes.InvalidInput, "Send the file as multipart/form-data with a 'file' part.");
        }
        if (http.Request.ContentLength > MaxFileBytes + 64 * 1024)
        {
            throw TooLarge();
        }
        var sizeFeature = http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>();
        if (sizeFeature is { IsReadOnly: false })
        {
            sizeFeature.MaxRequestBodySize = MaxFileBytes + 64 * 1024;
        }
        var upload = await SpoolAsync(http, HeaderUtilities.RemoveQuotes(type.Boundary).ToString());
        try
        {
            var mode = upload.Mode ?? http.Request.Query["mode"].FirstOrDefault() ?? "upsert";
            var locationId = upload.LocationId ?? http.Request.Query["locationId"].FirstOrDefault();
            var check = new Abstractions.Validation.Check().OneOf("mode", mode, InventoryValues.ImportModes);
            if (string.IsNullOrEmpty(locationId)) check.Missing("locationId");
            else if (!Ids.IsValid(locationId, "loc")) check.Invalid("locationId", "locationId must be a location id (loc_…).");
            check.ThrowIfInvalid();
            return await ApplyAsync(upload.Path, mode, locationId!, directory, actor);
        }
        finally
        {
            File.Delete(upload.Path);
        }
    }

    private static CloudFranException TooLarge() =>
        new(ErrorKind.TooLarge, InventoryErrors.FileTooLarge, $"The file exceeds the import limit of {MaxFileBytes / (1024 * 1024)} MB; split it into smaller files.");

    private static CloudFranException BadFile(string message, string field = "file") => InventoryCsvRules.BadFile(message, field);

    /// <summary>Reads the multipart body: form fields, and the file part copied to a temporary file with size and UTF-8 checks.</summary>
    private static async Task<Upload> SpoolAsync(HttpContext http, string boundary)
    {
        var reader = new MultipartReader(boundary, http.Request.Body) { BodyLengthLimit = MaxFileBytes + 64 * 1024 };
        string? path = null, mode = null, locationId = null;
        long bytes = 0;
        try
        {
            MultipartSection? section;
            while ((section = await ReadSectionAsync(reader, http.RequestAborted)) is not null)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
                    || !disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }
                var name = HeaderUtilities.RemoveQuotes(disposition.Name).ToString();
                if (disposition.IsFileDisposition() || name == "file")
                {
                    if (path is not null)
                    {
                        throw BadFile("Send exactly one file.");
                    }
                    path = Path.Combine(Path.GetTempPath(), "cf-import-" + Guid.NewGuid().ToString("N") + ".csv");
                    bytes = await CopyCheckedAsync(section.Body, path, http.RequestAborted);
                }
                else
                {
                    using var sr = new StreamReader(section.Body, Encoding.UTF8);
                    var value = (await sr.ReadToEndAsync(http.RequestAborted)).Trim();
                    if (value.Length > 100) throw CloudFranException.Invalid(name, $"{name} is too long.");
                    if (name == "mode") mode = value;
                    else if (name == "locationId") locationId = value;
                }
            }
        }
        catch (Exception) when (path is not null && File.Exists(path))
        {
            File.Delete(path);
            throw;
        }
        if (path is null)
        {
            throw new CloudFranException(ErrorKind.Invalid, ErrorCodes.MissingField, "The 'file' part is required.", [new FieldError("file", "file is required.")]);
        }
        return new Upload(path, bytes, mode, locationId);
    }

    private static async Task<MultipartSection?> ReadSectionAsync(MultipartReader reader, CancellationToken ct)
    {
        try
        {
            return await reader.ReadNextSectionAsync(ct);
        }
        catch (InvalidDataException e) when (e.Message.Contains("limit", StringComparison.OrdinalIgnoreCase))
        {
            throw TooLarge();
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw TooLarge();
        }
        catch (IOException e)
        {
            throw BadFile($"The multipart body is malformed: {e.Message}");
        }
    }

    private static async Task<long> CopyCheckedAsync(Stream body, string path, CancellationToken ct)
    {
        var decoder = new UTF8Encoding(false, true).GetDecoder();
        var buffer = new byte[64 * 1024];
        var chars = new char[buffer.Length + 4];
        long total = 0;
        var line = 1;
        var first = true;
        await using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 64 * 1024, FileOptions.Asynchronous);
        while (true)
        {
            int read;
            try
            {
                read = await body.ReadAsync(buffer, ct);
            }
            catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                throw TooLarge();
            }
            catch (InvalidDataException)
            {
                throw TooLarge();
            }
            if (read == 0)
            {
                break;
            }
            total += read;
            if (total > MaxFileBytes)
            {
                throw TooLarge();
            }
            var span = buffer.AsSpan(0, read);
            if (first)
            {
                first = false;
                if (span.Length >= 2 && ((span[0] == 0xFF && span[1] == 0xFE) || (span[0] == 0xFE && span[1] == 0xFF)))
                {
                    throw BadFile("The file is UTF-16 encoded; save it as UTF-8 (CSV UTF-8) and upload again.");
                }
            }
            try
            {
                decoder.GetChars(buffer, 0, read, chars, 0, flush: false);
            }
            catch (DecoderFallbackException e)
            {
                var at = Math.Clamp(e.Index, 0, read);
                throw BadFile($"The file is not valid UTF-8 (line {line + span[..at].Count((byte)'\n')}); save it as UTF-8 and upload again.");
            }
            if (span.Contains((byte)0))
            {
                throw BadFile("The file contains NUL bytes; it does not look like a CSV text file.");
            }
            line += span.Count((byte)'\n');
            await file.WriteAsync(buffer.AsMemory(0, read), ct);
        }
        try
        {
            decoder.GetChars([], 0, 0, chars, 0, flush: true);
        }
        catch (DecoderFallbackException)
        {
            throw BadFile($"The file is not valid UTF-8 (it ends inside a character, line {line}).");
        }
        if (total == 0)
        {
            throw BadFile("The file is empty.");
        }
        return total;
    }

    private static async Task<ImportReport> ApplyAsync(string path, string mode, string locationId, IInventoryDirectoryGrain directory, string? actor)
    {
        var importId = Ids.New("imp");
        var errors = new List<ImportRowError>();
        var errorCount = 0;
        void Fail(int line, string field, string message)
        {
            errorCount++;
            if (errors.Count < MaxReportedErrors) errors.Add(new ImportRowError(line, field, message));
        }

        var malformed = new HashSet<long>();
        var options = CsvFiles.ReaderOptions(hasHeader: true, trimWhitespace: true, onMalformed: bad =>
        {
            if (malformed.Add(bad.LineNumber)) Fail((int)bad.LineNumber, "row", $"Malformed CSV ({bad.Reason}): a stray or unbalanced quote.");
        });
        using var stream = new StreamReader(path, new UTF8Encoding(false, true), detectEncodingFromByteOrderMarks: true);
        await using var csv = CsvReader.Create(stream, options, false);
        var hasRow = await csv.ReadAsync();
        if (csv.Headers is not { Count: > 0 })
        {
            throw BadFile("The file has no header row.");
        }
        var header = csv.Headers.ToArray();
        var (index, levelColumns) = InventoryCsvRules.MapHeader(header, mode);

        int rows = 0, created = 0, updated = 0;
        var repeats = new ImportFileRepeats();
        var batch = new List<ImportRow>(BatchSize);
        async Task FlushAsync()
        {
            if (batch.Count == 0) return;
            var result = await directory.ImportBatchAsync(new ImportBatch(importId, mode, locationId, batch.ToList(), actor));
            created += result.Created;
            updated += result.Updated;
            foreach (var e in result.Errors) Fail(e.Line, e.Field, e.Message);
            batch.Clear();
        }

        for (; hasRow; hasRow = await csv.ReadAsync())
        {
            var line = (int)csv.LineNumber;
            var record = new string[csv.FieldCount];
            for (var i = 0; i < record.Length; i++) record[i] = csv.GetString(i) ?? "";
            if (record.All(string.IsNullOrWhiteSpace))
            {
                continue; // blank line
            }
            rows++;
            if (record.Length != header.Length)
            {
                Fail(line, "row", $"Expected {header.Length} fields, found {record.Length}.");
                continue;
            }
            var row = InventoryCsvRules.ParseRow(line, record, index, levelColumns, Fail);
            if (row is null || !repeats.Accept(line, row, Fail))
            {
                continue;
            }
            batch.Add(row);
            if (batch.Count >= BatchSize)
            {
                await FlushAsync();
            }
        }
        await FlushAsync();
        errors.Sort((a, b) => a.Line.CompareTo(b.Line));
        return new ImportReport(importId, mode, locationId, rows, created, updated, errorCount, errors, errorCount > errors.Count);
    }

    /// <summary>Streams items (and their stock at one location, or at every location) as CSV.</summary>
    public static async Task ExportAsync(HttpContext http, IInventoryDirectoryGrain directory, string? locationId)
    {
        http.Response.ContentType = "text/csv; charset=utf-8";
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"inventory{(locationId is null ? "" : "-" + locationId)}.csv\"";
        await using var writer = new StreamWriter(http.Response.Body, new UTF8Encoding(false), 64 * 1024);
        await using var csv = CsvFiles.Writer(writer, "\r\n");
        await csv.WriteRecordAsync(InventoryCsvRules.ExportHeader);
        string? after = null;
        while (true)
        {
            var page = await directory.ExportPageAsync(locationId, after, 1000);
            foreach (var item in page)
            {
                var stocks = item.Locations.Count == 0 ? [null] : item.Locations.Cast<LocationStockView?>().ToList();
                foreach (var s in stocks)
                {
                    await csv.WriteRecordAsync(InventoryCsvRules.ExportRow(item, s));
                }
            }
            await csv.FlushAsync();
            await writer.FlushAsync();
            if (page.Count < 1000) break;
            after = page[^1].ItemId;
        }
    }
}
