using CloudFran.Abstractions.Voice;

namespace CloudFran.Grains.Voice;

/// <summary>Handing a caller to a person: how the number is dialled and what a dial's outcome means.</summary>
public static class CallTransfer
{
    /// <summary>How long the transfer number rings before the caller comes back to the receptionist.</summary>
    public const int RingSeconds = 20;

    /// <summary>Rings <paramref name="number"/>, showing the business's own number (the one the caller dialled).</summary>
    public static CallDial Dial(string number, string calledNumber) => new(number, RingSeconds, calledNumber);

    /// <summary>Whether Twilio's DialCallStatus means a person took the call.</summary>
    public static bool Connected(string dialCallStatus) => dialCallStatus is "completed" or "answered";
}
