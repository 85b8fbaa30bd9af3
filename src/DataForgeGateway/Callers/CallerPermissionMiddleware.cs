using DataForgeGateway.Api;
using DataForgeGateway.Primitives;
using DataForgeGateway.Problems;
using DataForgeGateway.Settings;

namespace DataForgeGateway.Callers;

/// <summary>
/// A DataForge route needs a caller (401 problem+json with <c>WWW-Authenticate</c> and a type saying what was wrong
/// with the key) that may use the route's environment and operation (403 saying which). Projects and sources are
/// checked once the request is read (<see cref="ResourcePermissionMiddleware"/>). Other paths pass: they end in 404 or 405 whoever asks.
/// </summary>
internal sealed class CallerPermissionMiddleware(RequestDelegate next, LiveOptions<GatewayOptions> gateway, FailedAuthenticationLimiter failures, WorkloadIdentity.WorkloadTokenValidator workloads)
{
    /// <summary>How soon to try again when a workload token's issuer keys could not be fetched.</summary>
    private static readonly TimeSpan KeysRetryAfter = TimeSpan.FromSeconds(5);

    public Task InvokeAsync(HttpContext context)
    {
        var route = context.GetDataForgeRoute();
        var environment = route is null ? DataForgeRoute.EnvironmentOfUnmatched(context.Request.Path.Value) : route.Environment;
        if (environment is null)
        {
            return next(context);
        }

        if (context.User.Identity is not CallerIdentity caller)
        {
            return Unauthenticated(context, context.Features.Get<CredentialRefusal>() ?? new CredentialRefusal(GatewayProblem.ApiKeyMissing));
        }

        if (route is null)
        {
            // An environment that is not configured is refused like one the caller may not use, so that which
            // environments exist is told to nobody, with a key or without.
            return context.WriteProblemAsync(GatewayProblem.Forbidden, $"Caller '{caller.Name}' may not use environment '{environment}'.");
        }

        if (!caller.MayUse(environment, gateway.Current.DefaultEnvironment))
        {
            return context.WriteProblemAsync(GatewayProblem.Forbidden, $"Caller '{caller.Name}' may not use environment '{environment}'.");
        }

        var operation = route.Operation.Name;
        if (!caller.MayCall(operation))
        {
            return context.WriteProblemAsync(GatewayProblem.Forbidden, $"Caller '{caller.Name}' may not call operation '{operation}'.");
        }

        return next(context);
    }

    private Task Unauthenticated(HttpContext context, CredentialRefusal refusal)
    {
        var problem = refusal.Problem;
        if (problem == GatewayProblem.WorkloadKeysUnavailable)
        {
            // The gateway's trouble, not the caller's: not charged to its address.
            return context.WriteProblemAsync(problem, null, KeysRetryAfter);
        }

        if (failures.Charge(context.Connection.RemoteIpAddress) is { } wait)
        {
            return context.WriteProblemAsync(GatewayProblem.RateLimited, "Too many requests without a valid API key from this address.", wait);
        }

        context.Response.Headers.WWWAuthenticate = refusal.Bearer
            ? WorkloadTokenMiddleware.RefusedChallenge
            : problem == GatewayProblem.ApiKeyMissing && workloads.Enabled
                ? new Microsoft.Extensions.Primitives.StringValues([ApiKeyMiddleware.Challenge, WorkloadTokenMiddleware.Challenge])
                : ApiKeyMiddleware.Challenge;
        return context.WriteProblemAsync(problem, problem == GatewayProblem.ApiKeyMissing
            ? workloads.Enabled ? "Send your service's API key in the X-Api-Key header, or its workload token in Authorization: Bearer." : "Send your service's API key in the X-Api-Key header."
            : problem == GatewayProblem.ApiKeyInQuery
                ? "Send the key in the X-Api-Key header only, and treat the one you sent as leaked: rotate it."
                : null);
    }
}
