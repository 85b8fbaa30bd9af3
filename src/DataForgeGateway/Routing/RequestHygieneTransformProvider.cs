using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace DataForgeGateway.Routing;

/// <summary>
/// DataForge receives only the headers it needs: an allow-list, so the caller's <c>Authorization</c>, its API key,
/// cookies and anything else internal never leave the company. No <c>X-Forwarded-*</c> either: internal
/// addresses are no business of a SaaS vendor. The caller's <c>traceparent</c> is not passed on as it came: DataForge
/// gets it continued, with the gateway's part of the request as parent (<see cref="Telemetry.RequestTrace"/>).
/// </summary>
internal sealed class RequestHygieneTransformProvider : ITransformProvider
{
    private static readonly string[] ForwardedHeaders =
    [
        "Accept", "Accept-Encoding", "Accept-Language", "Content-Type", "Content-Length", "Content-Encoding",
        "User-Agent", "tracestate",
    ];

    public void ValidateRoute(TransformRouteValidationContext context)
    {
    }

    public void ValidateCluster(TransformClusterValidationContext context)
    {
    }

    public void Apply(TransformBuilderContext context)
    {
        if (context.Route.Metadata?.ContainsKey(RouteMetadata.Operation) != true)
        {
            return;
        }

        context.UseDefaultForwarders = false;
        context.AddRequestHeadersAllowed(ForwardedHeaders);
    }
}
