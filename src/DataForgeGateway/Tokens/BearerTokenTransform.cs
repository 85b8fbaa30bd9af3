using DataForgeGateway.Problems;
using DataForgeGateway.Hosting;
using Yarp.ReverseProxy.Transforms;

namespace DataForgeGateway.Tokens;

/// <summary>
/// Sets <c>Authorization: Bearer &lt;token&gt;</c> on the request to DataForge. Without a token the request is not
/// forwarded: the caller gets 503 with <c>Retry-After</c>, since the failure is not theirs.
/// </summary>
internal sealed class BearerTokenTransform(string environment, AccessTokenProvider tokens, LiveOptions<TokenOptions> options) : RequestTransform
{
    public override async ValueTask ApplyAsync(RequestTransformContext context)
    {
        AccessToken token;
        var audit = context.HttpContext.Features.Get<Audit.AuditRecord>();
        try
        {
            var pending = tokens.GetAsync(environment, context.HttpContext.RequestAborted);
            var fromMemory = pending.IsCompletedSuccessfully;
            token = await pending;
            if (audit is not null)
            {
                audit.TokenSource = fromMemory ? "memory" : token.Origin == TokenSource.Redis ? "redis" : "auth0";
            }
        }
        catch (TokenRequestException e)
        {
            await context.HttpContext.WriteProblemAsync(
                GatewayProblem.TokenUnavailable,
                $"The gateway could not get an access token for environment '{environment}'. Retry later.",
                e.RetryAfter ?? options.Current.RetryAfterWhenUnavailable);
            return;
        }

        if (context.HttpContext.Features.Get<TokenAttempt>() is { } attempt)
        {
            attempt.Sent = token;
        }

        var headers = context.ProxyRequest.Headers;
        headers.Remove("Authorization");
        headers.TryAddWithoutValidation("Authorization", token.AuthorizationHeader);
    }
}

/// <summary>
/// Notes that DataForge accepted the token, or holds back DataForge's 401 (it says the gateway's token is bad, not the caller's key) so that
/// <see cref="TokenReplayMiddleware"/> can renew the token and replay the request.
/// </summary>
internal sealed class RejectedTokenTransform : ResponseTransform
{
    public override ValueTask ApplyAsync(ResponseTransformContext context)
    {
        if (context.ProxyResponse is not { } response || context.HttpContext.Features.Get<TokenAttempt>() is not { } attempt)
        {
            return ValueTask.CompletedTask;
        }

        if (response.StatusCode == System.Net.HttpStatusCode.Unauthorized)
        {
            attempt.Rejected = true;
            context.SuppressResponseBody = true;
        }
        else
        {
            // Any other answer means DataForge took the token: if it is refused later, it was revoked.
            attempt.Sent?.MarkAccepted();
        }

        return ValueTask.CompletedTask;
    }
}

/// <summary>Adds the token transforms to every route that belongs to a DataForge environment.</summary>
internal sealed class BearerTokenTransformProvider(AccessTokenProvider tokens, LiveOptions<TokenOptions> options) : Yarp.ReverseProxy.Transforms.Builder.ITransformProvider
{
    private static readonly RejectedTokenTransform Rejected = new();

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
            context.ResponseTransforms.Add(Rejected);
        }
    }
}
