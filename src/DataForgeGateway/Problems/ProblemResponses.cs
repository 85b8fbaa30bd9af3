using System.Globalization;
using Microsoft.AspNetCore.Mvc;

namespace DataForgeGateway.Problems;

/// <summary>Writes a <see cref="GatewayProblem"/> to the caller, with the headers its status calls for.</summary>
internal static class ProblemResponses
{
    public static Task WriteProblemAsync(this HttpContext context, GatewayProblem problem, string? detail = null, TimeSpan? retryAfter = null) =>
        context.WriteProblemAsync(problem, detail, retryAfter, errors: null);

    /// <summary>A 400 that lists what is wrong with each field, as <c>errors: { field: [messages] }</c>.</summary>
    public static Task WriteValidationProblemAsync(this HttpContext context, IDictionary<string, string[]> errors) =>
        context.WriteProblemAsync(GatewayProblem.InvalidRequest, "See errors for what is wrong with each field.", retryAfter: null, errors);

    private static Task WriteProblemAsync(this HttpContext context, GatewayProblem problem, string? detail, TimeSpan? retryAfter, IDictionary<string, string[]>? errors)
    {
        context.Response.StatusCode = problem.Status;
        if (retryAfter is { } wait)
        {
            context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }

        return context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = errors is null
                ? new ProblemDetails { Status = problem.Status, Type = problem.Type, Title = problem.Title, Detail = detail }
                : new HttpValidationProblemDetails(errors) { Status = problem.Status, Type = problem.Type, Title = problem.Title, Detail = detail },
        }).AsTask();
    }
}
