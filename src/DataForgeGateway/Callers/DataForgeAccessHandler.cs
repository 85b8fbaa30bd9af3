using DataForgeGateway.Hosting;
using DataForgeGateway.Problems;
using DataForgeGateway.Routing;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Yarp.ReverseProxy.Model;

namespace DataForgeGateway.Callers;

/// <summary>The caller may call this route: its environment and its operation. (Projects and sources are checked once the request is read.)</summary>
internal sealed class DataForgeAccessRequirement : IAuthorizationRequirement;

internal sealed class DataForgeAccessHandler(LiveOptions<GatewayOptions> gateway) : AuthorizationHandler<DataForgeAccessRequirement, HttpContext>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, DataForgeAccessRequirement requirement, HttpContext resource)
    {
        var route = resource.GetEndpoint()?.Metadata.GetMetadata<RouteModel>()?.Config;
        if (context.User.Identity is not CallerIdentity caller || route is null || RouteMetadata.EnvironmentOf(route) is not { } environment)
        {
            return Task.CompletedTask;
        }

        var operation = route.Metadata?.GetValueOrDefault(RouteMetadata.Operation) ?? "";
        if (!caller.MayUse(environment, gateway.Current.DefaultEnvironment))
        {
            context.Fail(new AuthorizationFailureReason(this, $"Caller '{caller.Name}' may not use environment '{environment}'."));
        }
        else if (!caller.MayCall(operation))
        {
            context.Fail(new AuthorizationFailureReason(this, $"Caller '{caller.Name}' may not call operation '{operation}'."));
        }
        else
        {
            context.Succeed(requirement);
        }

        return Task.CompletedTask;
    }
}

/// <summary>A refusal is 403 problem+json that says what was refused; nothing is forwarded.</summary>
internal sealed class ForbiddenProblemResultHandler : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (authorizeResult.Forbidden && authorizeResult.AuthorizationFailure is { } failure)
        {
            var reasons = string.Join(" ", failure.FailureReasons.Select(r => r.Message));
            return context.WriteProblemAsync(GatewayProblem.Forbidden, reasons.Length > 0 ? reasons : null);
        }

        return _default.HandleAsync(next, context, policy, authorizeResult);
    }
}
