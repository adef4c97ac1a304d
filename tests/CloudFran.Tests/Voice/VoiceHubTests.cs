using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using CloudFran.Tests.Infrastructure;
using CloudFran.Tests.Messaging;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Xunit;

namespace CloudFran.Tests.Voice;

/// <summary>The /voicecallhub live dashboard: authenticated connections, tenant groups, per-turn events.</summary>
[Collection(VoiceCollection.Name)]
public sealed class VoiceHubTests(MessagingFactory factory)
{
    private HubConnection Connect(string token, string? tenantId = null) =>
        new HubConnectionBuilder()
            .WithUrl(new Uri(factory.Server.BaseAddress, "/voicecallhub"), o =>
            {
                o.Transports = HttpTransportType.LongPolling;
                o.HttpMessageHandlerFactory = _ => factory.Server.CreateHandler();
                o.AccessTokenProvider = () => Task.FromResult<string?>(token);
                if (tenantId is not null) o.Headers["X-Tenant-Id"] = tenantId;
            })
            .Build();

    private sealed class Recorder
    {
        public ConcurrentQueue<(string Name, JsonElement Data)> Events { get; } = new();

        public void Attach(HubConnection connection)
        {
            foreach (var name in new[] { "CallStarted", "CallUpdated", "CallEnded" })
            {
                connection.On<JsonElement>(name, data => Events.Enqueue((name, data)));
            }
        }

        public async Task<JsonElement> WaitAsync(string name, Func<JsonElement, bool> match) =>
            (await Eventually.That($"a matching {name} on the dashboard (got: {string.Join(", ", Events.Select(e => e.Name))})",
                () => Events.FirstOrDefault(e => e.Name == name && match(e.Data)), hit => hit.Name is not null)).Data;
    }

    [Fact]
    public async Task Dashboard_sees_a_call_start_update_per_turn_and_end_and_other_tenants_see_nothing()
    {
        var location = await VoiceLocation.CreateAsync(factory);
        await using var hub = Connect(location.Tenant.LiveKey, location.Tenant.TenantId);
        var mine = new Recorder();
        mine.Attach(hub);
        await hub.StartAsync();
        await hub.InvokeAsync("JoinTenantGroup", location.Tenant.TenantId);

        var otherLocation = await VoiceLocation.CreateAsync(factory);
        var other = otherLocation.Tenant;
        await using var otherHub = Connect(other.LiveKey, other.TenantId);
        var theirs = new Recorder();
        theirs.Attach(otherHub);
        await otherHub.StartAsync();
        await otherHub.InvokeAsync("JoinTenantGroup", other.TenantId);
        // Joining another tenant's group is refused.
        var refused = await Assert.ThrowsAsync<HubException>(() => otherHub.InvokeAsync("JoinTenantGroup", location.Tenant.TenantId));
        Assert.Contains("own tenant", refused.Message);

        var call = new VoiceCall(factory, location);
        await call.StartAsync();
        var started = await mine.WaitAsync("CallStarted", e => e.GetProperty("callSid").GetString() == call.CallSid);
        Assert.Equal(call.Caller, started.GetProperty("callerPhone").GetString());
        Assert.True(started.TryGetProperty("startedAt", out _));

        await call.SayAsync("Do you have parking?");
        var updated = await mine.WaitAsync("CallUpdated", e => e.GetProperty("callSid").GetString() == call.CallSid && e.GetProperty("turns").GetInt32() == 1);
        Assert.Equal("AskQuestion", updated.GetProperty("intent").GetString());
        Assert.Contains("parking", updated.GetProperty("lastMessage").GetString());
        await call.SayAsync("I want a table for 2 tomorrow at noon");
        await mine.WaitAsync("CallUpdated", e => e.GetProperty("callSid").GetString() == call.CallSid && e.GetProperty("turns").GetInt32() == 2);

        await call.EndAsync(duration: 17);
        var ended = await mine.WaitAsync("CallEnded", e => e.GetProperty("callSid").GetString() == call.CallSid);
        Assert.Equal(17, ended.GetProperty("durationSeconds").GetInt32());
        Assert.Equal("answered", ended.GetProperty("outcome").GetString());

        // A marker call in the other tenant, started after this call ended: once its end reaches their dashboard, any
        // event of this call sent to them (earlier, on the same connection) would have arrived before it.
        var marker = new VoiceCall(factory, otherLocation);
        await marker.StartAsync();
        await marker.EndAsync();
        await theirs.WaitAsync("CallEnded", e => e.GetProperty("callSid").GetString() == marker.CallSid);
        Assert.DoesNotContain(theirs.Events, e => e.Data.GetProperty("callSid").GetString() == call.CallSid);
    }

    [Fact]
    public async Task Connections_need_a_key_or_a_dashboard_token()
    {
        var location = await VoiceLocation.CreateAsync(factory);
        await using var anonymous = Connect("not-a-key");
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await anonymous.StartAsync();
            await anonymous.InvokeAsync<string>("WhoAmI");
        });

        using var client = location.Tenant.Live();
        var token = (await (await client.PostJsonAsync("/v1/voice/dashboard-token", new { })).JsonAsync(HttpStatusCode.OK)).GetProperty("token").GetString()!;
        Assert.StartsWith("dt_", token);
        await using var browser = Connect(token);
        await browser.StartAsync();
        Assert.Equal(location.Tenant.TenantId, await browser.InvokeAsync<string>("WhoAmI"));
        await browser.InvokeAsync("JoinTenantGroup", location.Tenant.TenantId);
        var call = new VoiceCall(factory, location);
        await call.StartAsync();
        var active = await browser.InvokeAsync<JsonElement>("GetActiveCalls");
        Assert.Contains(active.EnumerateArray(), a => a.GetProperty("callSid").GetString() == call.CallSid);

        // The page itself is served without scripts from elsewhere.
        using var anon = factory.CreateClient();
        var page = await anon.GetStringAsync("/app/voice");
        Assert.Contains("/voicecallhub", page);
        Assert.DoesNotContain("<script src", page);
    }
}
