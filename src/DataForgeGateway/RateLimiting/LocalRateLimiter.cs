using System.Collections.Concurrent;
using DataForgeGateway.Primitives;

namespace DataForgeGateway.RateLimiting;

/// <summary>
/// The in-process limiter: one replica's own buckets, for a gateway without Redis and as the fallback while Redis
/// is unavailable. Buckets exist only for configured callers and operations, so memory is bounded by the
/// configuration, never by what callers send.
/// </summary>
internal sealed class LocalRateLimiter
{
    private readonly ConcurrentDictionary<string, CallerBuckets> _callers = new(StringComparer.Ordinal);

    /// <summary>
    /// All buckets admit the request, and each is charged; or it is refused and none is. The states go into
    /// <paramref name="states"/>: allocates nothing.
    /// </summary>
    public void Decide(string caller, BucketLimit[] limits, long nowMicros, Span<BucketState> states)
    {
        var buckets = _callers.GetOrAdd(caller, static _ => new CallerBuckets());
        lock (buckets.Gate)
        {
            Span<long?> tats = limits.Length <= 8 ? stackalloc long?[limits.Length] : new long?[limits.Length];
            var admitted = true;
            for (var i = 0; i < limits.Length; i++)
            {
                tats[i] = buckets.Tats.GetValueOrDefault(limits[i].Name);
                states[i] = Gcra.Decide(ref tats[i], nowMicros, limits[i]);
                admitted &= states[i].Admitted;
            }

            if (admitted)
            {
                for (var i = 0; i < limits.Length; i++)
                {
                    buckets.Tats[limits[i].Name] = tats[i];
                }
            }
            else
            {
                // Report the refusal as Redis would: admitted buckets are not charged, so they keep their state.
                for (var i = 0; i < limits.Length; i++)
                {
                    if (states[i].Admitted)
                    {
                        states[i] = states[i] with { Remaining = states[i].Remaining + 1 };
                    }
                }
            }
        }
    }

    private sealed class CallerBuckets
    {
        public Lock Gate { get; } = new();

        public Dictionary<string, long?> Tats { get; } = new(StringComparer.Ordinal);
    }
}
