using DataForgeGateway.Primitives;
using Yarp.ReverseProxy.Forwarder;

namespace DataForgeGateway.Telemetry;

/// <summary>
/// The forwarder's HttpClient when the gateway records spans: .NET's diagnostics handler starts the forwarded call's
/// span and sends DataForge its <c>traceparent</c> and <c>tracestate</c>, but not the caller's baggage
/// (<see cref="TraceContextOnlyPropagator"/>): the headers DataForge gets are an allow-list
/// (<see cref="Routing.RequestHygieneTransformProvider"/>), and YARP's default propagator would write baggage back.
/// </summary>
internal sealed class TracedForwarderHttpClientFactory(ILogger<ForwarderHttpClientFactory> logger) : ForwarderHttpClientFactory(logger)
{
    protected override void ConfigureHandler(ForwarderHttpClientContext context, SocketsHttpHandler handler)
    {
        base.ConfigureHandler(context, handler);
        handler.ActivityHeadersPropagator = new ReverseProxyPropagator(TraceContextOnlyPropagator.Instance);
    }
}
