using System.Diagnostics.Metrics;

namespace DataForgeGateway.Redis;

/// <summary>Redis commands that failed or timed out, by the component that sent them (tokens, rate limits).</summary>
public sealed class RedisMetrics : IDisposable
{
    public const string MeterName = "DataForgeGateway.Redis";

    private readonly Meter _meter;
    private readonly Counter<long> _failures;

    public RedisMetrics(IMeterFactory meters)
    {
        _meter = meters.Create(MeterName);
        _failures = _meter.CreateCounter<long>("dataforge_gateway.redis.failures", "{failure}", "Redis commands that failed or timed out, by component.");
    }

    public void Failed(string component) => _failures.Add(1, new KeyValuePair<string, object?>("component", component));

    public void Dispose() => _meter.Dispose();
}
