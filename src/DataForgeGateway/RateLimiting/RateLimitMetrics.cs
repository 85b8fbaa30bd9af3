using System.Diagnostics.Metrics;
using DataForgeGateway.Primitives;

namespace DataForgeGateway.RateLimiting;

/// <summary>Rate-limit refusals, decisions taken without Redis, and whether the limiter is on its fallback now.</summary>
internal sealed class RateLimitMetrics : FeatureMetrics
{
    public const string MeterName = "DataForgeGateway.RateLimiting";

    private readonly Counter<long> _refusals;
    private readonly Counter<long> _fallbackDecisions;
    private readonly Counter<long> _redisCalls;
    private readonly Redis.RedisMetrics _redis;

    public RateLimitMetrics(IMeterFactory meters, Redis.RedisMetrics redis)
        : base(meters, MeterName)
    {
        _redis = redis;
        _refusals = Meter.CreateCounter<long>("dataforge_gateway.ratelimit.refusals", "{request}", "Requests refused by a rate limit, by caller, operation and policy.");
        Meter.CreateObservableGauge("dataforge_gateway.ratelimit.fallback_active", () => InFallback() ? 1 : 0, "{state}", "1 while rate limits are enforced without Redis.");
        _redisCalls = Meter.CreateCounter<long>("dataforge_gateway.ratelimit.redis_calls", "{call}", "Rate-limit calls to Redis: one per request for small buckets, one per lease for the others.");
        _fallbackDecisions = Meter.CreateCounter<long>("dataforge_gateway.ratelimit.fallback_decisions", "{request}", "Rate-limit decisions taken without Redis, by mode (local, open, closed).");

        // Known label sets start at zero (a dashboard shows 0, not "No data"). Refusals are by caller: their series
        // appear with the first refusal, so /metrics does not grow with every caller configured.
        foreach (var mode in new[] { "local", "open", "closed" })
        {
            _fallbackDecisions.Add(0, Tag("mode", mode));
        }
    }

    /// <summary>Set by the limiter: whether it is on its fallback.</summary>
    public Func<bool> InFallback { get; set; } = () => false;

    public void Refused(string caller, string operation, string policy) =>
        _refusals.Add(1, Tag("caller", caller), Tag("operation", operation), Tag("policy", policy));

    public void FallbackDecision(DecisionSource source) =>
        _fallbackDecisions.Add(1, Tag("mode", source switch
        {
            DecisionSource.OpenFallback => "open",
            DecisionSource.ClosedFallback => "closed",
            _ => "local",
        }));

    public void RedisFailed() => _redis.Failed("ratelimit");

    public void RedisCall() => _redisCalls.Add(1);
}
