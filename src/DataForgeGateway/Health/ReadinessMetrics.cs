using System.Diagnostics.Metrics;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using DataForgeGateway.Primitives;

namespace DataForgeGateway.Health;

/// <summary>
/// Readiness as a metric, for alerts on replicas that are not Ready (a pod the kubelet keeps out of the Service is still
/// scraped), and the process's start time, whose changes are restarts. The readiness checks run every
/// <see cref="Period"/> for it, as a probe would.
/// </summary>
public sealed class ReadinessMetrics : FeatureMetrics, IHealthCheckPublisher
{
    public const string MeterName = "DataForgeGateway.Health";

    /// <summary>How often the readiness checks run for the metric.</summary>
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(10);

    private static readonly long StartedAt = System.Diagnostics.Process.GetCurrentProcess().StartTime.ToUniversalTime().Ticks;

    private volatile int _ready = 1;

    public ReadinessMetrics(IMeterFactory meters)
        : base(meters, MeterName)
    {
        Meter.CreateObservableGauge("dataforge_gateway.ready", () => _ready, "{state}", "1 while this replica's readiness is not Unhealthy (it can serve its callers), 0 while it is not Ready.");
        Meter.CreateObservableGauge(
            "dataforge_gateway.start_time",
            () => (StartedAt - DateTime.UnixEpoch.Ticks) / (double)TimeSpan.TicksPerSecond,
            "s",
            "When this process started, in seconds since 1970: a change on the same pod is a restart.");
    }

    public Task PublishAsync(HealthReport report, CancellationToken cancellationToken)
    {
        _ready = report.Status == HealthStatus.Unhealthy ? 0 : 1;
        return Task.CompletedTask;
    }
}
