using System.Diagnostics;
using Yarp.ReverseProxy.Forwarder;

namespace DataForgeGateway.Telemetry;

/// <summary>
/// The forwarder's HttpClient when the gateway records spans: .NET's diagnostics handler starts the forwarded call's
/// span and sends DataForge its <c>traceparent</c> and <c>tracestate</c>, but not the caller's baggage. Baggage is
/// the caller's internal context (user ids, tenants), and the headers DataForge gets are an allow-list
/// (<see cref="Routing.RequestHygieneTransformProvider"/>); YARP's default propagator would write it back.
/// </summary>
internal sealed class TracedForwarderHttpClientFactory(ILogger<ForwarderHttpClientFactory> logger) : ForwarderHttpClientFactory(logger)
{
    protected override void ConfigureHandler(ForwarderHttpClientContext context, SocketsHttpHandler handler)
    {
        base.ConfigureHandler(context, handler);
        handler.ActivityHeadersPropagator = new ReverseProxyPropagator(TraceContextOnly.Instance);
    }

    /// <summary>W3C trace context of the forwarded call's span, and nothing else; used for sending only.</summary>
    private sealed class TraceContextOnly : DistributedContextPropagator
    {
        public static readonly TraceContextOnly Instance = new();

        public override IReadOnlyCollection<string> Fields { get; } = ["traceparent", "tracestate"];

        public override void Inject(Activity? activity, object? carrier, PropagatorSetterCallback? setter)
        {
            if (activity is not { IdFormat: ActivityIdFormat.W3C, Id: { } id } || setter is null)
            {
                return;
            }

            setter(carrier, "traceparent", id);
            if (!string.IsNullOrEmpty(activity.TraceStateString))
            {
                setter(carrier, "tracestate", activity.TraceStateString);
            }
        }

        public override void ExtractTraceIdAndState(object? carrier, PropagatorGetterCallback? getter, out string? traceId, out string? traceState)
        {
            traceId = null;
            traceState = null;
        }

        public override IEnumerable<KeyValuePair<string, string?>>? ExtractBaggage(object? carrier, PropagatorGetterCallback? getter) => null;
    }
}
