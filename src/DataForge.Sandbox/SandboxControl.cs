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
        // Sets every fault switch at once: what the query leaves out is switched off.
        control.MapPut("/switches", (SandboxSwitches switches, int? tokenStatus, int? tokenDelayMs, int? tokenRetryAfterSeconds, int? apiStatus, int? apiDelayMs) =>
        {
            switches.TokenEndpointStatus = tokenStatus;
            switches.TokenEndpointDelay = tokenDelayMs is { } tokenDelay ? TimeSpan.FromMilliseconds(tokenDelay) : null;
            switches.TokenEndpointRetryAfter = tokenRetryAfterSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : null;
            switches.ApiStatus = apiStatus;
            switches.ApiDelay = apiDelayMs is { } delay ? TimeSpan.FromMilliseconds(delay) : null;
            return Results.NoContent();
        });

        // Every token issued so far stops working at the API, as after a signing-key rollover or a revoked grant.
        control.MapPost("/revoke-tokens", (Auth0.TokenIssuer issuer) =>
        {
            issuer.RevokeAll();
            return Results.NoContent();
        });

        // The application's private_key_jwt credentials from now on (PEM public keys; none: back to the client secret),
        // as after uploading or removing a credential in the Auth0 dashboard.
        control.MapPut("/client-public-keys", async (HttpRequest request, Auth0.ClientAssertions assertions) =>
        {
            using var reader = new StreamReader(request.Body);
            assertions.Register(await reader.ReadToEndAsync());
            return Results.NoContent();
        });

        // The tenant's client secret from now on, as after a rotation in the Auth0 dashboard.
        control.MapPut("/client-secret", async (HttpRequest request, SandboxSwitches switches) =>
        {
            using var reader = new StreamReader(request.Body);
            switches.ClientSecret = (await reader.ReadToEndAsync()).Trim();
            return Results.NoContent();
        });
    }
}
