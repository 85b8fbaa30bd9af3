using System.Diagnostics.Metrics;
using DataForgeGateway.Primitives;

namespace DataForgeGateway.Redis;

/// <summary>Redis commands that failed or timed out, by the component that sent them (tokens, rate limits), and whether Redis is connected.</summary>
public sealed class RedisMetrics : FeatureMetrics
{
    public const string MeterName = "DataForgeGateway.Redis";

    private readonly Counter<long> _failures;

    public RedisMetrics(IMeterFactory meters)
        : base(meters, MeterName)
    {
        _failures = Meter.CreateCounter<long>("dataforge_gateway.redis.failures", "{failure}", "Redis commands that failed or timed out, by component.");
        Meter.CreateObservableGauge(
            "dataforge_gateway.redis.connected",
            () => Connected() is { } connected ? [new Measurement<int>(connected ? 1 : 0)] : Array.Empty<Measurement<int>>(),
            "{state}",
            "1 while the replica's connection to Redis is up; no series where Redis is not configured.");

        // Known label sets start at zero, so "no failure" is a 0 on a dashboard, not "No data".
        foreach (var component in Components)
        {
            _failures.Add(0, Tag("component", component));
        }
    }

    /// <summary>The parts of the gateway that use Redis, as the <c>component</c> tag names them.</summary>
    public static IReadOnlyList<string> Components { get; } = ["tokens", "ratelimit", "idempotency", "reads"];

    /// <summary>Set by the connection: whether it is up now; null where no Redis is configured (a gateway without Redis is not disconnected).</summary>
    public Func<bool?> Connected { get; set; } = () => null;

    public void Failed(string component) => _failures.Add(1, Tag("component", component));
}
