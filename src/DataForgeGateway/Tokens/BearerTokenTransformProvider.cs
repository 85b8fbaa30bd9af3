using DataForgeGateway.Api;
using DataForgeGateway.Primitives;
using Yarp.ReverseProxy.Transforms.Builder;

namespace DataForgeGateway.Tokens;

/// <summary>Adds the token transforms to every route that belongs to a DataForge environment.</summary>
internal sealed class BearerTokenTransformProvider(AccessTokenProvider tokens, LiveOptions<TokenOptions> options, TokenMetrics metrics) : ITransformProvider
{
    public void ValidateRoute(TransformRouteValidationContext context)
    {
    }

    public void ValidateCluster(TransformClusterValidationContext context)
    {
    }

    public void Apply(TransformBuilderContext context)
    {
        if (DataForgeRoute.FromMetadata(context.Route.Metadata)?.Environment is { } environment)
        {
            context.RequestTransforms.Add(new BearerTokenTransform(environment, tokens, options));
            context.ResponseTransforms.Add(UpstreamAnswerTransform.Instance);
            context.ResponseTransforms.Add(new TokenScrubTransform(environment, metrics));
        }
    }
}
