using System.Collections.Concurrent;
using DataForgeGateway.Callers;
using DataForgeGateway.Primitives;
using DataForgeGateway.Redis;
using DataForgeGateway.Settings;

namespace DataForgeGateway.RateLimiting;

/// <summary>
/// Decides whether a caller's request is within its limits: in Redis when one is configured (one limit for the
/// whole deployment), in-process otherwise. While Redis is unavailable each policy does what it is configured to
/// (local share, open, closed), and Redis is tried again every <see cref="RateLimitOptions.RedisRetryInterval"/>.
/// </summary>
internal sealed partial class RateLimitService
{
    private readonly LiveOptions<RateLimitOptions> _options;
    private readonly LiveOptions<CallersOptions> _callers;
    private readonly LocalRateLimiter _local;
    private readonly RedisRateLimiter? _shared;
    private readonly PermitLeases _leases = new();
    private readonly RateLimitMetrics _metrics;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private volatile Policies? _policies;
    private long _fallbackUntilTicks;
    private int _probing;

    public RateLimitService(
        LiveOptions<RateLimitOptions> options,
        LiveOptions<CallersOptions> callers,
        LocalRateLimiter local,
        RateLimitMetrics metrics,
        TimeProvider clock,
        ILogger<RateLimitService> logger,
        RedisRateLimiter? shared = null)
    {
        _options = options;
        _callers = callers;
        _local = local;
        _shared = shared;
        _metrics = metrics;
        _clock = clock;
        _logger = logger;
        _metrics.InFallback = () => InFallback;
    }

    /// <summary>
    /// Whether limits are enforced without Redis: from a failed Redis call until one succeeds again, however little
    /// traffic there is meanwhile (the gauge and readiness must not fall back to "fine" between requests).
    /// </summary>
    public bool InFallback => _shared is not null && Interlocked.Read(ref _fallbackUntilTicks) != 0;

    public async ValueTask<RateLimitDecision> DecideAsync(string caller, string operation)
    {
        var buckets = PoliciesInForce().For(caller, operation);
        if (_shared is null)
        {
            return DecidedLocally(DecisionSource.Local, buckets, buckets.Limits, NowMicros(), operation);
        }

        var now = _clock.GetUtcNow();
        var fallbackUntil = Interlocked.Read(ref _fallbackUntilTicks);

        // Healthy, every request asks Redis. On the fallback, once the retry interval is over, one request probes
        // Redis (half-open) while the others stay on the fallback: a stalled Redis costs one request its
        // OperationTimeout per interval, not every request in flight.
        var probe = fallbackUntil != 0 && now.UtcTicks >= fallbackUntil && Interlocked.CompareExchange(ref _probing, 1, 0) == 0;
        if (fallbackUntil == 0 || probe)
        {
            try
            {
                var states = await SharedStatesAsync(buckets, probe);
                if (Interlocked.Exchange(ref _fallbackUntilTicks, 0) != 0)
                {
                    Log.RedisBack(_logger);
                }

                return Decided(DecisionSource.Shared, buckets, buckets.Limits, states, operation);
            }
            catch (Exception e) when (RedisConnection.IsFailure(e))
            {
                // No cancellation token is passed to Redis: a cancellation here is StackExchange.Redis giving up
                // on a command (a connection that stalled or dropped), a Redis failure like the others.
                _metrics.RedisFailed();
                Interlocked.Exchange(ref _fallbackUntilTicks, (_clock.GetUtcNow() + _options.Current.RedisRetryInterval).UtcTicks);
                Log.RedisUnavailable(_logger, _shared.Describe(e));
            }
            finally
            {
                if (probe)
                {
                    Volatile.Write(ref _probing, 0);
                }
            }
        }

        // Read the clock again: the failed Redis call took time.
        return Fallback(caller, buckets, NowMicros(), operation);
    }

    /// <summary>
    /// The shared decision: from this replica's lease of the bucket set where one applies (no Redis call while it
    /// has permits, or while Redis's refusal holds), else one request at a time in Redis (small buckets, a probe).
    /// </summary>
    private async ValueTask<BucketStates> SharedStatesAsync(BucketSet buckets, bool probe)
    {
        var settings = _options.Current.Leases;
        if (probe || !PermitLeases.Applies(buckets, settings))
        {
            _metrics.RedisCall();
            return await _shared!.DecideAsync(buckets);
        }

        var lease = _leases.For(buckets);
        var maxPermits = PermitLeases.MaxPermits(buckets, settings);
        while (true)
        {
            switch (lease.TryTake(NowMicros(), maxPermits, out var states, out var request, out var pending))
            {
                case PermitLeases.Outcome.Admitted or PermitLeases.Outcome.Refused:
                    return states;
                case PermitLeases.Outcome.Wait:
                    await pending;
                    continue;
            }

            try
            {
                _metrics.RedisCall();
                var (granted, leased) = await _shared!.LeaseAsync(buckets, request.Want, request.Returned);
                var now = NowMicros();
                return lease.Leased(request, granted, leased, buckets.Limits.Length, now, now + (long)settings.Duration.TotalMicroseconds);
            }
            catch
            {
                lease.Failed(request);
                throw;
            }
        }
    }

    /// <summary>
    /// The bucket sets of the options in force. A reload swaps in a new, empty snapshot; a request that resolved
    /// its set from the old options can only add it to the old snapshot, never to the new one.
    /// </summary>
    private Policies PoliciesInForce()
    {
        var policies = _policies;
        var limits = _options.Current;
        var callers = _callers.Current;
        if (policies is not null && ReferenceEquals(policies.Limits, limits) && ReferenceEquals(policies.Callers, callers))
        {
            return policies;
        }

        var fresh = new Policies(limits, callers);
        return Interlocked.CompareExchange(ref _policies, fresh, policies) == policies ? fresh : _policies!;
    }

    private long NowMicros() => Gcra.NowMicros(_clock);

    private RateLimitDecision Fallback(string caller, BucketSet buckets, long nowMicros, string operation)
    {
        if (buckets.AnyClosed)
        {
            _metrics.FallbackDecision(DecisionSource.ClosedFallback);
            _metrics.Refused(caller, operation, "");
            return RateLimitDecision.Closed(buckets, (long)_options.Current.RedisRetryInterval.TotalMicroseconds);
        }

        var local = buckets.LocalShareLimits;
        var source = local.Length == 0 ? DecisionSource.OpenFallback : DecisionSource.LocalFallback;
        _metrics.FallbackDecision(source);
        return DecidedLocally(source, buckets, local, nowMicros, operation);
    }

    private RateLimitDecision DecidedLocally(DecisionSource source, BucketSet buckets, BucketLimit[] applied, long nowMicros, string operation)
    {
        var states = default(BucketStates);
        _local.Decide(buckets.Caller, applied, nowMicros, states);
        return Decided(source, buckets, applied, states, operation);
    }

    private RateLimitDecision Decided(DecisionSource source, BucketSet buckets, BucketLimit[] applied, in BucketStates states, string operation)
    {
        var decision = new RateLimitDecision(source, buckets, applied, states);
        if (!decision.Admitted)
        {
            _metrics.Refused(buckets.Caller, operation, decision.RefusedBy ?? "");
        }

        return decision;
    }

    private static BucketSet Resolve((string Caller, string Operation) key, Policies source)
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
    private sealed class Policies(RateLimitOptions limits, CallersOptions callers)
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

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Redis is unavailable for rate limits ({Error}); each replica enforces its fallback until it is back")]
        public static partial void RedisUnavailable(ILogger logger, string error);

        [LoggerMessage(2, LogLevel.Information, "Redis is back: rate limits are shared by all replicas again")]
        public static partial void RedisBack(ILogger logger);
    }
}
