using DataForgeGateway.Problems;
using DataForgeGateway.Routing;
using Yarp.ReverseProxy.Model;

namespace DataForgeGateway.RateLimiting;

/// <summary>
/// Applies the caller's limits before anything else is done for the request. Admitted responses carry the IETF
/// <c>RateLimit-Policy</c> and <c>RateLimit</c> headers; a refusal is 429 problem+json with <c>Retry-After</c>.
/// The headers name policies ("caller", an operation), never a caller's key.
/// </summary>
internal sealed class RateLimitMiddleware(RateLimitService limits) : IMiddleware
{
    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var operation = context.GetReverseProxyFeature().Route.Config.Metadata?.GetValueOrDefault(RouteMetadata.Operation) ?? "";
        var caller = context.User.Identity?.Name ?? "";
        var decision = await limits.DecideAsync(caller, operation);
        context.Features.Set(decision);

        if (decision.Source == DecisionSource.ClosedFallback)
        {
            await context.WriteProblemAsync(GatewayProblem.RateLimitUnavailable, "Rate limits are checked in Redis, which cannot be reached; this policy refuses meanwhile.", TimeSpan.FromSeconds(decision.RetryAfterSeconds));
            return;
        }

        if (!decision.Admitted)
        {
            WriteHeaders(context.Response, decision);
            await context.WriteProblemAsync(
                GatewayProblem.RateLimited,
                $"Caller '{caller}' is over its '{decision.RefusedBy}' limit. Retry after the time in Retry-After.",
                TimeSpan.FromSeconds(decision.RetryAfterSeconds));
            return;
        }

        if (decision.Applied.Length > 0)
        {
            // Set just before the response starts, so that DataForge's own headers cannot overwrite them.
            context.Response.OnStarting(static state =>
            {
                var (response, admitted) = ((HttpResponse, RateLimitDecision))state;
                WriteHeaders(response, admitted);
                return Task.CompletedTask;
            }, (context.Response, decision));
        }

        await next(context);
    }

    private static void WriteHeaders(HttpResponse response, RateLimitDecision decision)
    {
        response.Headers["RateLimit-Policy"] = decision.PolicyHeader;
        response.Headers["RateLimit"] = decision.StateHeader;
    }
}
