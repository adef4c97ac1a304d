using CloudFran.Abstractions.Errors;
using CloudFran.Abstractions.Inventory;
using CloudFran.Abstractions.Keys;
using CloudFran.Grains.Storage;
using Orleans.Concurrency;

namespace CloudFran.Grains.Inventory;

/// <summary>
/// See <see cref="IInventoryReservationGrain"/>: finds the reservation's item (rows filtered by tenant and env, so
/// another tenant's id is simply not found) and hands the change to that item's grain, the only writer of its stock.
/// </summary>
[StatelessWorker, Reentrant]
public sealed class InventoryReservationGrain(PlatformDb db, IGrainFactory grains) : Grain, IInventoryReservationGrain
{
    private ScopedKey _key;

    private TenantScope Scope => _key.Scope;

    private string ReservationId => _key.Name;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _key = ScopedKey.Parse(this.GetPrimaryKeyString());
        return Task.CompletedTask;
    }

    public async Task<ReservationView> GetAsync() => (await RequireAsync()).View;

    public async Task<ReservationView> ReleaseAsync(string? actor)
    {
        var found = await RequireAsync();
        return await grains.GetInventoryItem(Scope, found.View.ItemId).ReleaseReservationAsync(ReservationId, actor);
    }

    public async Task<ReservationView> FulfillAsync(string? actor)
    {
        var found = await RequireAsync();
        return await grains.GetInventoryItem(Scope, found.View.ItemId).FulfillReservationAsync(ReservationId, actor);
    }

    private async Task<ReservationRecord> RequireAsync() =>
        await ReservationRows.GetAsync(db, Scope, ReservationId) ?? throw CloudFranException.NotFound("Reservation");
}
