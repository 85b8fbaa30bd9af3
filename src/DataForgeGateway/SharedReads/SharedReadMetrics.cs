using System.Diagnostics.Metrics;

namespace DataForgeGateway.SharedReads;

/// <summary>Reads answered without a DataForge call of their own.</summary>
internal sealed class SharedReadMetrics : IDisposable
{
    public const string MeterName = "DataForgeGateway.SharedReads";

    private readonly Meter _meter;
    private readonly Counter<long> _served;

    public SharedReadMetrics(IMeterFactory meters)
    {
        _meter = meters.Create(MeterName);
        _served = _meter.CreateCounter<long>(
            "dataforge_gateway.reads.shared_answers", "{request}", "Reads answered with another read's DataForge answer: shared (concurrent) or cached.");
    }

    public void Served(string kind) => _served.Add(1, new KeyValuePair<string, object?>("kind", kind));

    public void Dispose() => _meter.Dispose();
}
