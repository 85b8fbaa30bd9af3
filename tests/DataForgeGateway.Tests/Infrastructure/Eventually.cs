using Microsoft.Extensions.Time.Testing;

namespace DataForgeGateway.Tests.Infrastructure;

/// <summary>
/// Waits for something another thread (a background refresh, a file watcher) makes true. The limit only keeps a
/// broken test from hanging; no test asserts how long anything took.
/// </summary>
public static class Eventually
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    public static Task HoldsAsync(Func<bool> condition, string what) => HoldsAsync(condition, () => what);

    public static Task HoldsAsync(Func<bool> condition, Func<string> what) => HoldsAsync(() => Task.FromResult(condition()), what);

    /// <summary>For a condition that has to ask (a health endpoint, a request): awaited, never blocked on.</summary>
    public static Task HoldsAsync(Func<Task<bool>> condition, string what) => HoldsAsync(condition, () => what);

    public static Task HoldsAsync(Func<Task<bool>> condition, Func<string> what) => HoldsWithinAsync(Limit, condition, what);

    /// <summary>For what is promised within a longer bound (an alert pending within a minute of its fault).</summary>
    public static async Task HoldsWithinAsync(TimeSpan limit, Func<Task<bool>> condition, Func<string> what)
    {
        using var poll = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
        var deadline = DateTime.UtcNow + limit;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new Xunit.Sdk.XunitException($"Still not true: {what()}");
            }

            await poll.WaitForNextTickAsync();
        }
    }

    /// <summary>
    /// Moves the fake clock forward by <paramref name="first"/>, then one step at a time, giving background work a
    /// moment after each step (up to a second, for a loaded machine), until <paramref name="condition"/> holds. Returns how far the clock moved.
    /// </summary>
    public static async Task<TimeSpan> AdvanceUntilAsync(FakeTimeProvider clock, TimeSpan first, TimeSpan step, TimeSpan max, Func<bool> condition)
    {
        clock.Advance(first);
        var advanced = first;
        using var poll = new PeriodicTimer(TimeSpan.FromMilliseconds(10));
        while (!condition())
        {
            if (advanced >= max)
            {
                throw new Xunit.Sdk.XunitException($"Not true after moving the clock {advanced}.");
            }

            clock.Advance(step);
            advanced += step;
            for (var i = 0; i < 100 && !condition(); i++)
            {
                await poll.WaitForNextTickAsync();
            }
        }

        return advanced;
    }
}
