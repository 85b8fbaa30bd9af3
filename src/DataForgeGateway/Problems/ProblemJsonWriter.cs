using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace DataForgeGateway.Problems;

/// <summary>
/// Writes the problem as problem+json when ASP.NET Core's writer will not because the caller's <c>Accept</c> header
/// lists no JSON type (<c>Accept: text/html</c>): the caller still learns it was a 401 and why, where it would
/// otherwise get an empty 500 (no writer found) or an empty 404. RFC 9457 problems are JSON whatever was asked for.
/// </summary>
internal sealed class ProblemJsonWriter(IOptions<ProblemDetailsOptions> problems, IOptions<JsonOptions> json) : IProblemDetailsWriter
{
    public bool CanWrite(ProblemDetailsContext context) => true;

    public ValueTask WriteAsync(ProblemDetailsContext context)
    {
        var details = context.ProblemDetails;
        details.Status ??= context.HttpContext.Response.StatusCode;
        problems.Value.CustomizeProblemDetails?.Invoke(context);
        return new ValueTask(context.HttpContext.Response.WriteAsJsonAsync(
            details, details.GetType(), json.Value.SerializerOptions, "application/problem+json", context.HttpContext.RequestAborted));
    }
}
