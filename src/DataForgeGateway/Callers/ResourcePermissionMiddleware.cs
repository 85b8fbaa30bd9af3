using DataForgeGateway.Api;
using DataForgeGateway.Problems;

namespace DataForgeGateway.Callers;

/// <summary>
/// The caller may touch the project and source the request names (403 saying which), read from the checked
/// values (<see cref="RequestParameters"/>). Environments and operations were checked before the request was read
/// (<see cref="CallerPermissionMiddleware"/>).
/// </summary>
internal sealed class ResourcePermissionMiddleware(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context) =>
        context.User.Identity is CallerIdentity caller && context.Features.Get<RequestParameters>() is { } parameters && Refusal(caller, parameters) is { } refusal
            ? context.WriteProblemAsync(GatewayProblem.Forbidden, refusal)
            : next(context);

    internal static string? Refusal(CallerIdentity caller, RequestParameters parameters)
    {
        if (caller.ProjectIds.Count > 0 && parameters.ProjectId is null && parameters.SourceId is null)
        {
            return $"Caller '{caller.Name}' may read only some projects: name one with projectId.";
        }

        if (parameters.ProjectId is { } project && !caller.MayReadProject(project))
        {
            return $"Caller '{caller.Name}' may not read project '{project}'.";
        }

        return parameters.SourceId is { } source && !caller.MayUseSource(source) ? $"Caller '{caller.Name}' may not use source '{source}'." : null;
    }
}
