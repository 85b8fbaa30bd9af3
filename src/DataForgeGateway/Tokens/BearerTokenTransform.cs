using DataForgeGateway.Api;
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
        if (context.HttpContext.Features.Get<TokenAttempt>() is { } attempt)
        {
            attempt.Sent = token;
            attempt.Source = result.Source;
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

/// <summary>
/// The gateway's token never reaches a caller: DataForge's response headers and body are scrubbed of the token the
/// request was sent with (masked, and counted so operators learn of such an upstream).
/// </summary>
internal sealed class TokenScrubTransform(string environment, TokenMetrics metrics) : ResponseTransform
{
    // One per route, not one per response.
    private readonly Action _echoed = () => metrics.Echoed(environment);

    public override ValueTask ApplyAsync(ResponseTransformContext context)
    {
        if (context.ProxyResponse is not { } response || context.HttpContext.Features.Get<TokenAttempt>()?.Sent is not { } token)
        {
            return ValueTask.CompletedTask;
        }

        // Scrubbed at the source, before the allow-listed headers are copied; and, should a transform have copied
        // them already, in the response too.
        var echoed = Scrub(response.Headers, token.Value) | Scrub(response.Content.Headers, token.Value);
        if (context.HeadersCopied)
        {
            foreach (var header in context.HttpContext.Response.Headers.Where(h => h.Value.ToString().Contains(token.Value, StringComparison.Ordinal)).ToList())
            {
                context.HttpContext.Response.Headers[header.Key] = header.Value.ToString().Replace(token.Value, "[redacted]", StringComparison.Ordinal);
                echoed = true;
            }
        }

        if (echoed)
        {
            metrics.Echoed(environment);
        }

        // A body DataForge declared shorter than the token cannot hold it: sent as it came, without the wrapper.
        if (!context.SuppressResponseBody && !(response.Content.Headers.ContentLength < token.Bytes.Length))
        {
            response.Content = new TokenScrubbingContent(response.Content, token, _echoed);
        }

        return ValueTask.CompletedTask;
    }

    private static bool Scrub(System.Net.Http.Headers.HttpHeaders headers, string token)
    {
        List<(string Name, string[] Values)>? echoed = null;
        foreach (var header in headers.NonValidated)
        {
            foreach (var value in header.Value)
            {
                if (value.Contains(token, StringComparison.Ordinal))
                {
                    (echoed ??= []).Add((header.Key, [.. header.Value]));
                    break;
                }
            }
        }

        if (echoed is null)
        {
            return false;   // the usual: nothing allocated for a response that echoes nothing
        }

        foreach (var (name, values) in echoed)
        {
            headers.Remove(name);
            headers.TryAddWithoutValidation(name, Redacted(values, token));
        }

        return true;
    }

    // A method of its own: the lambda's closure over the token is allocated only for a response that echoes it.
    private static IEnumerable<string> Redacted(string[] values, string token) =>
        values.Select(v => v.Replace(token, "[redacted]", StringComparison.Ordinal));
}

/// <summary>Adds the token transforms to every route that belongs to a DataForge environment.</summary>
internal sealed class BearerTokenTransformProvider(AccessTokenProvider tokens, LiveOptions<TokenOptions> options, TokenMetrics metrics) : Yarp.ReverseProxy.Transforms.Builder.ITransformProvider
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
        if (DataForgeRoute.FromMetadata(context.Route.Metadata)?.Environment is { } environment)
        {
            context.RequestTransforms.Add(new BearerTokenTransform(environment, tokens, options));
            context.ResponseTransforms.Add(Rejected);
            context.ResponseTransforms.Add(new TokenScrubTransform(environment, metrics));
        }
    }
}
