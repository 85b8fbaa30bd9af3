using System.Collections.Concurrent;
using DataForgeGateway.Callers;
using DataForgeGateway.Primitives;
using DataForgeGateway.Settings;

namespace DataForgeGateway.RateLimiting;

/// <summary>
/// The bucket sets of each caller and operation, resolved from the options in force once and kept until those
/// options change: a reload swaps in a new, empty snapshot, and a request that resolved its set from the old options
/// can only add it to the old snapshot, never to the new one.
/// </summary>
internal sealed class RateLimitPolicies(LiveOptions<RateLimitOptions> options, LiveOptions<CallersOptions> callers)
{
    private volatile Snapshot? _snapshot;

    /// <summary>The buckets that apply to this caller and operation now.</summary>
    public BucketSet For(string caller, string operation) => InForce().For(caller, operation);

    private Snapshot InForce()
    {
        var snapshot = _snapshot;
        var limits = options.Current;
        var known = callers.Current;
        if (snapshot is not null && ReferenceEquals(snapshot.Limits, limits) && ReferenceEquals(snapshot.Callers, known))
        {
            return snapshot;
        }

        var fresh = new Snapshot(limits, known);
        return Interlocked.CompareExchange(ref _snapshot, fresh, snapshot) == snapshot ? fresh : _snapshot!;
    }

    private static BucketSet Resolve((string Caller, string Operation) key, Snapshot source)
    {
        var defaults = source.Limits;
        var caller = source.Callers.Find(key.Caller);
        var policies = new List<(string Name, RateLimitPolicyOptions Policy)> { ("caller", caller?.RateLimit ?? defaults.Default) };
        if ((caller?.OperationRateLimits.GetValueOrDefault(key.Operation) ?? defaults.Operations.GetValueOrDefault(key.Operation)) is { } operationPolicy)
        {
            policies.Add((key.Operation, operationPolicy));
        }

        return new BucketSet(
            key.Caller,
            [.. policies.Select(p => BucketLimit.From(p.Name, p.Policy.PermitsPerSecond, p.Policy.Burst))],
            [.. policies.Select(p => BucketLimit.From(p.Name, p.Policy.PermitsPerSecond, p.Policy.Burst, p.Policy.LocalShare ?? defaults.LocalShare))],
            [.. policies.Select(p => p.Policy.OnRedisFailure ?? defaults.OnRedisFailure)]);
    }

    /// <summary>The bucket sets resolved from one pair of options, and those options.</summary>
    private sealed class Snapshot(RateLimitOptions limits, CallersOptions callers)
    {
        private readonly ConcurrentDictionary<(string Caller, string Operation), BucketSet> _sets = new();

        public RateLimitOptions Limits => limits;

        public CallersOptions Callers => callers;

        public BucketSet For(string caller, string operation)
        {
            // TryGetValue first: GetOrAdd with a delegate that captures would allocate on every request.
            if (_sets.TryGetValue((caller, operation), out var buckets))
            {
                return buckets;
            }

            return _sets.GetOrAdd((caller, operation), static (key, source) => Resolve(key, source), this);
        }
    }
}
