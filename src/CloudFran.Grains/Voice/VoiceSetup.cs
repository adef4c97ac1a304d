using CloudFran.Grains.Ai;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CloudFran.Grains.Voice;

public static class VoiceSetup
{
    /// <summary>The receptionist's engines: the offline one, and the LLM one when a model is configured (<see cref="LlmSetup"/>).</summary>
    public static IServiceCollection AddVoice(this IServiceCollection services, IConfiguration config)
    {
        services.AddLlm(config);
        services.AddSingleton<OfflineConversationEngine>();
        services.AddSingleton<ConversationEngines>();
        return services;
    }
}
