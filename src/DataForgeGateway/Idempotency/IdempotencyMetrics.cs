using System.Diagnostics.Metrics;

namespace DataForgeGateway.Idempotency;

/// <summary>What came of requests with an <c>Idempotency-Key</c>.</summary>
internal sealed class IdempotencyMetrics : IDisposable
{
    public const string MeterName = "DataForgeGateway.Idempotency";

    private readonly Meter _meter;
    private readonly Counter<long> _outcomes;

    public IdempotencyMetrics(IMeterFactory meters)
    {
        _meter = meters.Create(MeterName);
        _outcomes = _meter.CreateCounter<long>(
            "dataforge_gateway.idempotency.outcomes", "{request}", "Requests with an Idempotency-Key answered without DataForge: replayed, reused (422), in_flight (409).");
    }

    public void Replayed() => _outcomes.Add(1, new KeyValuePair<string, object?>("outcome", "replayed"));

    public void Reused() => _outcomes.Add(1, new KeyValuePair<string, object?>("outcome", "reused"));

    public void InFlight() => _outcomes.Add(1, new KeyValuePair<string, object?>("outcome", "in_flight"));

    public void Dispose() => _meter.Dispose();
}
