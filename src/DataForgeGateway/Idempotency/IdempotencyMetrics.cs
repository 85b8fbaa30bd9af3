using System.Diagnostics.Metrics;
using DataForgeGateway.Primitives;

namespace DataForgeGateway.Idempotency;

/// <summary>What came of requests with an <c>Idempotency-Key</c>.</summary>
internal sealed class IdempotencyMetrics : FeatureMetrics
{
    public const string MeterName = "DataForgeGateway.Idempotency";

    private readonly Counter<long> _outcomes;

    public IdempotencyMetrics(IMeterFactory meters)
        : base(meters, MeterName)
    {
        _outcomes = Meter.CreateCounter<long>(
            "dataforge_gateway.idempotency.outcomes", "{request}", "Requests with an Idempotency-Key answered without DataForge: replayed, reused (422), in_flight (409).");
    }

    public void Replayed() => _outcomes.Add(1, Tag("outcome", "replayed"));

    public void Reused() => _outcomes.Add(1, Tag("outcome", "reused"));

    public void InFlight() => _outcomes.Add(1, Tag("outcome", "in_flight"));
}
