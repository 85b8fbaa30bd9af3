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
    private readonly RateLimitPolicies _policies;
    private readonly RedisBreaker _breaker;
    private readonly LocalRateLimiter _local;
    private readonly RedisRateLimiter? _shared;
    private readonly PermitLeases _leases = new();
    private readonly RateLimitMetrics _metrics;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;

    public RateLimitService(
        LiveOptions<RateLimitOptions> options,
        RateLimitPolicies policies,
        RedisBreaker breaker,
        LocalRateLimiter local,
        RateLimitMetrics metrics,
        TimeProvider clock,
        ILogger<RateLimitService> logger,
        RedisRateLimiter? shared = null)
    {
        (_options, _policies, _breaker, _local, _shared, _metrics, _clock, _logger) = (options, policies, breaker, local, shared, metrics, clock, logger);
        _metrics.InFallback = () => InFallback;
    }

    /// <summary>Whether limits are enforced without Redis (<see cref="RedisBreaker.IsOpen"/>); never without a Redis configured.</summary>
    public bool InFallback => _shared is not null && _breaker.IsOpen;

    /// <summary>
    /// The decision on one request. Synchronous, allocating nothing, whenever no Redis call is needed: one replica,
    /// a permit of this replica's lease (or its remembered refusal), the fallback. Asynchronous only to call Redis,
    /// or to wait for the lease another request of the same caller and operation is taking.
    /// </summary>
    public ValueTask<RateLimitDecision> DecideAsync(string caller, string operation)
    {
        var buckets = _policies.For(caller, operation);
        if (_shared is null)
        {
            return new(DecidedLocally(DecisionSource.Local, buckets, buckets.Limits, NowMicros(), operation));
        }

        if (_breaker.IsOpen)
        {
            // On the fallback, one request at a time probes Redis, exactly (one request in Redis); the others stay.
            return _breaker.TryProbe() ? ExactAsync(buckets, operation, probe: true) : new(Fallback(buckets, NowMicros(), operation));
        }

        var settings = _options.Current.Leases;
        if (!PermitLeases.Applies(buckets, settings))
        {
            return ExactAsync(buckets, operation, probe: false);
        }

        var lease = _leases.For(buckets);
        switch (lease.TryTake(NowMicros(), PermitLeases.MaxPermits(buckets, settings), out var states, out var request, out var pending, _breaker.Failures))
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
            if (_breaker.IsOpen)
            {
                return await DecideAsync(buckets.Caller, operation);
            }

            var outcome = lease.TryTake(NowMicros(), PermitLeases.MaxPermits(buckets, settings), out var states, out var request, out pending, _breaker.Failures);
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
            _breaker.Answered();
            return states;
        }
        catch (Exception e) when (RedisConnection.IsFailure(e))
        {
            _breaker.Failed(_shared!.Describe(e));
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
            _breaker.Answered();
            return Decided(DecisionSource.Shared, buckets, buckets.Limits, states, operation);
        }
        catch (Exception e) when (RedisConnection.IsFailure(e))
        {
            _breaker.Failed(_shared!.Describe(e));
            return Fallback(buckets, NowMicros(), operation);
        }
        finally
        {
            if (probe)
            {
                _breaker.ProbeDone();
            }
        }
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

    private static partial class Log
    {
        [LoggerMessage(3, LogLevel.Error, "Taking the next lease of permits failed")]
        public static partial void RefillFailed(ILogger logger, Exception exception);
    }
}
