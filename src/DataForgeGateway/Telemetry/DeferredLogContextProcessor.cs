using DataForgeGateway.Primitives;
using OpenTelemetry;
using OpenTelemetry.Logs;

namespace DataForgeGateway.Telemetry;

/// <summary>
/// Puts the time and trace context of a record logged after the fact (<see cref="IDeferredLogContext"/>: the
/// audit's) on the OpenTelemetry log record itself: its timestamp is when the request started, its trace and span
/// ids are the request's, so a backend shows it with the request's trace. Added ahead of the exporters: it runs
/// before the batch processor copies the attributes.
/// </summary>
internal sealed class DeferredLogContextProcessor : BaseProcessor<LogRecord>
{
    public override void OnEnd(LogRecord data)
    {
        if (data.Attributes is not IDeferredLogContext deferred)
        {
            return;
        }

        data.Timestamp = deferred.Time.UtcDateTime;
        var trace = deferred.Trace;
        if (trace.TraceId != default)
        {
            data.TraceId = trace.TraceId;
            data.SpanId = trace.SpanId;
            data.TraceFlags = trace.TraceFlags;
        }

        deferred.ContextTaken();
    }
}
