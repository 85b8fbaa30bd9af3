namespace DataForge.Sandbox;

/// <summary>
/// <c>/_sandbox/*</c>: what the sandbox has seen (for scripts and the benchmark) and failures to switch on.
/// Not part of Auth0 or DataForge.
/// </summary>
public static class SandboxControl
{
    public static void MapSandboxControl(this IEndpointRouteBuilder app)
    {
        var control = app.MapGroup("/_sandbox");
        control.MapGet("/stats", (SandboxRecorder recorder) => Results.Json(new
        {
            tokens_issued = recorder.TokensIssued,
            token_requests = recorder.TokenRequests,
            api_requests = recorder.ApiCalls,
            arrivals = recorder.Arrivals,
        }));
        control.MapPut("/switches", (SandboxSwitches switches, int? tokenStatus, int? apiStatus, int? apiDelayMs) =>
        {
            switches.TokenEndpointStatus = tokenStatus;
            switches.ApiStatus = apiStatus;
            switches.ApiDelay = apiDelayMs is { } delay ? TimeSpan.FromMilliseconds(delay) : null;
            return Results.NoContent();
        });
    }
}
