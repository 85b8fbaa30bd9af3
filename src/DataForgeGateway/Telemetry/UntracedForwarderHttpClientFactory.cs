using Yarp.ReverseProxy.Forwarder;

namespace DataForgeGateway.Telemetry;

/// <summary>
/// The forwarder's HttpClient when the gateway records no span: without .NET's diagnostics handler, which would
/// otherwise start and tag an activity for every forwarded call that nobody listens to.
/// DataForge still gets the trace context, from <see cref="TraceContextTransformProvider"/>.
/// </summary>
internal sealed class UntracedForwarderHttpClientFactory(ILogger<ForwarderHttpClientFactory> logger) : ForwarderHttpClientFactory(logger)
{
    protected override void ConfigureHandler(ForwarderHttpClientContext context, SocketsHttpHandler handler)
    {
        base.ConfigureHandler(context, handler);
        handler.ActivityHeadersPropagator = null;
    }
}
