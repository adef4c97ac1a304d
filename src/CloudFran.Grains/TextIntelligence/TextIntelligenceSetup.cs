using CloudFran.Abstractions.TextIntelligence;
using CloudFran.Grains.Ai;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CloudFran.Grains.TextIntelligence;

public static class TextIntelligenceSetup
{
    /// <summary>The text-intelligence engine: the model when one is configured, else the lexicon.</summary>
    public static IServiceCollection AddTextIntelligence(this IServiceCollection services, IConfiguration config)
    {
        services.AddLlm(config);
        services.AddSingleton<LexiconTextIntelligence>();
        services.AddSingleton<ITextIntelligence>(sp => sp.GetRequiredService<LlmOptions>() is { Configured: true } llm
            ? new LlmTextIntelligence(llm.CreateChatClient(), llm, sp.GetRequiredService<LexiconTextIntelligence>(),
                sp.GetRequiredService<ILogger<LlmTextIntelligence>>())
            : sp.GetRequiredService<LexiconTextIntelligence>());
        return services;
    }
}
