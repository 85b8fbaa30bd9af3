using System.Globalization;
using Microsoft.AspNetCore.Mvc;

namespace DataForgeGateway.Problems;

/// <summary>Writes a <see cref="GatewayProblem"/> to the caller, with the headers its status calls for.</summary>
internal static class ProblemResponses
{
    public static Task WriteProblemAsync(this HttpContext context, GatewayProblem problem, string? detail = null, TimeSpan? retryAfter = null)
    {
        context.Response.StatusCode = problem.Status;
        if (retryAfter is { } wait)
        {
            context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }

        return context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = new ProblemDetails
            {
                Status = problem.Status,
                Type = problem.Type,
                Title = problem.Title,
                Detail = detail,
            },
        }).AsTask();
    }
}
