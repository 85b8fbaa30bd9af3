using DataForgeGateway.Primitives;

namespace DataForgeGateway.Problems;

/// <summary>Every error the gateway answers, its own or the framework's, is problem+json with a stable type.</summary>
internal static class ProblemDetailsExtensions
{
    public static IServiceCollection AddGatewayProblemDetails(this IServiceCollection services) => services
        .AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            var details = context.ProblemDetails;
            if (details.Type?.StartsWith(GatewayProblem.TypePrefix, StringComparison.Ordinal) != true
                && details.Status is { } status
                && GatewayProblem.ForStatus(status) is { } problem)
            {
                details.Type = problem.Type;
                details.Title = problem.Title;
            }

            // An exception's message can carry anything, a secret included: callers get the title and the trace id.
            details.Detail = context.Exception is null ? details.Detail : null;

            // The trace id the audit record has, and DataForge, whether or not the request has an activity.
            if (RequestTrace.Of(context.HttpContext) is { TraceId: var id } trace && id != default)
            {
                details.Extensions["traceId"] = RequestTrace.TraceParent(trace);
            }
        })
        .AddSingleton<IProblemDetailsWriter, ProblemJsonWriter>();   // after ASP.NET Core's: for callers that accept no JSON

    /// <summary>Turns unhandled exceptions and bare error statuses (unknown path, wrong method, upstream down) into problems.</summary>
    public static IApplicationBuilder UseGatewayProblemDetails(this IApplicationBuilder app) =>
        app.UseMiddleware<ProblemsMiddleware>();
}
