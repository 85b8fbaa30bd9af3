using DataForgeGateway.Api;
using DataForgeGateway.Primitives;
using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace DataForgeGateway.Routing;

/// <summary>
/// DataForge receives only the headers it needs, and callers only the response headers they need: allow-lists, so the caller's <c>Authorization</c>, its API key,
/// cookies and anything else internal never leave the company. No <c>X-Forwarded-*</c> either: internal
/// addresses are no business of a SaaS vendor. The caller's <c>traceparent</c> is not passed on as it came: DataForge
/// gets it continued, with the gateway's part of the request as parent (<see cref="Primitives.RequestTrace"/>).
/// </summary>
internal sealed class RequestHygieneTransformProvider : ITransformProvider
{
    // Not Accept-Encoding: DataForge's answers come back uncompressed, so that the gateway can see (and mask) its
    // own token in them; they are small JSON documents.
    private static readonly string[] ForwardedHeaders =
    [
        "Accept", "Accept-Language", "Content-Type", "Content-Length", "Content-Encoding",
        "User-Agent", "tracestate",
    ];

    /// <summary>
    /// What callers are given of DataForge's response headers: the content, rate-limit and caching headers. Not its
    /// cookies, <c>WWW-Authenticate</c> (a 401 of DataForge's is about the gateway's token, not the caller), <c>Server</c>
    /// or internal headers.
    /// </summary>
    private static readonly string[] ReturnedHeaders =
    [
        "Content-Type", "Content-Length", "Content-Encoding", "Content-Language", "Content-Disposition",
        "Retry-After", "RateLimit", "RateLimit-Policy", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset",
        "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset",
        "Cache-Control", "Expires", "ETag", "Last-Modified", "Vary", "Age",
    ];

    public void ValidateRoute(TransformRouteValidationContext context)
    {
    }

    public void ValidateCluster(TransformClusterValidationContext context)
    {
    }

    public void Apply(TransformBuilderContext context)
    {
        if (DataForgeRoute.FromMetadata(context.Route.Metadata) is null)
        {
            return;
        }

        context.UseDefaultForwarders = false;
        context.AddRequestHeadersAllowed(ForwardedHeaders);
        context.AddResponseHeadersAllowed(ReturnedHeaders);
        context.RequestTransforms.Add(CanonicalTarget.Instance);
        context.ResponseTransforms.Add(NoProtocolSwitch.Instance);
    }

    /// <summary>
    /// An informational status as DataForge's final answer (a 101 to a request that asked no upgrade: the gateway asks
    /// none) is no answer of DataForge's API: the caller gets 502, and none of what followed it is passed on.
    /// </summary>
    private sealed class NoProtocolSwitch : ResponseTransform
    {
        public static readonly NoProtocolSwitch Instance = new();

        public override ValueTask ApplyAsync(ResponseTransformContext context)
        {
            if (context.ProxyResponse is { StatusCode: < System.Net.HttpStatusCode.OK })
            {
                context.SuppressResponseBody = true;
                context.HttpContext.Response.Headers.Clear();
                context.HttpContext.Response.StatusCode = StatusCodes.Status502BadGateway;
            }

            return ValueTask.CompletedTask;
        }
    }

    /// <summary>
    /// DataForge is sent the canonical path and query built from the checked values, whatever case, trailing slash
    /// or encoding the caller used; and a <c>tracestate</c> within W3C's bounds, or none.
    /// </summary>
    private sealed class CanonicalTarget : RequestTransform
    {
        public static readonly CanonicalTarget Instance = new();

        public override ValueTask ApplyAsync(RequestTransformContext context)
        {
            if (context.HttpContext.Features.Get<RequestParameters>() is { IsValid: true } validated)
            {
                context.ProxyRequest.RequestUri = new Uri(context.DestinationPrefix.TrimEnd('/') + validated.PathAndQuery(), UriKind.Absolute);
            }

            if (context.ProxyRequest.Headers.TryGetValues("tracestate", out var values)
                && !RequestTrace.IsWithinBounds(string.Join(',', values)))
            {
                context.ProxyRequest.Headers.Remove("tracestate");
            }

            return ValueTask.CompletedTask;
        }
    }
}
