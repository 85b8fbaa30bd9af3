using System.Diagnostics;
using Yarp.ReverseProxy.Forwarder;

namespace DataForgeGateway.Telemetry;

/// <summary>
/// The forwarder's HttpClient when the gateway records no span: without .NET's diagnostics handler, which would
/// otherwise start and tag an activity for every forwarded call that nobody listens to (about 2 µs a request).
/// DataForge still gets the trace context, from a handler that sends the request's own <c>traceparent</c>.
/// </summary>
internal sealed class UntracedForwarderHttpClientFactory(ILogger<ForwarderHttpClientFactory> logger) : ForwarderHttpClientFactory(logger)
{
    protected override void ConfigureHandler(ForwarderHttpClientContext context, SocketsHttpHandler handler)
    {
        base.ConfigureHandler(context, handler);
        handler.ActivityHeadersPropagator = null;
    }

    protected override HttpMessageHandler WrapHandler(ForwarderHttpClientContext context, HttpMessageHandler handler) =>
        new TraceContextHandler(base.WrapHandler(context, handler));

    /// <summary>
    /// DataForge continues the request's trace: the caller's trace id and sampled flag, the gateway's request as
    /// parent, and the same trace id as the audit record.
    /// </summary>
    private sealed class TraceContextHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (Activity.Current is { IdFormat: ActivityIdFormat.W3C, Id: { } traceparent })
            {
                request.Headers.Remove("traceparent");
                request.Headers.TryAddWithoutValidation("traceparent", traceparent);
            }

            return base.SendAsync(request, cancellationToken);
        }
    }
}
