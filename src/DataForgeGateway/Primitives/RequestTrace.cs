using System.Diagnostics;

namespace DataForgeGateway.Primitives;

/// <summary>
/// Where a request stands in its W3C trace: the trace id the audit record, the problem bodies and DataForge all
/// see. When something traces requests (OTLP configured, or ASP.NET Core's request logging switched on) it is the
/// request activity's. Otherwise no activity is created for a request (an activity and the async context around it
/// for every request, that nothing reads), and the gateway continues the caller's
/// <c>traceparent</c> itself: same trace id and sampled flag, a span id of its own, or a new trace when the caller
/// sent none (or one that does not parse).
/// </summary>
public static class RequestTrace
{
    private const int MaxTraceStateLength = 512;
    private const int MaxTraceStateMembers = 32;

    /// <summary>The trace context of a request: the one taken when it started, else the current activity's.</summary>
    public static ActivityContext Of(HttpContext context) =>
        context.Features.Get<IRequestTraceFeature>()?.Trace ?? Activity.Current?.Context ?? default;

    /// <summary>The request's trace context, taken once when the request starts.</summary>
    public static ActivityContext Begin(HttpContext context)
    {
        if (Activity.Current is { IdFormat: ActivityIdFormat.W3C } activity)
        {
            // The request's spans and DataForge (which gets it from the activity) see the caller's tracestate only
            // within W3C's bounds.
            if (activity.TraceStateString is { } state && !IsWithinBounds(state))
            {
                activity.TraceStateString = null;
            }

            return activity.Context;
        }

        var span = ActivitySpanId.CreateRandom();
        return context.Request.Headers.TraceParent is { Count: 1 } traceparent
            && ActivityContext.TryParse(traceparent[0], traceState: null, out var parent)
                ? new ActivityContext(parent.TraceId, span, parent.TraceFlags)
                : new ActivityContext(ActivityTraceId.CreateRandom(), span, ActivityTraceFlags.None);
    }

    /// <summary>
    /// Whether a <c>tracestate</c> keeps within W3C's bounds (at most 32 members, 512 characters); one beyond them is
    /// dropped and the trace continues without it.
    /// </summary>
    public static bool IsWithinBounds(string traceState) =>
        traceState.Length <= MaxTraceStateLength && traceState.AsSpan().Count(',') < MaxTraceStateMembers;

    /// <summary>The <c>traceparent</c> value that makes the gateway's part of the request the parent.</summary>
    public static string TraceParent(in ActivityContext trace) => string.Create(55, trace, static (text, trace) =>
    {
        // The ids keep their lowercase hex text: copied, not turned into bytes and back.
        "00-".CopyTo(text);
        trace.TraceId.ToHexString().CopyTo(text[3..35]);
        text[35] = '-';
        trace.SpanId.ToHexString().CopyTo(text[36..52]);
        ((trace.TraceFlags & ActivityTraceFlags.Recorded) != 0 ? "-01" : "-00").CopyTo(text[52..]);
    });
}

/// <summary>The request's trace context, taken once when it starts (by the audit, which wraps every request).</summary>
public interface IRequestTraceFeature
{
    ActivityContext Trace { get; }
}

/// <summary>The per-request fact of the trace context, set once when the request starts.</summary>
public sealed class RequestTraceFeature(ActivityContext trace) : IRequestTraceFeature
{
    public ActivityContext Trace { get; } = trace;
}
