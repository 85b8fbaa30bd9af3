using System.Collections.Concurrent;
using System.Net;
using DataForgeGateway.Primitives;
using DataForgeGateway.Settings;

namespace DataForgeGateway.Callers;

/// <summary>
/// Per client address, the requests it made without a valid key, in-process (the cost it limits is this replica's).
/// An address whose bucket is full again is forgotten, so memory follows the addresses failing right now.
/// </summary>
internal sealed class FailedAuthenticationLimiter(LiveOptions<RateLimitOptions> options, CallerMetrics metrics, TimeProvider clock)
{
    private const int ForgetAbove = 10_000;

    private readonly ConcurrentDictionary<IPAddress, long> _tats = new();

    /// <summary>Charges one failed authentication to <paramref name="address"/>; null if within the limit, else how long to wait.</summary>
    public TimeSpan? Charge(IPAddress? address)
    {
        var settings = options.Current.FailedAuthentication;
        if (!settings.Enabled || address is null)
        {
            return null;
        }

        var limit = BucketLimit.From("failed-authentication", settings.PermitsPerSecond, settings.Burst);
        var now = Gcra.NowMicros(clock);
        if (_tats.Count > ForgetAbove)
        {
            foreach (var (known, tat) in _tats)
            {
                if (tat <= now)
                {
                    _tats.TryRemove(known, out _);
                }
            }
        }

        while (true)
        {
            var stored = _tats.TryGetValue(address, out var previous) ? previous : (long?)null;
            var tat = stored;
            var state = Gcra.Decide(ref tat, now, limit);
            if (!state.Admitted)
            {
                metrics.FailedAuthenticationRefused();
                return TimeSpan.FromTicks(state.RetryAfterMicros * 10);
            }

            if (stored is { } expected ? _tats.TryUpdate(address, tat!.Value, expected) : _tats.TryAdd(address, tat!.Value))
            {
                return null;
            }
        }
    }
}
