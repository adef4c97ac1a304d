using CloudFran.Abstractions.Voice;

namespace CloudFran.Grains.Voice;

/// <summary>The conversation state of one call; persisted as JSON in <c>voice_calls.state</c> after every turn.</summary>
public sealed class CallState
{
    public string Language { get; set; } = "en";
    public string Intent { get; set; } = VoiceIntents.Unknown;
    public string? Pending { get; set; }
    public Dictionary<string, string> Slots { get; set; } = new(StringComparer.Ordinal);
    public int Turn { get; set; }
    public int Reprompts { get; set; }
    public string? LastPrompt { get; set; }
    public string? HeardText { get; set; }
    public string? HoldId { get; set; }
    public string? HoldProviderId { get; set; }
    public DateTimeOffset? HoldStart { get; set; }
    /// <summary>Seats the hold takes (the caller's party on seated tables; 1 where each table is its own provider).</summary>
    public int HoldPartySize { get; set; } = 1;
    public string? AppointmentId { get; set; }
    public List<OrderLine> Order { get; set; } = [];
    public bool OrderPlaced { get; set; }
    public HashSet<string> Outcomes { get; set; } = [];
    public List<DateTimeOffset> Offered { get; set; } = [];
    public string? OfferedService { get; set; }
    public bool RecordingRequested { get; set; }
}
