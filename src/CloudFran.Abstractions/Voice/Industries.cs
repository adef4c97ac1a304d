namespace CloudFran.Abstractions.Voice;

/// <summary>
/// The industries the receptionist has a vocabulary for (the <c>industry</c> of settings and of the understand
/// endpoint). The vocabularies themselves live with the engine; a test keeps this list equal to their keys.
/// </summary>
public static class Industries
{
    public static IReadOnlyList<string> Names { get; } =
        ["restaurant", "cafe", "salon", "spa", "home_services", "fitness", "auto_service"];
}
