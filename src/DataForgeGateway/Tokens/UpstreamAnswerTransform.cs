using DataForgeGateway.Api;
using Yarp.ReverseProxy.Transforms;

namespace DataForgeGateway.Tokens;

/// <summary>
/// Publishes what DataForge answered (<see cref="UpstreamAnswer"/>), and holds back the body of a 401 (it says the
/// gateway's token is bad, not the caller's key) so that <see cref="TokenReplayMiddleware"/> can renew the token and
/// replay the request. Any other answer means DataForge took the token.
/// </summary>
internal sealed class UpstreamAnswerTransform : ResponseTransform
{
    public static readonly UpstreamAnswerTransform Instance = new();

    public override ValueTask ApplyAsync(ResponseTransformContext context)
    {
        if (context.ProxyResponse is not { } response)
        {
            return ValueTask.CompletedTask;
        }

        var answer = UpstreamAnswer.Of((int)response.StatusCode);
        context.HttpContext.Features.Set(answer);
        if (answer.TokenRefused)
        {
            context.SuppressResponseBody = true;
        }
        else
        {
            // If this token is refused later, it was revoked.
            context.HttpContext.Features.Get<TokenSent>()?.Token.MarkAccepted();
        }

        return ValueTask.CompletedTask;
    }
}
