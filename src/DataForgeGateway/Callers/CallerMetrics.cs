using System.Diagnostics.Metrics;
using DataForgeGateway.Primitives;

namespace DataForgeGateway.Callers;

/// <summary>What becomes of requests without a valid key.</summary>
internal sealed class CallerMetrics : FeatureMetrics
{
    public const string MeterName = "DataForgeGateway.Callers";

    private readonly Counter<long> _failedAuthentications;

    public CallerMetrics(IMeterFactory meters)
        : base(meters, MeterName)
    {
        _failedAuthentications = Meter.CreateCounter<long>(
            "dataforge_gateway.ratelimit.failed_authentication_refusals", "{request}", "Requests without a valid key answered 429: their address was over the failed-authentication limit.");
    }

    public void FailedAuthenticationRefused() => _failedAuthentications.Add(1);
}
