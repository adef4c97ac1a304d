using System.Globalization;
using System.Text.Json;
using CloudFran.Abstractions.Voice;
using CloudFran.Grains.Ai;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace CloudFran.Grains.Voice;

/// <summary>
/// The LLM engine: one chat-completions request per utterance through Microsoft.Extensions.AI's <see cref="IChatClient"/>,
/// offering the receptionist's tools (check_availability, hold_slot, book_appointment, take_order, take_message,
/// transfer_call). The model's tool call is read as the intent and its arguments as slots; the call grain then does
/// the work itself, so the model can never book or offer a slot the calendar did not return. Without a tool call
/// the model answers JSON {intent, confidence, language, slots}. Any failure falls back to the offline engine.
/// </summary>
public sealed class LlmConversationEngine(IChatClient chat, LlmOptions options, ILogger<LlmConversationEngine> logger)
    : IConversationEngine
{
    private static readonly AITool[] Tools =
    [
        Declare("check_availability", "Look up free times for a reservation or appointment.",
            """{"type":"object","properties":{"date":{"type":"string","description":"yyyy-MM-dd"},"time":{"type":"string","description":"HH:mm 24h"},"partySize":{"type":"integer"},"service":{"type":"string"},"name":{"type":"string"}}}"""),
        Declare("hold_slot", "Hold a slot that check_availability returned while the caller confirms.",
            """{"type":"object","properties":{"date":{"type":"string"},"time":{"type":"string"},"name":{"type":"string"},"partySize":{"type":"integer"}},"required":["date","time"]}"""),
        Declare("book_appointment", "Book the held slot after the caller said yes.",
            """{"type":"object","properties":{"confirmed":{"type":"boolean"}}}"""),
        Declare("take_order", "Record menu items and quantities the caller wants.",
            """{"type":"object","properties":{"items":{"type":"array","items":{"type":"object","properties":{"item":{"type":"string"},"quantity":{"type":"integer"}},"required":["item"]}},"name":{"type":"string"}},"required":["items"]}"""),
        Declare("take_message", "Take a message for the location's staff.",
            """{"type":"object","properties":{"message":{"type":"string"},"name":{"type":"string"}}}"""),
        Declare("transfer_call", "Transfer the caller to a person.", """{"type":"object","properties":{}}"""),
    ];

    private static AIFunctionDeclaration Declare(string name, string description, string schema) =>
        AIFunctionFactory.CreateDeclaration(name, description, JsonDocument.Parse(schema).RootElement);

    public async ValueTask<Understanding> UnderstandAsync(string text, EngineContext context, CancellationToken cancellationToken = default)
    {
        var fallback = OfflineConversationEngine.Understand(text, context);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Timeout);
        try
        {
            var system = $"""
                You are the phone receptionist of a {context.Industry.Replace('_', ' ')} business. Today is {context.Today:yyyy-MM-dd} ({context.Today.DayOfWeek}).
                Services: {string.Join(", ", context.Services)}. Menu: {string.Join(", ", context.Menu.Select(m => m.Name))}.
                The caller's language so far: {context.LanguageHint ?? "en"}. We are waiting for: {context.Expecting ?? "anything"}.
                Call exactly one tool when the caller wants a reservation, an order, to leave a message or to reach a person.
                Otherwise reply only with JSON: {"{"}"intent": one of {string.Join("|", VoiceIntents.All)}, "confidence": 0..1, "language": "en"|"es", "slots": {"{"}{"}"}{"}"}.
                """;
            var response = await chat.GetResponseAsync(
                [new ChatMessage(ChatRole.System, system), new ChatMessage(ChatRole.User, text)],
                new ChatOptions { Tools = Tools, ModelId = options.Model, Temperature = 0 }, timeout.Token);
            var call = response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().FirstOrDefault();
            if (call is not null)
            {
                return FromToolCall(call, fallback, context);
            }
            return FromJson(response.Text, fallback);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning("LLM engine unavailable ({Error}); offline engine answered.", e.GetType().Name);
            return fallback;
        }
    }

    private static Understanding FromToolCall(FunctionCallContent call, Understanding fallback, EngineContext context)
    {
        var intent = call.Name switch
        {
            "check_availability" or "hold_slot" or "book_appointment" => VoiceIntents.MakeReservation,
            "take_order" => VoiceIntents.PlaceOrder,
            "take_message" => VoiceIntents.LeaveMessage,
            "transfer_call" => VoiceIntents.TransferCall,
            _ => fallback.Intent,
        };
        var slots = new Dictionary<string, string>(fallback.Slots, StringComparer.Ordinal);
        foreach (var (name, value) in call.Arguments ?? new Dictionary<string, object?>())
        {
            var s = value switch
            {
                JsonElement { ValueKind: JsonValueKind.String } j => j.GetString(),
                JsonElement { ValueKind: JsonValueKind.Number } j => j.GetRawText(),
                JsonElement { ValueKind: JsonValueKind.Array } j when name == "items" => ItemsText(j, context),
                null => null,
                _ => Convert.ToString(value, CultureInfo.InvariantCulture),
            };
            if (string.IsNullOrWhiteSpace(s)) continue;
            if (name == "date" && !DateOnly.TryParseExact(s, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _)) continue;
            if (name == "time" && !TimeOnly.TryParseExact(s, "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out _)) continue;
            slots[name] = s;
        }
        return new Understanding(intent, 0.9, fallback.Language, slots);
    }

    private static string? ItemsText(JsonElement items, EngineContext context)
    {
        var lines = new List<string>();
        foreach (var entry in items.EnumerateArray())
        {
            var name = entry.TryGetProperty("item", out var i) ? i.GetString() : null;
            var quantity = entry.TryGetProperty("quantity", out var q) && q.TryGetInt32(out var n) ? n : 1;
            var match = context.Menu.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase));
            if (match is not null) lines.Add($"{match.Name} x{quantity}");
        }
        return lines.Count == 0 ? null : string.Join("; ", lines);
    }

    private static Understanding FromJson(string text, Understanding fallback)
    {
        try
        {
            var start = text.IndexOf('{');
            var end = text.LastIndexOf('}');
            if (start < 0 || end <= start) return fallback;
            using var doc = JsonDocument.Parse(text[start..(end + 1)]);
            var root = doc.RootElement;
            var intent = root.TryGetProperty("intent", out var i) && VoiceIntents.All.Contains(i.GetString()) ? i.GetString()! : fallback.Intent;
            var confidence = root.TryGetProperty("confidence", out var c) && c.TryGetDouble(out var cv) ? Math.Clamp(cv, 0, 1) : fallback.Confidence;
            var language = root.TryGetProperty("language", out var l) && l.GetString() is "en" or "es" ? l.GetString()! : fallback.Language;
            var slots = new Dictionary<string, string>(fallback.Slots, StringComparer.Ordinal);
            if (root.TryGetProperty("slots", out var s) && s.ValueKind == JsonValueKind.Object)
            {
                foreach (var p in s.EnumerateObject().Where(p => p.Value.ValueKind is JsonValueKind.String or JsonValueKind.Number))
                {
                    slots[p.Name] = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText();
                }
            }
            return new Understanding(intent, confidence, language, slots);
        }
        catch (JsonException)
        {
            return fallback;
        }
    }
}
