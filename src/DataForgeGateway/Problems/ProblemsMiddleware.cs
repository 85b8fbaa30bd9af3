using System.Runtime.ExceptionServices;

namespace DataForgeGateway.Problems;

/// <summary>
/// Gives a problem+json body to what would otherwise leave the gateway without one: an unhandled exception (500,
/// logged; its message is never shown to the caller) and a bare error status set by the framework or the forwarder
/// (404 for an unknown path, 405, 502 when DataForge cannot be reached...). A request the caller abandoned is not an
/// error: it is counted as 499 and logged at debug level.
/// </summary>
/// <remarks>
/// What ASP.NET Core's exception handler and status-code pages middlewares do for an API, in one: one async frame
/// per request instead of two, and no feature allocated for every request (measured in bench/README.md).
/// </remarks>
internal sealed partial class ProblemsMiddleware(RequestDelegate next, IProblemDetailsService problems, ILogger<ProblemsMiddleware> logger)
{
    public const int ClientClosedRequest = 499;

    public Task InvokeAsync(HttpContext context)
    {
        Task handling;
        try
        {
            handling = next(context);
        }
        catch (Exception e)
        {
            return FailedAsync(context, e);
        }

        return handling.IsCompletedSuccessfully ? AnswerBareStatusAsync(context) : AwaitAsync(context, handling);
    }

    private async Task AwaitAsync(HttpContext context, Task handling)
    {
        // No await inside the catch: the state kept for every request stays small.
        Exception? failure = null;
        try
        {
            await handling;
        }
        catch (Exception e)
        {
            failure = e;
        }

        await (failure is null ? AnswerBareStatusAsync(context) : FailedAsync(context, failure));
    }

    /// <summary>An error status with nothing written yet: the problem that goes with it.</summary>
    private Task AnswerBareStatusAsync(HttpContext context)
    {
        var response = context.Response;
        if (response.HasStarted
            || response.StatusCode is < 400 or >= 600
            || response.ContentLength.HasValue
            || !string.IsNullOrEmpty(response.ContentType))
        {
            return Task.CompletedTask;
        }

        return problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = { Status = response.StatusCode },
        }).AsTask();
    }

    private async Task FailedAsync(HttpContext context, Exception exception)
    {
        if (exception is OperationCanceledException or IOException && context.RequestAborted.IsCancellationRequested)
        {
            Log.RequestAborted(logger);
            if (!context.Response.HasStarted)
            {
                context.Response.StatusCode = ClientClosedRequest;
            }

            return;
        }

        Log.Unhandled(logger, exception);
        if (context.Response.HasStarted)
        {
            ExceptionDispatchInfo.Throw(exception);   // too late for a problem: the server cuts the response short
        }

        var response = context.Response;
        response.Clear();
        response.StatusCode = StatusCodes.Status500InternalServerError;
        response.Headers.CacheControl = "no-cache,no-store";
        response.Headers.Pragma = "no-cache";
        await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = { Status = StatusCodes.Status500InternalServerError },
            Exception = exception,
        });
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Error, "An unhandled exception has occurred while executing the request")]
        public static partial void Unhandled(ILogger logger, Exception exception);

        [LoggerMessage(2, LogLevel.Debug, "The request was aborted by the caller")]
        public static partial void RequestAborted(ILogger logger);
    }
}
