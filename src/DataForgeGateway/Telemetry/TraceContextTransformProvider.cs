using DataForgeGateway.Primitives;
using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace DataForgeGateway.Telemetry;

/// <summary>
/// When the gateway records no span, DataForge continues the request's trace all the same: the caller's trace id
/// and sampled flag, the gateway's part of the request as parent, the audit record's trace id
/// (<see cref="RequestTrace"/>). With tracing on, .NET's HttpClient instrumentation sends it instead.
/// </summary>
internal sealed class TraceContextTransformProvider : ITransformProvider
{
    public void ValidateRoute(TransformRouteValidationContext context)
    {
    }

    public void ValidateCluster(TransformClusterValidationContext context)
    {
    }

    public void Apply(TransformBuilderContext context) => context.AddRequestTransform(static transform =>
    {
        if (transform.HttpContext.Features.Get<IRequestTraceFeature>() is { } request)
        {
            transform.ProxyRequest.Headers.TryAddWithoutValidation("traceparent", RequestTrace.TraceParent(request.Trace));
        }

        return ValueTask.CompletedTask;
    });
}
