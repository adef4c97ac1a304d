using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CloudFran.Grains.Voice;

public static class VoiceSetup
{
    /// <summary>
    /// The receptionist's engines. The LLM engine is available when CLOUDFRAN_LLM_ENDPOINT (an OpenAI-compatible
    /// base URL such as https://api.openai.com/v1) and CLOUDFRAN_LLM_API_KEY are set; CLOUDFRAN_LLM_MODEL picks the model.
    /// </summary>
    public static IServiceCollection AddVoice(this IServiceCollection services, IConfiguration config)
    {
        var options = new LlmOptions
        {
            Endpoint = config["CLOUDFRAN_LLM_ENDPOINT"],
            ApiKey = config["CLOUDFRAN_LLM_API_KEY"],
        };
        if (config["CLOUDFRAN_LLM_MODEL"] is { Length: > 0 } model) options.Model = model;
        if (int.TryParse(config["CLOUDFRAN_LLM_TIMEOUT_SECONDS"], out var seconds) && seconds is > 0 and <= 60) options.Timeout = TimeSpan.FromSeconds(seconds);
        services.AddSingleton(options);
        services.AddSingleton<OfflineConversationEngine>();
        services.AddSingleton<ConversationEngines>();
        return services;
    }
}
