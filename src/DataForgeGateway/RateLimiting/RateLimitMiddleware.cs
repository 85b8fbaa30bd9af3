using DataForgeGateway.Api;
using DataForgeGateway.Problems;

namespace DataForgeGateway.RateLimiting;

/// <summary>
/// Applies the caller's limits before anything else is done for the request. Admitted responses carry the IETF
/// <c>RateLimit-Policy</c> and <c>RateLimit</c> headers; a refusal is 429 problem+json with <c>Retry-After</c>.
/// The headers name policies ("caller", an operation), never a caller's key.
/// </summary>
internal sealed class RateLimitMiddleware(RequestDelegate next, RateLimitService limits)
{
    public Task InvokeAsync(HttpContext context)
    {
        var operation = context.GetDataForgeRoute()?.Operation.Name ?? "";
        var caller = context.User.Identity?.Name ?? "";
        var deciding = limits.DecideAsync(caller, operation);
        return deciding.IsCompletedSuccessfully
            ? Apply(context, caller, deciding.Result)
            : AwaitAndApply(context, caller, deciding);
    }

    private async Task AwaitAndApply(HttpContext context, string caller, ValueTask<RateLimitDecision> deciding) =>
        await Apply(context, caller, await deciding);

    private Task Apply(HttpContext context, string caller, RateLimitDecision decision)
    {
        context.Features.Set(new RateLimitFeature(decision));
        if (decision.Source == DecisionSource.ClosedFallback)
        {
            return context.WriteProblemAsync(GatewayProblem.RateLimitUnavailable, "Rate limits are checked in Redis, which cannot be reached; this policy refuses meanwhile.", TimeSpan.FromSeconds(decision.RetryAfterSeconds));
        }

        if (!decision.Admitted)
        {
            WriteHeaders(context.Response, decision);
            return context.WriteProblemAsync(
                GatewayProblem.RateLimited,
                $"Caller '{caller}' is over its '{decision.RefusedBy}' limit. Retry after the time in Retry-After.",
                TimeSpan.FromSeconds(decision.RetryAfterSeconds));
        }

        if (decision.Applied.Length > 0)
        {
            // Set just before the response starts, so that DataForge's own headers cannot overwrite them.
            // The context as state, not a tuple: nothing allocated for the callback.
            context.Response.OnStarting(static state =>
            {
                var context = (HttpContext)state;
                WriteHeaders(context.Response, context.Features.Get<RateLimitFeature>()!.Decision);
                return Task.CompletedTask;
            }, context);
        }

        return next(context);
    }

    private static void WriteHeaders(HttpResponse response, in RateLimitDecision decision)
    {
        response.Headers["RateLimit-Policy"] = decision.PolicyHeader;
        response.Headers["RateLimit"] = decision.StateHeader;
    }
}
