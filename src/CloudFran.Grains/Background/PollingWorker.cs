using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CloudFran.Grains.Background;

/// <summary>Lets a request on this node wake a polling worker at once instead of at its next poll.</summary>
public abstract class WakeSignal
{
    private readonly SemaphoreSlim _signal = new(0, 1);

    public void Wake()
    {
        if (_signal.CurrentCount == 0)
        {
            try { _signal.Release(); } catch (SemaphoreFullException) { }
        }
    }

    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken ct) => _signal.WaitAsync(timeout, ct);
}

/// <summary>
/// A background worker that runs <see cref="RunOnceAsync"/> back to back while it finds work, and otherwise waits
/// for its signal or its poll interval. Failures are logged and retried after a pause; the loop never dies.
/// </summary>
public abstract partial class PollingWorker(WakeSignal signal, ILogger logger) : BackgroundService
{
    protected abstract TimeSpan PollInterval { get; }

    /// <summary>Does one batch of work; returns how many items it handled (0 = idle).</summary>
    public abstract Task<int> RunOnceAsync(CancellationToken ct);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Hosted services start one after another, and the web server only listens after the last one; everything
        // before this method's first await would run on that path (the first pass: connection, command and JIT work).
        await Task.Yield();
        while (!stoppingToken.IsCancellationRequested)
        {
            var handled = 0;
            try
            {
                handled = await RunOnceAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                LogFailed(logger, GetType().Name, e);
                await Task.Delay(TimeSpan.FromSeconds(2), stoppingToken);
            }
            if (handled == 0)
            {
                try
                {
                    await signal.WaitAsync(PollInterval, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "{Worker} loop failed; retrying")]
    private static partial void LogFailed(ILogger logger, string worker, Exception e);
}
