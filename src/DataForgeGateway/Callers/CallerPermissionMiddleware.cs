using DataForgeGateway.Hosting;
using DataForgeGateway.Problems;
using DataForgeGateway.Routing;
using Yarp.ReverseProxy.Model;

namespace DataForgeGateway.Callers;

/// <summary>
/// A DataForge route needs a caller (401 problem+json with <c>WWW-Authenticate</c> and a type saying what was wrong
/// with the key) that may use the route's environment and operation (403 saying which). Projects and sources are
/// checked once the request is read. Other paths pass: they end in 404 or 405 whoever asks.
/// </summary>
internal sealed class CallerPermissionMiddleware(RequestDelegate next, LiveOptions<GatewayOptions> gateway)
{
    private const string Challenge = $"{ApiKeyMiddleware.SchemeName} realm=\"dataforge-gateway\", header=\"{ApiKeyMiddleware.HeaderName}\"";

    public Task InvokeAsync(HttpContext context)
    {
        var route = context.GetEndpoint()?.Metadata.GetMetadata<RouteModel>()?.Config;
        if (route is null || RouteMetadata.EnvironmentOf(route) is not { } environment)
        {
            return next(context);
        }

        if (context.User.Identity is not CallerIdentity caller)
        {
            return Unauthenticated(context, context.Features.Get<ApiKeyRefusal>()?.Problem ?? GatewayProblem.ApiKeyMissing);
        }

        if (!caller.MayUse(environment, gateway.Current.DefaultEnvironment))
        {
            return context.WriteProblemAsync(GatewayProblem.Forbidden, $"Caller '{caller.Name}' may not use environment '{environment}'.");
        }

        var operation = route.Metadata?.GetValueOrDefault(RouteMetadata.Operation) ?? "";
        if (!caller.MayCall(operation))
        {
            return context.WriteProblemAsync(GatewayProblem.Forbidden, $"Caller '{caller.Name}' may not call operation '{operation}'.");
        }

        return next(context);
    }

    private static Task Unauthenticated(HttpContext context, GatewayProblem problem)
    {
        context.Response.Headers.WWWAuthenticate = Challenge;
        return context.WriteProblemAsync(problem, problem == GatewayProblem.ApiKeyMissing
            ? "Send your service's API key in the X-Api-Key header."
            : problem == GatewayProblem.ApiKeyInQuery
                ? "Send the key in the X-Api-Key header only, and treat the one you sent as leaked: rotate it."
                : null);
    }
}
