using CloudFran.Abstractions.Voice;

namespace CloudFran.Grains.Voice;

/// <summary>See <see cref="IVoiceDashboardGrain"/>. Memory only: subscriptions are renewed every few seconds by every node.</summary>
public sealed class VoiceDashboardGrain(TimeProvider clock) : Grain, IVoiceDashboardGrain
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(15);
    private readonly Dictionary<string, (IVoiceDashboardObserver Observer, DateTimeOffset Until)> _nodes = new(StringComparer.Ordinal);

    public Task SubscribeAsync(string nodeId, IVoiceDashboardObserver observer)
    {
        _nodes[nodeId] = (observer, clock.GetUtcNow() + Lease);
        return Task.CompletedTask;
    }

    public Task UnsubscribeAsync(string nodeId)
    {
        _nodes.Remove(nodeId);
        return Task.CompletedTask;
    }

    public Task PublishAsync(CallEvent callEvent)
    {
        var now = clock.GetUtcNow();
        foreach (var (node, entry) in _nodes.ToList())
        {
            if (entry.Until < now)
            {
                _nodes.Remove(node);
                continue;
            }
            entry.Observer.OnCallEventAsync(callEvent).Ignore();
        }
        return Task.CompletedTask;
    }
}
