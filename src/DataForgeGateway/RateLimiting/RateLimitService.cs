using System.Collections.Concurrent;
using DataForgeGateway.Callers;
using DataForgeGateway.Hosting;
using DataForgeGateway.Redis;
using StackExchange.Redis;

namespace DataForgeGateway.RateLimiting;

/// <summary>
/// Decides whether a caller's request is within its limits: in Redis when one is configured (one limit for the
/// whole deployment), in-process otherwise. While Redis is unavailable each policy does what it is configured to
/// (local share, open, closed), and Redis is tried again every <see cref="RateLimitOptions.RedisRetryInterval"/>.
/// </summary>
internal sealed partial class RateLimitService : IDisposable
{
    private readonly LiveOptions<RateLimitOptions> _options;
    private readonly LiveOptions<CallersOptions> _callers;
    private readonly LocalRateLimiter _local;
    private readonly RedisRateLimiter? _shared;
    private readonly RateLimitMetrics _metrics;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<(string Caller, string Operation), BucketSet> _sets = new();
    private long _fallbackUntilTicks;

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
        _options.Changed += Forget;
        _callers.Changed += Forget;
        _metrics.InFallback = () => InFallback;
    }

    /// <summary>Whether limits are being enforced without Redis right now.</summary>
    public bool InFallback => _shared is not null && _clock.GetUtcNow().UtcTicks < Interlocked.Read(ref _fallbackUntilTicks);

    public async ValueTask<RateLimitDecision> DecideAsync(string caller, string operation)
    {
        // TryGetValue first: GetOrAdd with an instance method would allocate its delegate on every request.
        if (!_sets.TryGetValue((caller, operation), out var buckets))
        {
            buckets = _sets.GetOrAdd((caller, operation), Resolve);
        }

        if (_shared is null)
        {
            return Decided(DecisionSource.Local, buckets, buckets.Limits, _local.Decide(caller, buckets.Limits, NowMicros()), operation);
        }

        var now = _clock.GetUtcNow();
        if (now.UtcTicks >= Interlocked.Read(ref _fallbackUntilTicks))
        {
            try
            {
                var states = await _shared.DecideAsync(caller, buckets.Limits);
                if (Interlocked.Exchange(ref _fallbackUntilTicks, 0) != 0)
                {
                    Log.RedisBack(_logger);
                }

                return Decided(DecisionSource.Shared, buckets, buckets.Limits, states, operation);
            }
            catch (Exception e) when (RedisConnection.IsFailure(e) || e is OperationCanceledException)
            {
                // No cancellation token is passed to Redis: a cancellation here is StackExchange.Redis giving up
                // on a command (a connection that stalled or dropped), a Redis failure like the others.
                _metrics.RedisFailed();
                Interlocked.Exchange(ref _fallbackUntilTicks, (now + _options.Current.RedisRetryInterval).UtcTicks);
                Log.RedisUnavailable(_logger, e.GetType().Name);
            }
        }

        // Read the clock again: the failed Redis call took time.
        return Fallback(caller, buckets, NowMicros(), operation);
    }

    public void Dispose()
    {
        _options.Changed -= Forget;
        _callers.Changed -= Forget;
    }

    private long NowMicros() => (_clock.GetUtcNow().UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;

    private RateLimitDecision Fallback(string caller, BucketSet buckets, long nowMicros, string operation)
    {
        if (buckets.Modes.Contains(RedisFailureMode.Closed))
        {
            var wait = new BucketState(false, 0, (long)_options.Current.RedisRetryInterval.TotalMicroseconds, 0);
            var closed = new RateLimitDecision(false, DecisionSource.ClosedFallback, buckets, [], []) { ClosedRetryAfter = wait };
            _metrics.FallbackDecision(DecisionSource.ClosedFallback);
            _metrics.Refused(caller, operation, "");
            return closed;
        }

        var local = buckets.LocalLimits.Where((_, i) => buckets.Modes[i] == RedisFailureMode.LocalShare).ToArray();
        var source = local.Length == 0 ? DecisionSource.OpenFallback : DecisionSource.LocalFallback;
        _metrics.FallbackDecision(source);
        return Decided(source, buckets, local, _local.Decide(caller, local, nowMicros), operation);
    }

    private RateLimitDecision Decided(DecisionSource source, BucketSet buckets, BucketLimit[] applied, BucketState[] states, string operation)
    {
        var decision = new RateLimitDecision(RateLimitDecision.AllAdmitted(states), source, buckets, applied, states);
        if (!decision.Admitted)
        {
            _metrics.Refused(buckets.Caller, operation, decision.RefusedBy ?? "");
        }

        return decision;
    }

    private BucketSet Resolve((string Caller, string Operation) key)
    {
        var defaults = _options.Current;
        var caller = _callers.Current.Callers.GetValueOrDefault(key.Caller);
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

    private void Forget<T>(T changed) => _sets.Clear();

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Redis is unavailable for rate limits ({Error}); each replica enforces its fallback until it is back")]
        public static partial void RedisUnavailable(ILogger logger, string error);

        [LoggerMessage(2, LogLevel.Information, "Redis is back: rate limits are shared by all replicas again")]
        public static partial void RedisBack(ILogger logger);
    }
}
