using System.Diagnostics;
using DataForgeGateway.Primitives;
using Microsoft.Net.Http.Headers;
using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace DataForgeGateway.Telemetry;

/// <summary>
/// DataForge continues the request's trace whether or not a span of it is recorded: the caller's trace id and sampled
/// flag, the gateway's part of the request as parent, the audit record's trace id (<see cref="RequestTrace"/>).
/// When the gateway records no span at all, this writes every forwarded call's <c>traceparent</c>. When it records
/// spans, this writes it for the calls whose trace is not recorded, and .NET's HttpClient instrumentation starts the
/// forwarded call's span and writes it for the others (<see cref="TracedForwarderHttpClientFactory"/>).
/// </summary>
/// <param name="recordedByHttpClient">Spans are recorded: a recorded trace's <c>traceparent</c> is left to HttpClient.</param>
internal sealed class TraceContextTransformProvider(bool recordedByHttpClient) : ITransformProvider
{
    public void ValidateRoute(TransformRouteValidationContext context)
    {
    }

    public void ValidateCluster(TransformClusterValidationContext context)
    {
    }

    public void Apply(TransformBuilderContext context)
    {
        var leaveRecorded = recordedByHttpClient;
        context.AddRequestTransform(transform =>
        {
            if (transform.HttpContext.Features.Get<IRequestTraceFeature>() is { } request
                && !(leaveRecorded && (request.Trace.TraceFlags & ActivityTraceFlags.Recorded) != 0))
            {
                transform.ProxyRequest.Headers.TryAddWithoutValidation(HeaderNames.TraceParent, RequestTrace.TraceParent(request.Trace));
            }

            return ValueTask.CompletedTask;
        });
    }
}
