using System.Text.Json;
using CloudFran.Abstractions.Loyalty;
using CloudFran.Grains.Storage;

namespace CloudFran.Grains.Loyalty;

/// <summary>One earn of a batch accepted for writing: its entry, the tier before it and what it asked.</summary>
public sealed record PlannedEarn(int Index, LedgerEntryView Entry, string Fingerprint, string TierBefore, EarnRequest Request);

/// <summary>
/// The answer to one earn of a batch: a stored replay or an error (nothing to write), the entry of an earlier earn
/// of the same batch with the same key (<see cref="SameAs"/>, answered as a replay), or null everything when the
/// earn is in <see cref="EarnPlan.Accepted"/>.
/// </summary>
public sealed record EarnAnswer(LedgerEntryView? Replay = null, Exception? Error = null, int? SameAs = null);

/// <summary>The earns to write in one transaction and the state after all of them.</summary>
public sealed record EarnPlan(WalletState Final, IReadOnlyList<PlannedEarn> Accepted, IReadOnlyList<EarnAnswer> Answers);

/// <summary>
/// Group commit of queued earns, without I/O: replays answered from the stored ledger results, duplicates inside
/// the batch answered by their first, the rest applied one after the other to the state.
/// </summary>
public static class EarnBatch
{
    public static EarnPlan Plan(LoyaltyProgram program, WalletState s, string memberId, IReadOnlyList<EarnRequest> batch,
        IReadOnlyDictionary<string, (string Fingerprint, string Result)> stored, DateTimeOffset now, Func<string> newEntryId)
    {
        var work = s;
        var accepted = new List<PlannedEarn>();
        var answers = new EarnAnswer[batch.Count];
        var firstOfKey = new Dictionary<string, (int Index, string Fingerprint)>();
        for (var i = 0; i < batch.Count; i++)
        {
            var request = batch[i];
            var fp = EarnRules.Fingerprint(request);
            if (stored.TryGetValue(request.IdempotencyKey, out var original))
            {
                answers[i] = original.Fingerprint != fp
                    ? new EarnAnswer(Error: LoyaltyErrors.KeyReused())
                    : new EarnAnswer(Replay: JsonSerializer.Deserialize<LedgerEntryView>(original.Result, Json.Options)! with { Replayed = true });
                continue;
            }
            if (firstOfKey.TryGetValue(request.IdempotencyKey, out var first))
            {
                answers[i] = first.Fingerprint != fp ? new EarnAnswer(Error: LoyaltyErrors.KeyReused()) : new EarnAnswer(SameAs: first.Index);
                continue;
            }
            firstOfKey[request.IdempotencyKey] = (i, fp);
            var (points, description) = EarnRules.Compute(program, work, request, now);
            var next = EarnRules.Earn(program, work, request, points, now) with { Seq = work.Seq + 1 };
            var entry = new LedgerEntryView(newEntryId(), memberId, "earn", points, 0, next.Points, next.Wallet, request.IdempotencyKey,
                request.Reference, request.LocationId, description, now, next.Tier);
            accepted.Add(new PlannedEarn(i, entry, fp, work.Tier, request));
            answers[i] = new EarnAnswer();
            work = next;
        }
        return new EarnPlan(work, accepted, answers);
    }
}
