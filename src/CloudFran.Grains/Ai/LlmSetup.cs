using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CloudFran.Grains.Ai;

/// <summary>Where the model-backed engines talk to: any OpenAI-compatible chat-completions endpoint.</summary>
public sealed class LlmOptions
{
    /// <summary>Base URL including the version path, e.g. https://api.openai.com/v1 or an Azure OpenAI v1 endpoint.</summary>
    public string? Endpoint { get; set; }
    public string? ApiKey { get; set; }
    public string Model { get; set; } = "gpt-4o-mini";
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);
    public bool Configured => !string.IsNullOrWhiteSpace(Endpoint) && !string.IsNullOrWhiteSpace(ApiKey);

    /// <summary>A Microsoft.Extensions.AI chat client over the OpenAI wire protocol at <see cref="Endpoint"/>.</summary>
    public IChatClient CreateChatClient()
    {
        var client = new OpenAI.Chat.ChatClient(Model, new System.ClientModel.ApiKeyCredential(ApiKey!),
            new OpenAI.OpenAIClientOptions { Endpoint = new Uri(Endpoint!), NetworkTimeout = Timeout });
        return client.AsIChatClient();
    }
}

public static class LlmSetup
{
    /// <summary>
    /// One model configuration for every engine that can use one (voice receptionist, text intelligence):
    /// CLOUDFRAN_LLM_ENDPOINT (an OpenAI-compatible base URL such as https://api.openai.com/v1) and
    /// CLOUDFRAN_LLM_API_KEY switch it on; CLOUDFRAN_LLM_MODEL and CLOUDFRAN_LLM_TIMEOUT_SECONDS tune it.
    /// Safe to call from several module setups.
    /// </summary>
    public static IServiceCollection AddLlm(this IServiceCollection services, IConfiguration config)
    {
        services.TryAddSingleton(_ =>
        {
            var options = new LlmOptions
            {
                Endpoint = config["CLOUDFRAN_LLM_ENDPOINT"],
                ApiKey = config["CLOUDFRAN_LLM_API_KEY"],
            };
            if (config["CLOUDFRAN_LLM_MODEL"] is { Length: > 0 } model) options.Model = model;
            if (int.TryParse(config["CLOUDFRAN_LLM_TIMEOUT_SECONDS"], out var seconds) && seconds is > 0 and <= 60)
            {
                options.Timeout = TimeSpan.FromSeconds(seconds);
            }
            return options;
        });
        return services;
    }
}
