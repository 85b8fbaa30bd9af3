namespace DataForge.Sandbox.Workloads;

/// <summary>The issuer's public endpoints, at the sandbox's own address (its issuer URL), and the controls to mint and rotate.</summary>
public static class WorkloadIssuerEndpoints
{
    public static void MapWorkloadIssuer(this IEndpointRouteBuilder app)
    {
        app.MapGet("/.well-known/openid-configuration", (HttpRequest request, WorkloadIssuer issuer) => Results.Json(issuer.Discovery(IssuerOf(request))));
        app.MapGet("/openid/v1/jwks", (WorkloadIssuer issuer) => Results.Json(issuer.Jwks(), contentType: "application/jwk-set+json"));

        // A pod's projected token, for scripts and the quick start: what the kubelet would mount for this service account.
        app.MapPost("/_sandbox/workload-token", (HttpRequest request, WorkloadIssuer issuer, string subject, string audience, int? lifetimeSeconds) =>
            Results.Text(issuer.Mint(IssuerOf(request), subject, audience, TimeSpan.FromSeconds(lifetimeSeconds ?? 3600))));
        app.MapPost("/_sandbox/workload-keys/rotate", (WorkloadIssuer issuer, bool? withdrawOld) =>
        {
            issuer.Rotate(withdrawOld ?? false);
            return Results.NoContent();
        });
    }

    /// <summary>The issuer URL is where the sandbox is reached, as a cluster's issuer is its API server's URL.</summary>
    public static string IssuerOf(HttpRequest request) => $"{request.Scheme}://{request.Host}";
}
