using System.Diagnostics;
using System.Diagnostics.Metrics;
using DataForgeGateway.Primitives;

namespace DataForgeGateway.Audit;

/// <summary>Requests through the gateway, by caller, operation, environment, status and outcome, and how long they took.</summary>
public sealed class GatewayMetrics : FeatureMetrics
{
    public const string MeterName = "DataForgeGateway";

    private readonly Counter<long> _requests;
    private readonly Histogram<double> _duration;

    public GatewayMetrics(IMeterFactory meters)
        : base(meters, MeterName)
    {
        _requests = Meter.CreateCounter<long>("dataforge_gateway.requests", "{request}", "Requests through the gateway, by caller, operation, environment, status and outcome.");
        _duration = Meter.CreateHistogram<double>(
            "dataforge_gateway.request.duration",
            "s",
            "Time from the request's arrival to the end of its response, by caller, operation and outcome.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] });
    }

    public void Record(AuditRecord record)
    {
        if (!_requests.Enabled && !_duration.Enabled)
        {
            return;   // nothing collects metrics (no OTLP endpoint): spare building the tags
        }

        var tags = new TagList
        {
            { "caller", record.Caller ?? "anonymous" },
            { "operation", record.Operation ?? "none" },
            { "environment", record.Environment ?? "none" },
            { "outcome", record.Outcome },
        };
        _duration.Record(record.DurationMs / 1000, tags);
        tags.Add("status_code", BoxedStatus.Of(record.Status));
        _requests.Add(1, tags);
    }
}
