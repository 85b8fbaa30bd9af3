using DataForgeGateway.Problems;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Transforms;

namespace DataForgeGateway.Tokens;

/// <summary>
/// Sets <c>Authorization: Bearer &lt;token&gt;</c> on the request to DataForge. Without a token the request is not
/// forwarded: the caller gets 503 with <c>Retry-After</c>, since the failure is not theirs.
/// </summary>
internal sealed class BearerTokenTransform(string environment, AccessTokenProvider tokens, IOptionsMonitor<TokenOptions> options) : RequestTransform
{
    public override async ValueTask ApplyAsync(RequestTransformContext context)
    {
        AccessToken token;
        try
        {
            token = await tokens.GetAsync(environment, context.HttpContext.RequestAborted);
        }
        catch (TokenRequestException e)
        {
            await context.HttpContext.WriteProblemAsync(
                GatewayProblem.TokenUnavailable,
                $"The gateway could not get an access token for environment '{environment}'. Retry later.",
                e.RetryAfter ?? options.CurrentValue.RetryAfterWhenUnavailable);
            return;
        }

        var headers = context.ProxyRequest.Headers;
        headers.Remove("Authorization");
        headers.TryAddWithoutValidation("Authorization", token.AuthorizationHeader);
    }
}

/// <summary>Adds <see cref="BearerTokenTransform"/> to every route that belongs to a DataForge environment.</summary>
internal sealed class BearerTokenTransformProvider(AccessTokenProvider tokens, IOptionsMonitor<TokenOptions> options) : Yarp.ReverseProxy.Transforms.Builder.ITransformProvider
{
    public void ValidateRoute(Yarp.ReverseProxy.Transforms.Builder.TransformRouteValidationContext context)
    {
    }

    public void ValidateCluster(Yarp.ReverseProxy.Transforms.Builder.TransformClusterValidationContext context)
    {
    }

    public void Apply(Yarp.ReverseProxy.Transforms.Builder.TransformBuilderContext context)
    {
        if (Routing.RouteMetadata.EnvironmentOf(context.Route) is { } environment)
        {
            context.RequestTransforms.Add(new BearerTokenTransform(environment, tokens, options));
        }
    }
}
