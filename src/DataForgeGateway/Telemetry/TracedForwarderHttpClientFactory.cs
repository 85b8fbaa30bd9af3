using DataForgeGateway.Primitives;
using Microsoft.Net.Http.Headers;
using Yarp.ReverseProxy.Forwarder;

namespace DataForgeGateway.Telemetry;

/// <summary>
/// The forwarder's HttpClient when the gateway records spans. A call whose trace is recorded goes through .NET's
/// diagnostics handler, which starts the forwarded call's span and sends DataForge its <c>traceparent</c> and
/// <c>tracestate</c>, but not the caller's baggage (<see cref="TraceContextOnlyPropagator"/>): the headers DataForge
/// gets are an allow-list (<see cref="Routing.RequestHygieneTransformProvider"/>), and YARP's default propagator would
/// write baggage back. Every other call (most of them, with traces sampled at a ratio) already carries the trace
/// context the gateway wrote itself (<see cref="TraceContextTransformProvider"/>) and goes through a sibling client
/// of the same settings without that handler: no activity is made for a span nobody records.
/// </summary>
internal sealed class TracedForwarderHttpClientFactory(ILogger<ForwarderHttpClientFactory> logger) : ForwarderHttpClientFactory(logger)
{
    private readonly UntracedForwarderHttpClientFactory _untraced = new(logger);

    protected override void ConfigureHandler(ForwarderHttpClientContext context, SocketsHttpHandler handler)
    {
        base.ConfigureHandler(context, handler);
        handler.ActivityHeadersPropagator = new ReverseProxyPropagator(TraceContextOnlyPropagator.Instance);
    }

    protected override HttpMessageHandler WrapHandler(ForwarderHttpClientContext context, HttpMessageHandler handler)
    {
        // The sibling is made fresh with the recorded calls' handler, from the same configuration.
        var untraced = _untraced.CreateClient(new ForwarderHttpClientContext
        {
            ClusterId = context.ClusterId,
            OldConfig = context.OldConfig,
            OldMetadata = context.OldMetadata,
            NewConfig = context.NewConfig,
            NewMetadata = context.NewMetadata,
        });
        return new RecordedTraceRouter(handler, untraced);
    }

    /// <summary>Sends a call that carries the gateway's own trace context through the client without the diagnostics handler.</summary>
    private sealed class RecordedTraceRouter(HttpMessageHandler traced, HttpMessageInvoker untraced) : DelegatingHandler(traced)
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            request.Headers.Contains(HeaderNames.TraceParent)
                ? untraced.SendAsync(request, cancellationToken)
                : base.SendAsync(request, cancellationToken);

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                untraced.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
