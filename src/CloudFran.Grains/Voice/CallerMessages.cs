using System.Text.RegularExpressions;

namespace CloudFran.Grains.Voice;

/// <summary>Messages callers leave for the team: the message inside a request, and the text that notifies the team.</summary>
public static class CallerMessages
{
    /// <summary>At most this many characters of a message are kept.</summary>
    public const int MaxLength = 2000;

    /// <summary>The message in "tell them that …" / "díganle que …", or null when the caller has not said it yet.</summary>
    public static string? Content(string text)
    {
        var m = Text.TextPatterns.Match(text,
            @"\b(?:tell (?:them|him|her|the \w+)|let (?:them|him|her|the \w+) know|message (?:for \w+ )?(?:saying|that)|d[ií]ganle|d[ií]gale|que sepan)\s+(?:that\s+|que\s+)?(?<body>.{3,})$",
            RegexOptions.IgnoreCase);
        return m.Success ? m.Groups["body"].Value.Trim() : null;
    }

    /// <summary>The text sent to the location's notification phone.</summary>
    public static string Notification(string businessName, string? callerName, string callerPhone, string body) =>
        $"New message for {businessName} from {callerName ?? callerPhone} ({callerPhone}): {body}";

    public static string Truncate(string body) => body.Length > MaxLength ? body[..MaxLength] : body;
}
