using DataForgeGateway.Api;
using DataForgeGateway.Primitives;
using DataForgeGateway.Problems;

namespace DataForgeGateway.Tokens;

/// <summary>
/// When DataForge answers 401, the gateway's token was revoked or expired early: renew it (once for a burst of
/// such answers) and replay the request once, if its body was small enough to keep. A second 401 is answered 503
/// with <c>Retry-After</c>, a 401 whose request cannot be replayed 502; never DataForge's 401, which would blame
/// the caller's key.
/// </summary>
internal sealed class TokenReplayMiddleware(RequestDelegate next, AccessTokenProvider tokens, LiveOptions<TokenOptions> options)
{
    private const int MemoryBufferBytes = 64 * 1024;

    public Task InvokeAsync(HttpContext context)
    {
        if (context.GetDataForgeRoute()?.Environment is not { } environment)
        {
            return next(context);
        }

        return ForwardAsync(context, environment, KeepBodyForReplay(context.Request, options.Current.MaxReplayBodyBytes));
    }

    /// <summary>The request as every one goes; kept small, since its state is allocated for each request.</summary>
    private async Task ForwardAsync(HttpContext context, string environment, bool replayable)
    {
        await next(context);
        if (TokenRefused(context) is { } refused && !context.Response.HasStarted)
        {
            await RenewAndReplayAsync(context, environment, refused, replayable);
        }
    }

    /// <summary>The token DataForge just answered 401 to, as the forward's facts say; null when it did not.</summary>
    private static AccessToken? TokenRefused(HttpContext context) =>
        context.Features.Get<UpstreamAnswer>() is { TokenRefused: true } ? context.Features.Get<TokenSent>()?.Token : null;

    /// <summary>DataForge refused the token: renew it, then replay the request once if it can be.</summary>
    private async Task RenewAndReplayAsync(HttpContext context, string environment, AccessToken refused, bool replayable)
    {
        context.Response.Clear();
        var renewed = await tokens.RenewAsync(environment, refused, context.RequestAborted);
        if (!renewed.Succeeded)
        {
            await context.WriteProblemAsync(
                GatewayProblem.TokenUnavailable,
                $"DataForge refused the gateway's token for environment '{environment}' and no new one could be had. Retry later.",
                renewed.RetryAfter ?? options.Current.RetryAfterWhenUnavailable);
            return;
        }

        if (replayable)
        {
            if (context.Request.Body.CanSeek)
            {
                context.Request.Body.Position = 0;
            }

            // A second forward, with facts of its own: what the first one sent and was answered is gone.
            context.Features.Set<TokenSent>(null);
            context.Features.Set<UpstreamAnswer>(null);
            await next(context);
            if (TokenRefused(context) is not { } refusedAgain || context.Response.HasStarted)
            {
                return;
            }

            context.Response.Clear();
            await RefusedAgainAsync(context, environment, refusedAgain);
            return;
        }

        await context.WriteProblemAsync(
            GatewayProblem.UpstreamTokenRejected,
            "DataForge refused the gateway's access token; a new one was fetched, but this request's body was too large to replay. Retry it.");
    }

    /// <summary>
    /// DataForge refused the renewed token too. Reported to the provider, which renews at once if that token had
    /// served requests (a second revocation) and otherwise backs off; the caller is told when to come back.
    /// </summary>
    private async Task RefusedAgainAsync(HttpContext context, string environment, AccessToken refused)
    {
        var renewed = await tokens.RenewAsync(environment, refused, context.RequestAborted);
        var retryAfter = renewed.Succeeded ? options.Current.RetryInitialDelay : renewed.RetryAfter ?? options.Current.RetryAfterWhenUnavailable;

        await context.WriteProblemAsync(
            GatewayProblem.TokenUnavailable,
            $"DataForge refused the gateway's access tokens for environment '{environment}', a renewed one too; the request was not carried out. Retry later.",
            retryAfter);
    }

    /// <summary>Buffers the body when it is known to fit, so the request can be sent again.</summary>
    private static bool KeepBodyForReplay(HttpRequest request, int maxBytes)
    {
        var length = request.ContentLength ?? (request.Headers.TransferEncoding.Count == 0 ? 0 : (long?)null);
        if (length is not { } known || known > maxBytes)
        {
            return false;
        }

        if (known > 0)
        {
            request.EnableBuffering(MemoryBufferBytes, maxBytes);
        }

        return true;
    }
}
