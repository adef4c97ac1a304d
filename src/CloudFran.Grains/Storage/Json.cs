using System.Text.Json;

namespace CloudFran.Grains.Storage;

/// <summary>The JSON shape of documents stored in PostgreSQL columns (camelCase, like the API).</summary>
public static class Json
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);
}
