using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace DataForgeGateway.Tests.Infrastructure;

/// <summary>One counter of every replica running when it was made, read as one sum of what they recorded since.</summary>
public sealed class ReplicaCounter(IEnumerable<GatewayHost> gateways, string meter, string instrument) : IDisposable
{
    private readonly List<MetricCollector<long>> _collectors =
        [.. gateways.Select(g => new MetricCollector<long>(g.Services.GetRequiredService<IMeterFactory>(), meter, instrument))];

    public long Sum => _collectors.Sum(c => c.GetMeasurementSnapshot().Sum(m => m.Value));

    public void Dispose() => _collectors.ForEach(c => c.Dispose());
}
