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
    private int _redisFailures;
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

    /// <summary>
    /// The decision on one request. Synchronous, allocating nothing, whenever no Redis call is needed: one replica,
    /// a permit of this replica's lease (or its remembered refusal), the fallback. Asynchronous only to call Redis,
    /// or to wait for the lease another request of the same caller and operation is taking.
    /// </summary>
    public ValueTask<RateLimitDecision> DecideAsync(string caller, string operation)
    {
        var buckets = PoliciesInForce().For(caller, operation);
        if (_shared is null)
        {
            return new(DecidedLocally(DecisionSource.Local, buckets, buckets.Limits, NowMicros(), operation));
        }

        var fallbackUntil = Interlocked.Read(ref _fallbackUntilTicks);
        if (fallbackUntil != 0)
        {
            // On the fallback, once the retry interval is over, one request probes Redis (half-open) while the
            // others stay on the fallback: a stalled Redis costs one request its OperationTimeout per interval,
            // not every request in flight. A probe is exact, one request in Redis.
            var probe = _clock.GetUtcNow().UtcTicks >= fallbackUntil && Interlocked.CompareExchange(ref _probing, 1, 0) == 0;
            return probe ? ExactAsync(buckets, operation, probe: true) : new(Fallback(buckets, NowMicros(), operation));
        }

        var settings = _options.Current.Leases;
        if (!PermitLeases.Applies(buckets, settings))
        {
            return ExactAsync(buckets, operation, probe: false);
        }

        var lease = _leases.For(buckets);
        switch (lease.TryTake(NowMicros(), PermitLeases.MaxPermits(buckets, settings), out var states, out var request, out var pending, Volatile.Read(ref _redisFailures)))
        {
            case PermitLeases.Outcome.AdmittedAndRefill:
                _ = RefillAsync(buckets, lease, request, settings);
                return new(Decided(DecisionSource.Shared, buckets, buckets.Limits, states, operation));
            case PermitLeases.Outcome.Admitted or PermitLeases.Outcome.Refused:
                return new(Decided(DecisionSource.Shared, buckets, buckets.Limits, states, operation));
            case PermitLeases.Outcome.Wait:
                return AfterLeaseAsync(pending, buckets, lease, settings, operation);
            default:
                return LeaseAsync(buckets, lease, request, settings, operation);
        }
    }

    /// <summary>
    /// Another request is leasing for this caller and operation: once it has, take a permit of its lease (or its
    /// refusal); if it failed, decide afresh (the fallback).
    /// </summary>
    private async ValueTask<RateLimitDecision> AfterLeaseAsync(Task pending, BucketSet buckets, PermitLeases.Lease lease, RateLimitLeaseOptions settings, string operation)
    {
        while (true)
        {
            await pending;
            if (Interlocked.Read(ref _fallbackUntilTicks) != 0)
            {
                return await DecideAsync(buckets.Caller, operation);
            }

            var outcome = lease.TryTake(NowMicros(), PermitLeases.MaxPermits(buckets, settings), out var states, out var request, out pending, Volatile.Read(ref _redisFailures));
            if (outcome is PermitLeases.Outcome.Wait)
            {
                continue;
            }

            if (outcome is PermitLeases.Outcome.Lease)
            {
                return await LeaseAsync(buckets, lease, request, settings, operation);
            }

            if (outcome is PermitLeases.Outcome.AdmittedAndRefill)
            {
                _ = RefillAsync(buckets, lease, request, settings);
            }

            return Decided(DecisionSource.Shared, buckets, buckets.Limits, states, operation);
        }
    }

    /// <summary>Takes a lease of permits from Redis for this replica: one for this request, the rest for the next ones.</summary>
    private async ValueTask<RateLimitDecision> LeaseAsync(BucketSet buckets, PermitLeases.Lease lease, PermitLeases.LeaseRequest request, RateLimitLeaseOptions settings, string operation)
    {
        try
        {
            return Decided(DecisionSource.Shared, buckets, buckets.Limits, await TakeLeaseAsync(buckets, lease, request, settings), operation);
        }
        catch (Exception e) when (RedisConnection.IsFailure(e))
        {
            return Fallback(buckets, NowMicros(), operation);   // the clock read again: the failed call took time
        }
    }

    /// <summary>The next lease, taken while the permits in hand last: no request waits for it (unless they run out first).</summary>
    private async Task RefillAsync(BucketSet buckets, PermitLeases.Lease lease, PermitLeases.LeaseRequest request, RateLimitLeaseOptions settings)
    {
        try
        {
            await TakeLeaseAsync(buckets, lease, request, settings);
        }
        catch (Exception e) when (RedisConnection.IsFailure(e))
        {
            // Counted and logged as the fallback began; the next requests decide on it.
        }
        catch (Exception e)
        {
            // Nobody awaits this: the failure is logged, and the next request that finds no permit leases itself.
            Log.RefillFailed(_logger, e);
        }
    }

    /// <summary>
    /// One lease call to Redis, whether a request waits for it or not: the lease learns what was granted, or that
    /// the call failed (after the fallback began, so that the requests waiting for it go to the fallback too).
    /// </summary>
    private async Task<BucketStates> TakeLeaseAsync(BucketSet buckets, PermitLeases.Lease lease, PermitLeases.LeaseRequest request, RateLimitLeaseOptions settings)
    {
        try
        {
            _metrics.RedisCall();
            var (granted, leased) = await _shared!.LeaseAsync(buckets, request.Want, request.Returned);
            var now = NowMicros();
            var states = lease.Leased(request, granted, leased, buckets.Limits.Length, now, now + (long)settings.Duration.TotalMicroseconds);
            RedisAnswered();
            return states;
        }
        catch (Exception e) when (RedisConnection.IsFailure(e))
        {
            RedisFailed(e);
            lease.Failed(request);
            throw;
        }
        catch
        {
            lease.Failed(request);
            throw;
        }
    }

    /// <summary>One request decided in Redis: small or slow buckets, and the probe while on the fallback.</summary>
    private async ValueTask<RateLimitDecision> ExactAsync(BucketSet buckets, string operation, bool probe)
    {
        try
        {
            _metrics.RedisCall();
            var states = await _shared!.DecideAsync(buckets);
            RedisAnswered();
            return Decided(DecisionSource.Shared, buckets, buckets.Limits, states, operation);
        }
        catch (Exception e) when (RedisConnection.IsFailure(e))
        {
            RedisFailed(e);
            return Fallback(buckets, NowMicros(), operation);
        }
        finally
        {
            if (probe)
            {
                Volatile.Write(ref _probing, 0);
            }
        }
    }

    private void RedisAnswered()
    {
        if (Interlocked.Read(ref _fallbackUntilTicks) != 0 && Interlocked.Exchange(ref _fallbackUntilTicks, 0) != 0)
        {
            Log.RedisBack(_logger);
        }
    }

    /// <summary>
    /// No cancellation token is passed to Redis: a cancellation here is StackExchange.Redis giving up on a command
    /// (a connection that stalled or dropped), a Redis failure like the others.
    /// </summary>
    private void RedisFailed(Exception e)
    {
        Interlocked.Increment(ref _redisFailures);   // the permits leased so far are dropped (PermitLeases)
        _metrics.RedisFailed();
        Interlocked.Exchange(ref _fallbackUntilTicks, (_clock.GetUtcNow() + _options.Current.RedisRetryInterval).UtcTicks);
        Log.RedisUnavailable(_logger, _shared!.Describe(e));
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

    private RateLimitDecision Fallback(BucketSet buckets, long nowMicros, string operation)
    {
        if (buckets.AnyClosed)
        {
            _metrics.FallbackDecision(DecisionSource.ClosedFallback);
            _metrics.Refused(buckets.Caller, operation, "");
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

        [LoggerMessage(3, LogLevel.Error, "Taking the next lease of permits failed")]
        public static partial void RefillFailed(ILogger logger, Exception exception);
    }
}
