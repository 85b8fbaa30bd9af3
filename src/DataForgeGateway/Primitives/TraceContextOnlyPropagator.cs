using System.Diagnostics;
using Microsoft.Net.Http.Headers;

namespace DataForgeGateway.Primitives;

/// <summary>
/// What the gateway's calls to third parties (DataForge, Auth0) carry of a trace: the W3C <c>traceparent</c> of the
/// call's span and its <c>tracestate</c>, never the caller's baggage, which is the caller's internal context (user
/// ids, tenants). .NET's default propagator would send it. Used for sending only.
/// </summary>
internal sealed class TraceContextOnlyPropagator : DistributedContextPropagator
{
    public static readonly TraceContextOnlyPropagator Instance = new();

    public override IReadOnlyCollection<string> Fields { get; } = [HeaderNames.TraceParent, HeaderNames.TraceState];

    public override void Inject(Activity? activity, object? carrier, PropagatorSetterCallback? setter)
    {
        if (activity is not { IdFormat: ActivityIdFormat.W3C, Id: { } id } || setter is null)
        {
            return;
        }

        setter(carrier, HeaderNames.TraceParent, id);
        if (!string.IsNullOrEmpty(activity.TraceStateString))
        {
            setter(carrier, HeaderNames.TraceState, activity.TraceStateString);
        }
    }

    public override void ExtractTraceIdAndState(object? carrier, PropagatorGetterCallback? getter, out string? traceId, out string? traceState)
    {
        traceId = null;
        traceState = null;
    }

    public override IEnumerable<KeyValuePair<string, string?>>? ExtractBaggage(object? carrier, PropagatorGetterCallback? getter) => null;
}
