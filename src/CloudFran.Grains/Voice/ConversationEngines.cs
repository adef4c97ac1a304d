using CloudFran.Grains.Ai;
using Microsoft.Extensions.Logging;

namespace CloudFran.Grains.Voice;

/// <summary>Picks the tenant's engine: "llm" when an endpoint is configured, the offline engine otherwise.</summary>
public sealed class ConversationEngines(OfflineConversationEngine offline, LlmOptions options, ILoggerFactory loggers)
{
    private readonly Lazy<LlmConversationEngine> _llm = new(() =>
        new LlmConversationEngine(options.CreateChatClient(), options, loggers.CreateLogger<LlmConversationEngine>()));

    public bool LlmConfigured => options.Configured;

    public IConversationEngine For(string engine) => engine == "llm" && options.Configured ? _llm.Value : offline;
}
