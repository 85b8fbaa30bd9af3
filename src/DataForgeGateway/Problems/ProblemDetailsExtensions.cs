namespace DataForgeGateway.Problems;

/// <summary>Every error the gateway answers, its own or the framework's, is problem+json with a stable type.</summary>
internal static class ProblemDetailsExtensions
{
    public static IServiceCollection AddGatewayProblemDetails(this IServiceCollection services) =>
        services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
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
        });

    /// <summary>Turns unhandled exceptions and bare error statuses (unknown path, wrong method, upstream down) into problems.</summary>
    public static IApplicationBuilder UseGatewayProblemDetails(this IApplicationBuilder app) =>
        app.UseExceptionHandler().UseStatusCodePages();
}
