using System.Diagnostics.Metrics;

namespace DataForgeGateway.Callers;

/// <summary>What becomes of requests without a valid key.</summary>
internal sealed class CallerMetrics : IDisposable
{
    public const string MeterName = "DataForgeGateway.Callers";

    private readonly Meter _meter;
    private readonly Counter<long> _failedAuthentications;

    public CallerMetrics(IMeterFactory meters)
    {
        _meter = meters.Create(MeterName);
        _failedAuthentications = _meter.CreateCounter<long>(
            "dataforge_gateway.ratelimit.failed_authentication_refusals", "{request}", "Requests without a valid key answered 429: their address was over the failed-authentication limit.");
    }

    public void FailedAuthenticationRefused() => _failedAuthentications.Add(1);

    public void Dispose() => _meter.Dispose();
}
