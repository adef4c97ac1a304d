using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace CloudFran.Abstractions.Keys;

/// <summary>
/// Object identifiers: a short type prefix, an underscore and 16 lowercase base-36 characters
/// (e.g. <c>loc_k3j9d0a8x2mq7h1c</c>). The prefix and underscore make every id impossible to read as a
/// number, a GUID or hexadecimal, which keeps the ADO.NET grain storage from folding two keys onto one row.
/// </summary>
public static partial class Ids
{
    private const string Alphabet = "0123456789abcdefghijklmnopqrstuvwxyz";

    public static string New(string prefix, int length = 16)
    {
        Span<char> chars = stackalloc char[length];
        for (var i = 0; i < length; i++)
        {
            chars[i] = Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)];
        }
        return prefix + "_" + new string(chars);
    }

    /// <summary>True when <paramref name="id"/> is <c>{prefix}_</c> followed by 4–40 characters [a-z0-9].</summary>
    public static bool IsValid(string? id, string prefix) =>
        id is not null && id.Length > prefix.Length + 1 && id.StartsWith(prefix + "_", StringComparison.Ordinal)
        && IdBody().IsMatch(id.AsSpan(prefix.Length + 1));

    [GeneratedRegex("^[a-z0-9]{4,40}$")]
    private static partial Regex IdBody();
}
