using System.Collections.Concurrent;
using CloudFran.Abstractions.Platform;
using CloudFran.Abstractions.Voice;
using CloudFran.Web.Infrastructure.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CloudFran.Web.Voice;

/// <summary>
/// <c>/voicecallhub</c>: live call monitoring. A connection authenticates with a dashboard token or an API key
/// (<see cref="AuthSchemes.DashboardToken"/>: <c>access_token</c> query parameter or <c>Authorization: Bearer</c>;
/// without one, negotiate and connect answer 401); it may join only its own tenant's group.
/// Server events: CallStarted, CallUpdated, CallEnded.
/// </summary>
[Authorize(AuthenticationSchemes = AuthSchemes.DashboardToken)]
public sealed class VoiceCallHub(IGrainFactory grains, VoiceDashboardRelay relay) : Hub
{
    public const string Path = "/voicecallhub";
    private const string ScopeItem = "scope";

    public static string GroupName(TenantScope scope) => $"voice:{scope}";

    public override async Task OnConnectedAsync()
    {
        Context.Items[ScopeItem] = CloudFranClaims.ScopeOf(Context.User!)
            ?? throw new HubException("Unauthorized: connect with an API key or a dashboard token (access_token).");
        await base.OnConnectedAsync();
    }

    /// <summary>Subscribe to the caller's tenant's call events; any other tenant is refused.</summary>
    public async Task JoinTenantGroup(string tenantId)
    {
        var scope = (TenantScope)Context.Items[ScopeItem]!;
        if (!string.Equals(tenantId, scope.TenantId, StringComparison.Ordinal))
        {
            throw new HubException("Forbidden: a connection may only join its own tenant's group.");
        }
        await Groups.AddToGroupAsync(Context.ConnectionId, GroupName(scope));
        await relay.WatchAsync(scope, Context.ConnectionId);
    }

    /// <summary>The tenant this connection authenticated as (the dashboard page joins its group with it).</summary>
    public string WhoAmI() => ((TenantScope)Context.Items[ScopeItem]!).TenantId;

    public Task<IReadOnlyList<ActiveCall>> GetActiveCalls() =>
        grains.GetVoiceAccount((TenantScope)Context.Items[ScopeItem]!).ActiveCallsAsync();

    /// <summary>The call log for the dashboard: outcome, from, to (ISO 8601, optional), page (50 per page).</summary>
    public Task<PagedList<CallView>> GetCalls(string? outcome, DateTimeOffset? from, DateTimeOffset? to, int page)
    {
        if (outcome is not null && !VoiceOutcomes.All.Contains(outcome)) throw new HubException("Unknown outcome.");
        return grains.GetVoiceAccount((TenantScope)Context.Items[ScopeItem]!).ListCallsAsync(new CallQuery(from, to, outcome, Math.Clamp(page, 1, 100_000), 50));
    }

    public async Task LeaveTenantGroup(string tenantId)
    {
        var scope = (TenantScope)Context.Items[ScopeItem]!;
        if (string.Equals(tenantId, scope.TenantId, StringComparison.Ordinal))
        {
            await Groups.RemoveFromGroupAsync(Context.ConnectionId, GroupName(scope));
            relay.Unwatch(scope, Context.ConnectionId);
        }
    }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        if (Context.Items.TryGetValue(ScopeItem, out var s) && s is TenantScope scope)
        {
            relay.Unwatch(scope, Context.ConnectionId);
        }
        return base.OnDisconnectedAsync(exception);
    }
}

/// <summary>
/// This node's end of the dashboard fan-out: one grain observer that forwards call events into the hub's groups,
/// subscribed to the dashboard grain of every tenant partition that has a connection on this node, and renewed
/// every 5 s so that a node that dies simply stops being renewed.
/// </summary>
public sealed partial class VoiceDashboardRelay(IGrainFactory grains, IHubContext<VoiceCallHub> hub, ILogger<VoiceDashboardRelay> logger)
    : BackgroundService, IVoiceDashboardObserver
{
    private readonly string _nodeId = Guid.NewGuid().ToString("N");
    private readonly ConcurrentDictionary<TenantScope, ConcurrentDictionary<string, byte>> _watched = new();
    private IVoiceDashboardObserver? _reference;

    private IVoiceDashboardObserver Reference => _reference ??= grains.CreateObjectReference<IVoiceDashboardObserver>(this);

    public Task OnCallEventAsync(CallEvent e)
    {
        var group = hub.Clients.Group(VoiceCallHub.GroupName(e.Scope));
        return e.Name switch
        {
            "CallStarted" => group.SendAsync("CallStarted", new { callSid = e.CallSid, callerPhone = e.CallerPhone, intent = e.Intent, turns = e.Turns, startedAt = e.StartedAt, emittedAt = e.EmittedAt }),
            "CallEnded" => group.SendAsync("CallEnded", new { callSid = e.CallSid, outcome = e.Outcome, durationSeconds = e.DurationSeconds, turns = e.Turns, emittedAt = e.EmittedAt }),
            _ => group.SendAsync("CallUpdated", new { callSid = e.CallSid, intent = e.Intent, turns = e.Turns, durationSeconds = e.DurationSeconds, lastMessage = e.LastMessage, emittedAt = e.EmittedAt }),
        };
    }

    public async Task WatchAsync(TenantScope scope, string connectionId)
    {
        var connections = _watched.GetOrAdd(scope, _ => new ConcurrentDictionary<string, byte>());
        var first = connections.IsEmpty;
        connections[connectionId] = 0;
        if (first)
        {
            await grains.GetVoiceDashboard(scope).SubscribeAsync(_nodeId, Reference);
        }
    }

    public void Unwatch(TenantScope scope, string connectionId)
    {
        if (_watched.TryGetValue(scope, out var connections))
        {
            connections.TryRemove(connectionId, out _);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(5));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            foreach (var (scope, connections) in _watched)
            {
                try
                {
                    if (connections.IsEmpty)
                    {
                        _watched.TryRemove(scope, out _);
                        await grains.GetVoiceDashboard(scope).UnsubscribeAsync(_nodeId);
                    }
                    else
                    {
                        await grains.GetVoiceDashboard(scope).SubscribeAsync(_nodeId, Reference);
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogRenewFailed(logger, scope.ToString(), e.Message);
                }
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dashboard subscription renewal for {Scope} failed: {Error}")]
    private static partial void LogRenewFailed(ILogger logger, string scope, string error);
}
