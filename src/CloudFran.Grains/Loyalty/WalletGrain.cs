using System.Text.Json;
using CloudFran.Abstractions.Errors;
using CloudFran.Abstractions.Keys;
using CloudFran.Abstractions.Loyalty;
using CloudFran.Grains.Storage;
using Microsoft.Extensions.Logging;
using Npgsql;
using Orleans.Concurrency;

namespace CloudFran.Grains.Loyalty;

/// <summary>
/// See <see cref="IWalletGrain"/>: the surface, the cached member row and its writes. The rules live beside it
/// (<see cref="EarnRules"/>, <see cref="EarnBatch"/>, <see cref="WalletLoadRules"/>, <see cref="WalletRefundRules"/>),
/// the SQL in <see cref="WalletRows"/>, <see cref="WalletLoads"/> and <see cref="WalletRefunds"/>, the operations in
/// <see cref="WalletPoints"/> and <see cref="WalletMoney"/> (loads, refunds, disputes). The grain is reentrant only so that earns arriving
/// while a write is in flight queue up and commit together (group commit), and so a Stripe charge does not hold the
/// member: every operation that reads and writes the balance runs alone behind <see cref="Serial{T}"/>, so a balance
/// check and the write that depends on it never interleave. The grain never awaits another wallet, so transfers in
/// opposite directions cannot deadlock.
/// </summary>
[Reentrant]
public sealed partial class WalletGrain(PlatformDb db, TimeProvider clock, ILogger<WalletGrain> logger, StripePayments stripe) : Grain, IWalletGrain
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly List<(EarnRequest Request, TaskCompletionSource<LedgerEntryView> Done)> _earns = [];
    private bool _flushing;
    private WalletState? _state;
    private WalletPoints _points = null!;
    private WalletMoney _money = null!;

    internal TenantScope Scope { get; private set; }
    internal string MemberId { get; private set; } = "";

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var key = ScopedKey.Parse(this.GetPrimaryKeyString());
        (Scope, MemberId) = (key.Scope, key.Name);
        _points = new WalletPoints(this, db, clock);
        _money = new WalletMoney(this, db, clock, stripe, logger);
        return Task.CompletedTask;
    }

    // ------------------------------------------------------------------ state and the one-writer gate

    internal async Task<WalletState> StateAsync()
    {
        if (_state is not null)
        {
            return _state;
        }
        if (!Ids.IsValid(MemberId, "mem"))
        {
            throw CloudFranException.NotFound("Member");
        }
        _state = await WalletRows.ReadAsync(db, Scope, MemberId);
        return _state ?? throw CloudFranException.NotFound("Member");
    }

    /// <summary>The member row was written outside <see cref="WriteAsync"/> (settings): the cached copy becomes <paramref name="next"/>.</summary>
    internal void Saved(WalletState? next) => _state = next;

    internal async Task<T> Serial<T>(Func<Task<T>> body)
    {
        await _gate.WaitAsync();
        try
        {
            return await body();
        }
        finally
        {
            _gate.Release();
        }
    }

    internal Task<LoyaltyProgram> ProgramAsync() => GrainFactory.GetLoyaltyProgram(Scope).GetAsync();

    internal IWalletGrain Self => this.AsReference<IWalletGrain>();

    internal IGrainFactory Grains => GrainFactory;

    public Task ReloadAsync()
    {
        _state = null;
        return Task.CompletedTask;
    }

    // ------------------------------------------------------------------ surface

    public Task<MemberView> GetAsync() => Serial(async () =>
    {
        await ExpireAsync(await ProgramAsync());
        var s = await StateAsync();
        return new MemberView(MemberId, s.Name, s.Phone, s.Email, s.LocationId, s.Points, s.Lifetime, s.Tier, s.Wallet, s.Streak, s.Badges,
            s.Checkins, s.ReloadThreshold is { } th && s.ReloadAmount is { } amt ? new AutoReloadView(th, amt, s.PaymentMethod) : null,
            s.CreatedAt, s.LastActivity, s.ReferredBy);
    });

    public Task<LedgerEntryView> AwardReferralAsync(string referralId, long points) => Serial(() => _points.AwardReferralAsync(referralId, points));
    public Task<LedgerEntryView> RedeemAsync(RedeemRequest request) => Serial(() => _points.RedeemAsync(request));
    public Task<LedgerEntryView> RefundPointsAsync(PointsRefundRequest request) => Serial(() => _points.RefundAsync(request));
    public Task<CheckinView> CheckInAsync(string locationId, string idempotencyKey) => Serial(() => _points.CheckInAsync(locationId, idempotencyKey));
    public Task ExpireIfDueAsync() => Serial(async () => { await ExpireAsync(await ProgramAsync()); return true; });
    public Task<LedgerEntryView> SpendAsync(WalletSpendRequest request) => Serial(() => _money.SpendAsync(request));
    public Task<LedgerEntryView> TransferOutAsync(string transferId, string counterparty, long points, decimal amount, string key) =>
        Serial(() => _money.TransferOutAsync(transferId, counterparty, points, amount, key));
    public Task<LedgerEntryView> TransferInAsync(string transferId, string counterparty, long points, decimal amount, string key, string kind) =>
        Serial(() => _money.TransferInAsync(transferId, counterparty, points, amount, key, kind));
    public Task<WalletLoadView> LoadAsync(string loadId, WalletLoadRequest request) => _money.LoadAsync(loadId, request);
    public Task<WalletLoadView> ProcessLoadAsync(string loadId) => _money.ProcessLoadAsync(loadId);
    public Task<WalletLoadView> ApplyPaymentEventAsync(string loadId, string paymentIntentId, string status, long amountCents, string? failureCode) =>
        Serial(() => _money.ApplyPaymentEventAsync(loadId, paymentIntentId, status, amountCents, failureCode));
    public Task<WalletRefundView> RefundLoadAsync(WalletRefundRequest request) => Serial(() => _money.RefundLoadAsync(request));
    public Task<WalletRefundView?> ApplyStripeAdjustmentAsync(StripeAdjustment adjustment) => Serial(() => _money.ApplyStripeAdjustmentAsync(adjustment));

    // ------------------------------------------------------------------ earns: group commit

    public async Task<LedgerEntryView> EarnAsync(EarnRequest request)
    {
        var done = new TaskCompletionSource<LedgerEntryView>(TaskCreationOptions.RunContinuationsAsynchronously);
        _earns.Add((request, done));
        if (!_flushing)
        {
            _flushing = true;
            FlushEarnsAsync().Ignore();
        }
        return await done.Task;
    }

    private async Task FlushEarnsAsync()
    {
        try
        {
            while (_earns.Count > 0)
            {
                await _gate.WaitAsync();
                var batch = _earns.ToList();
                _earns.Clear();
                try
                {
                    await EarnBatchAsync(batch);
                }
                catch (Exception e)
                {
                    foreach (var (_, done) in batch)
                    {
                        done.TrySetException(e);
                    }
                }
                finally
                {
                    _gate.Release();
                }
            }
        }
        finally
        {
            _flushing = false;
        }
    }

    /// <summary>
    /// Queued earns: replays answered from the ledger, the rest applied one after the other (<see cref="EarnBatch"/>),
    /// then all their ledger rows, the balance row and their events committed in one transaction.
    /// </summary>
    private async Task EarnBatchAsync(List<(EarnRequest Request, TaskCompletionSource<LedgerEntryView> Done)> batch)
    {
        var program = await ProgramAsync();
        await ExpireAsync(program);
        var s = await StateAsync();
        if (batch.Count == 1 || (s.FirstPurchaseAt is null && s.ReferredBy is not null))
        {
            // The referral path (first purchase of a referred member) and lone earns take the single-entry path.
            foreach (var (request, done) in batch)
            {
                try
                {
                    done.TrySetResult(await _points.EarnAsync(program, request));
                }
                catch (Exception e)
                {
                    done.TrySetException(e);
                }
            }
            return;
        }
        var stored = await LedgerWriter.StoredAsync(db, Scope, MemberId, batch.Select(b => b.Request.IdempotencyKey).Distinct().ToArray());
        var now = clock.GetUtcNow();
        var plan = EarnBatch.Plan(program, s, MemberId, batch.Select(b => b.Request).ToList(), stored, now, () => Ids.New("led", 20));
        if (plan.Accepted.Count > 0)
        {
            try
            {
                await using var tx = await db.BeginAsync();
                await LedgerWriter.InsertManyAsync(tx, Scope, MemberId, plan.Accepted.Select((a, i) =>
                    (a.Entry, s.Seq + 1 + i, a.Fingerprint, JsonSerializer.Serialize(a.Entry, Json.Options))).ToList());
                await WalletRows.UpdateAfterEarnsAsync(tx, Scope, MemberId, plan.Final, s.Version, now);
                foreach (var a in plan.Accepted)
                {
                    await WalletEvents.PointsEarnedAsync(tx, Scope, MemberId, a.Entry, a.Request, lifetime: null);
                    await WalletEvents.TierChangedAsync(tx, Scope, MemberId, a.TierBefore, a.Entry.Tier!, a.Entry.EntryId);
                }
                await tx.CommitAsync();
            }
            catch
            {
                _state = null;
                throw;
            }
            _state = plan.Final with { Version = s.Version + 1 };
        }
        var entries = plan.Accepted.ToDictionary(a => a.Index, a => a.Entry);
        for (var i = 0; i < batch.Count; i++)
        {
            var answer = plan.Answers[i];
            if (answer.Error is { } error) batch[i].Done.TrySetException(error);
            else if (answer.Replay is { } replay) batch[i].Done.TrySetResult(replay);
            else if (answer.SameAs is { } first) batch[i].Done.TrySetResult(entries[first] with { Replayed = true });
            else batch[i].Done.TrySetResult(entries[i]);
        }
    }

    // ------------------------------------------------------------------ the write path

    private Task ExpireAsync(LoyaltyProgram program) => _points.ExpireAsync(program);

    internal async Task<LedgerEntryView> ReplayOrThrowAsync(string key, string fingerprint, CloudFranException error) =>
        await LedgerWriter.ReplayAsync<LedgerEntryView>(db, Scope, MemberId, key, fingerprint) is { } original
            ? original with { Replayed = true }
            : throw error;

    /// <summary>
    /// Commits one ledger entry + the member's balance row (+ whatever <paramref name="alsoInTransaction"/> adds:
    /// events, related rows) atomically; the in-memory state advances only after the commit. A replayed key writes
    /// nothing and returns the stored original (after <paramref name="afterReplay"/>).
    /// </summary>
    internal async Task<LedgerEntryView> WriteAsync(WalletState next, LedgerChange change,
        Func<PlatformTransaction, LedgerEntryView, Task>? alsoInTransaction,
        Func<LedgerEntryView, object>? shape = null, Func<Task>? afterReplay = null)
    {
        var s = await StateAsync();
        var entry = new LedgerEntryView(Ids.New("led", 20), MemberId, change.Kind, change.PointsDelta, change.AmountDelta, next.Points,
            next.Wallet, change.IdempotencyKey, change.Reference, change.LocationId, change.Description, clock.GetUtcNow(), next.Tier);
        var result = shape?.Invoke(entry) ?? entry;
        try
        {
            await using var tx = await db.BeginAsync();
            if (!await WalletRows.InsertEntryAsync(tx, Scope, MemberId, s, next, entry, change.Fingerprint,
                    JsonSerializer.Serialize(result, result.GetType(), Json.Options)))
            {
                await tx.RollbackAsync();
                var original = await LedgerWriter.ReplayAsync<LedgerEntryView>(db, Scope, MemberId, change.IdempotencyKey, change.Fingerprint);
                if (afterReplay is not null)
                {
                    await afterReplay();
                }
                return original! with { Replayed = true };
            }
            if (alsoInTransaction is not null)
            {
                await alsoInTransaction(tx, entry);
            }
            await tx.CommitAsync();
            _state = next with { Version = s.Version + 1, Seq = s.Seq + 1 };
            return entry;
        }
        catch (Exception e) when (e is not CloudFranException)
        {
            // Unknown outcome (connection lost mid-commit…): reload the truth from PostgreSQL on the next call.
            _state = null;
            throw;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Auto-reload of {TenantId}/{MemberId} skipped: daily stored-value limit reached")]
    internal static partial void LogReloadOverLimit(ILogger logger, string tenantId, string memberId);
}
