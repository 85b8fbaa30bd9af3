using System.Collections.Concurrent;
using System.Threading.RateLimiting;
using DataForgeGateway.Primitives;
using DataForgeGateway.Settings;

namespace DataForgeGateway.RateLimiting;

/// <summary>
/// The concurrency limiters of the settings in force: one per environment, and one per caller of it holding that
/// caller's share. Made on first use; a settings change swaps in a new, empty set, so a request that read the old
/// settings can only add a limiter to the old set. Requests in flight release into the limiters they came from.
/// </summary>
internal sealed class UpstreamConcurrencyLimits(LiveOptions<GatewayOptions> gateway)
{
    private volatile Snapshot? _snapshot;

    public (ConcurrencyLimiter Shared, ConcurrencyLimiter Caller) For(string environment, string caller)
    {
        var options = gateway.Current;
        var snapshot = _snapshot;
        if (snapshot is null || !ReferenceEquals(snapshot.Source, options))
        {
            var fresh = new Snapshot(options);
            snapshot = Interlocked.CompareExchange(ref _snapshot, fresh, snapshot) == snapshot ? fresh : _snapshot!;
        }

        return snapshot.For(environment, caller);
    }

    private sealed class Snapshot(GatewayOptions source)
    {
        private readonly ConcurrentDictionary<string, ConcurrencyLimiter> _environments = new(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<(string Environment, string Caller), ConcurrencyLimiter> _callers = new();

        public GatewayOptions Source => source;

        public (ConcurrencyLimiter Shared, ConcurrencyLimiter Caller) For(string environment, string caller)
        {
            if (!_environments.TryGetValue(environment, out var shared))
            {
                shared = _environments.GetOrAdd(environment, static (name, options) =>
                {
                    var settings = options.Environments[name];
                    return Create(settings.MaxConcurrentRequests, settings.MaxQueuedRequests);
                }, source);
            }

            if (!_callers.TryGetValue((environment, caller), out var own))
            {
                own = _callers.GetOrAdd((environment, caller), static (key, options) =>
                {
                    var settings = options.Environments[key.Environment];
                    return Create(
                        Math.Max(1, (int)Math.Ceiling(settings.MaxConcurrentRequests * settings.MaxCallerShare)),
                        (int)Math.Ceiling(settings.MaxQueuedRequests * settings.MaxCallerShare));
                }, source);
            }

            return (shared, own);
        }

        private static ConcurrencyLimiter Create(int permits, int queue) => new(new ConcurrencyLimiterOptions
        {
            PermitLimit = permits,
            QueueLimit = queue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
    }
}
