using System.Threading.Channels;
using CloudFran.Grains.Storage;
using Microsoft.Extensions.Logging;

namespace CloudFran.Grains.Messaging;

/// <summary>
/// Records "Twilio accepted this message" (status, SID, sender number) for the recipient grains of this node, many
/// messages per statement. A caller's task completes when the statement holding its row has committed, so a
/// delivery still returns only once its row is written; while one statement runs, the next batch gathers (group
/// commit: no added wait when the node is idle, one commit per batch instead of one per message under load).
/// When a batch statement fails, its rows are written one at a time so that one bad row fails alone.
/// </summary>
public sealed partial class SmsAcceptedWriter : IAsyncDisposable
{
    private const int MaxBatch = 500;

    private readonly PlatformDb _db;
    private readonly ILogger<SmsAcceptedWriter> _logger;
    private readonly Channel<Accepted> _queue = Channel.CreateUnbounded<Accepted>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _loop;

    public SmsAcceptedWriter(PlatformDb db, ILogger<SmsAcceptedWriter> logger)
    {
        _db = db;
        _logger = logger;
        _loop = Task.Run(RunAsync);
    }

    private sealed record Accepted(string MessageId, string Status, int Rank, string Sid, string? From, DateTimeOffset At)
    {
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>Writes the accepted status unless the row already moved further (a status callback came first).</summary>
    public Task RecordAsync(string messageId, string status, string sid, string? from, DateTimeOffset at)
    {
        var item = new Accepted(messageId, status, SmsStatus.Rank(status), sid, from, at);
        if (!_queue.Writer.TryWrite(item))
        {
            throw new ObjectDisposedException(nameof(SmsAcceptedWriter));
        }
        return item.Done.Task;
    }

    private async Task RunAsync()
    {
        var batch = new List<Accepted>(MaxBatch);
        while (await _queue.Reader.WaitToReadAsync())
        {
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var item))
            {
                batch.Add(item);
            }
            try
            {
                await WriteAsync(batch);
                batch.ForEach(a => a.Done.TrySetResult());
            }
            catch (Exception batchError)
            {
                LogBatchFailed(_logger, batch.Count, batchError);
                foreach (var a in batch)
                {
                    try
                    {
                        await WriteAsync([a]);
                        a.Done.TrySetResult();
                    }
                    catch (Exception e)
                    {
                        a.Done.TrySetException(e);
                    }
                }
            }
            batch.Clear();
        }
    }

    private Task<int> WriteAsync(IReadOnlyList<Accepted> rows) => _db.ExecuteAsync(
        """
        UPDATE sms_messages m SET status = x.status, status_rank = x.rank, twilio_sid = x.sid,
               platform_phone = coalesce(x.sender, m.platform_phone), next_attempt_at = NULL, updated_at = x.at
          FROM unnest(@ids::text[], @statuses::text[], @ranks::int[], @sids::text[], @senders::text[], @ats::timestamptz[])
               AS x(id, status, rank, sid, sender, at)
         WHERE m.message_id = x.id AND m.status_rank < x.rank
        """,
        ("ids", rows.Select(r => r.MessageId).ToArray()), ("statuses", rows.Select(r => r.Status).ToArray()),
        ("ranks", rows.Select(r => r.Rank).ToArray()), ("sids", rows.Select(r => r.Sid).ToArray()),
        ("senders", rows.Select(r => r.From).ToArray()), ("ats", rows.Select(r => r.At.UtcDateTime).ToArray()));

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Recording {Count} accepted SMS in one statement failed; writing them one by one")]
    private static partial void LogBatchFailed(ILogger logger, int count, Exception e);
}
