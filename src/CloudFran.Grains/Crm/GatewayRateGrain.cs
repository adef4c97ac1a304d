using CloudFran.Abstractions.Crm;
using Microsoft.Extensions.DependencyInjection;

namespace CloudFran.Grains.Crm;

/// <summary>See <see cref="IGatewayRateGrain"/>: counted in one activation, so exact across nodes.</summary>
public sealed class GatewayRateGrain([FromKeyedServices(CrmClock.Key)] TimeProvider clock) : Grain, IGatewayRateGrain
{
    private long _minute = -1;
    private int _count;

    public Task<GatewayRateDecision> HitAsync(int limit)
    {
        var now = clock.GetUtcNow().ToUnixTimeSeconds();
        var minute = now / 60;
        if (minute != _minute)
        {
            _minute = minute;
            _count = 0;
        }
        var reset = (minute + 1) * 60;
        if (_count >= limit)
        {
            return Task.FromResult(new GatewayRateDecision(false, limit, 0, reset));
        }
        _count++;
        return Task.FromResult(new GatewayRateDecision(true, limit, limit - _count, reset));
    }
}
