namespace CloudFran.Grains.Messaging;

/// <summary>Wakes this node's SMS dispatcher when a message was queued here (no wait for the next poll).</summary>
public sealed class SmsDispatchSignal : Background.WakeSignal;
