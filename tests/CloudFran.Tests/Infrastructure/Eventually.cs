using System.Diagnostics;
using Xunit.Sdk;

namespace CloudFran.Tests.Infrastructure;

/// <summary>
/// The one way this suite waits for something the platform does in the background: poll a probe until its
/// value satisfies a condition, within a generous overall timeout, and fail naming what was awaited and the
/// last value seen. Waits end on the awaited state, never after a fixed sleep, so a busy machine only makes
/// them slower, never wrong.
/// </summary>
public static class Eventually
{
    /// <summary>Generous on purpose: a shared 2-core machine can be many times slower than a laptop.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Polls <paramref name="probe"/> until <paramref name="done"/> holds for its value; returns that value.</summary>
    public static async Task<T> Async<T>(string what, Func<Task<T>> probe, Func<T, bool> done, TimeSpan? timeout = null)
    {
        var limit = timeout ?? DefaultTimeout;
        var watch = Stopwatch.StartNew();
        var pause = TimeSpan.FromMilliseconds(20);
        T last = default!;
        Exception? lastError = null;
        var probes = 0;
        while (true)
        {
            probes++;
            try
            {
                last = await probe();
                lastError = null;
                if (done(last))
                {
                    return last;
                }
            }
            catch (Exception e) when (e is not XunitException)
            {
                // A probe may fail while the state is still forming (a row not yet written); keep the error for the message.
                lastError = e;
            }
            if (watch.Elapsed >= limit)
            {
                throw new XunitException(
                    $"Timed out after {watch.Elapsed.TotalSeconds:F1}s ({probes} probes) waiting for {what}; "
                    + (lastError is null ? $"last value: {Describe(last)}" : $"last probe failed: {lastError.GetType().Name}: {lastError.Message}"));
            }
            await Task.Delay(pause);
            pause = TimeSpan.FromMilliseconds(Math.Min(pause.TotalMilliseconds * 2, 250));
        }
    }

    /// <summary>Polls an asynchronous condition until it holds.</summary>
    public static Task Async(string what, Func<Task<bool>> condition, TimeSpan? timeout = null) =>
        Async(what, condition, ok => ok, timeout);

    /// <summary>Polls a synchronous probe (e.g. what a fake recorded) until <paramref name="done"/> holds; returns the value.</summary>
    public static Task<T> That<T>(string what, Func<T> probe, Func<T, bool> done, TimeSpan? timeout = null) =>
        Async(what, () => Task.FromResult(probe()), done, timeout);

    /// <summary>Polls a synchronous condition until it holds.</summary>
    public static Task True(string what, Func<bool> condition, TimeSpan? timeout = null) =>
        Async(what, () => Task.FromResult(condition()), ok => ok, timeout);

    private static string Describe(object? value) => value switch
    {
        null => "null",
        System.Text.Json.JsonElement { ValueKind: System.Text.Json.JsonValueKind.Undefined } => "(none)",
        _ => value.ToString() is { Length: > 2000 } s ? s[..2000] + "…" : value.ToString() ?? "",
    };
}
