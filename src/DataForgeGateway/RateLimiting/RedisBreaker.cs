using DataForgeGateway.Primitives;
using DataForgeGateway.Settings;

namespace DataForgeGateway.RateLimiting;

/// <summary>
/// Whether the rate limiter trusts Redis now. A failed call opens the breaker: every replica then decides on its
/// fallback until <see cref="RateLimitOptions.RedisRetryInterval"/> is over, when one request at a time probes
/// Redis (half-open); the first call Redis answers closes it. Each failure also ends every lease taken so far
/// (<see cref="Failures"/> is their generation).
/// </summary>
internal sealed partial class RedisBreaker(LiveOptions<RateLimitOptions> options, RateLimitMetrics metrics, TimeProvider clock, ILogger<RedisBreaker> logger)
{
    private long _openUntilTicks;
    private int _failures;
    private int _probing;

    /// <summary>
    /// Whether limits are enforced without Redis: from a failed Redis call until one succeeds again, however little
    /// traffic there is meanwhile (the gauge and readiness must not fall back to "fine" between requests).
    /// </summary>
    public bool IsOpen => Interlocked.Read(ref _openUntilTicks) != 0;

    /// <summary>How many Redis calls have failed: the permits leased before the last failure are dropped.</summary>
    public int Failures => Volatile.Read(ref _failures);

    /// <summary>
    /// While open, whether this request is the one that probes Redis: once the retry interval is over, and only
    /// one at a time (a stalled Redis costs one request its OperationTimeout per interval, not every one in flight).
    /// A probe ends with <see cref="ProbeDone"/>.
    /// </summary>
    public bool TryProbe() =>
        clock.GetUtcNow().UtcTicks >= Interlocked.Read(ref _openUntilTicks) && Interlocked.CompareExchange(ref _probing, 1, 0) == 0;

    public void ProbeDone() => Volatile.Write(ref _probing, 0);

    /// <summary>Redis answered: the breaker closes, if it was open.</summary>
    public void Answered()
    {
        if (Interlocked.Read(ref _openUntilTicks) != 0 && Interlocked.Exchange(ref _openUntilTicks, 0) != 0)
        {
            Log.RedisBack(logger);
        }
    }

    /// <summary>
    /// A Redis call failed (<paramref name="error"/> as the connection describes it). No cancellation token is
    /// passed to Redis: a cancellation here is StackExchange.Redis giving up on a command (a connection that
    /// stalled or dropped), a Redis failure like the others.
    /// </summary>
    public void Failed(string error)
    {
        Interlocked.Increment(ref _failures);
        metrics.RedisFailed();
        Interlocked.Exchange(ref _openUntilTicks, (clock.GetUtcNow() + options.Current.RedisRetryInterval).UtcTicks);
        Log.RedisUnavailable(logger, error);
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Redis is unavailable for rate limits ({Error}); each replica enforces its fallback until it is back")]
        public static partial void RedisUnavailable(ILogger logger, string error);

        [LoggerMessage(2, LogLevel.Information, "Redis is back: rate limits are shared by all replicas again")]
        public static partial void RedisBack(ILogger logger);
    }
}
