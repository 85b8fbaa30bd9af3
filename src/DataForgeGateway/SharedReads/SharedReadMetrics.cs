using System.Diagnostics.Metrics;
using DataForgeGateway.Primitives;

namespace DataForgeGateway.SharedReads;

/// <summary>Reads answered without a DataForge call of their own.</summary>
internal sealed class SharedReadMetrics : FeatureMetrics
{
    public const string MeterName = "DataForgeGateway.SharedReads";

    private readonly Counter<long> _served;

    public SharedReadMetrics(IMeterFactory meters)
        : base(meters, MeterName)
    {
        _served = Meter.CreateCounter<long>(
            "dataforge_gateway.reads.shared_answers", "{request}", "Reads answered with another read's DataForge answer: shared (concurrent) or cached.");
    }

    public void Served(string kind) => _served.Add(1, Tag("kind", kind));
}
