using Yarp.ReverseProxy.Transforms;

namespace DataForgeGateway.Tokens;

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
        if (context.ProxyResponse is not { } response || context.HttpContext.Features.Get<TokenSent>()?.Token is not { } token)
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
