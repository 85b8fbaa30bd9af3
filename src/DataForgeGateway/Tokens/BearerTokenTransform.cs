using DataForgeGateway.Primitives;
using DataForgeGateway.Problems;
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
        var result = await tokens.GetAsync(environment, context.HttpContext.RequestAborted);
        if (!result.Succeeded)
        {
            await context.HttpContext.WriteProblemAsync(
                GatewayProblem.TokenUnavailable,
                $"The gateway could not get an access token for environment '{environment}'. Retry later.",
                result.RetryAfter ?? options.Current.RetryAfterWhenUnavailable);
            return;
        }

        var token = result.Token;
        context.HttpContext.Features.Set(result.Sent);   // made with the result: nothing allocated here
        var headers = context.ProxyRequest.Headers;
        headers.Remove("Authorization");
        headers.TryAddWithoutValidation("Authorization", token.AuthorizationHeader);
    }
}
