using System.Collections.Concurrent;
using System.Text.RegularExpressions;

namespace CloudFran.Grains.Text;

/// <summary>
/// Built regular expressions, kept per pattern. The language code builds patterns from vocabularies and menus;
/// Regex's own static cache holds only a handful, so without this every utterance would re-parse hundreds of them.
/// Bounded: past the cap a pattern is built and used once.
/// </summary>
public static class TextPatterns
{
    private const int Cap = 20_000;
    private static readonly ConcurrentDictionary<(string, RegexOptions), Regex> Cache = new();

    public static Regex Get(string pattern, RegexOptions options = RegexOptions.None)
    {
        if (Cache.TryGetValue((pattern, options), out var regex)) return regex;
        regex = new Regex(pattern, options | RegexOptions.CultureInvariant);
        if (Cache.Count < Cap) Cache.TryAdd((pattern, options), regex);
        return regex;
    }

    public static bool IsMatch(string input, string pattern, RegexOptions options = RegexOptions.None) => Get(pattern, options).IsMatch(input);

    public static Match Match(string input, string pattern, RegexOptions options = RegexOptions.None) => Get(pattern, options).Match(input);

    public static MatchCollection Matches(string input, string pattern) => Get(pattern).Matches(input);

    public static string Replace(string input, string pattern, string replacement, RegexOptions options = RegexOptions.None) =>
        Get(pattern, options).Replace(input, replacement);
}
