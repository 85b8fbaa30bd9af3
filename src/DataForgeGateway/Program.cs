using DataForgeGateway.Audit;
using DataForgeGateway.Callers;
using DataForgeGateway.Health;
using DataForgeGateway.Hosting;
using DataForgeGateway.Idempotency;
using DataForgeGateway.Problems;
using DataForgeGateway.RateLimiting;
using DataForgeGateway.SharedReads;
using DataForgeGateway.Routing;
using DataForgeGateway.Telemetry;
using DataForgeGateway.Tokens;
using DataForgeGateway.WorkloadIdentity;

if (KeysCommand.TryRun(args, Console.Out, Console.Error, out var exitCode))
{
    return exitCode;                 // `keys new --caller NAME`: mint a key, print it once
}

var builder = WebApplication.CreateBuilder(GatewayHosting.Options(args)); // settings found wherever it starts

builder.AddGatewayConfiguration();   // plus mounted secret files (Gateway:SecretsDirectory, Kubernetes' swaps included)
builder.AddManagementPort();         // health and /metrics on a port of its own, which the ingress does not expose
builder.AddGatewayTelemetry();       // OpenTelemetry: Prometheus metrics always; traces, metrics, logs over OTLP when configured
builder.Services.AddGatewayProblemDetails();
builder.AddAudit();                  // one audit record and request metrics per request
builder.AddIngress();                // X-Forwarded-* believed from the ingress networks only
builder.AddCallers();                // X-Api-Key -> caller and its permissions; keys stored only as hashes
builder.AddWorkloadIdentity();       // or a workload's JWT (a Kubernetes service-account token) -> caller, checked against its issuer's keys
builder.AddRateLimits();             // per caller and operation, one limit for all replicas through Redis
builder.AddAuth0Tokens();            // Auth0 M2M token: in-process cache, then Redis, then Auth0
builder.AddIdempotency();            // Idempotency-Key on source-pull: one ingestion per key, on any replica
builder.AddSharedReads();            // identical concurrent reads share one DataForge call; optional short cache
builder.AddDataForgeRoutes();        // YARP: the four DataForge operations, nothing else
builder.AddGatewayHealthChecks();

var app = builder.Build();

app.UseIngress();                    // client address and path base as the ingress vouches for them
app.MapManagementEndpoints();        // management port: /health/live, /health/ready, /metrics
app.UseAudit();                      // every request on the proxy port leaves one audit record
app.UseGatewayProblemDetails();      // every error is problem+json with a stable type
app.UseCanonicalPaths();             // 400 for '..', '%2F', '//', ';' and other path tricks; 401 for a key in the path
app.UseApiKeys();                    // who is calling: the caller behind X-Api-Key
app.UseWorkloadIdentities();         // or, without a key, the caller behind the workload token in Authorization: Bearer
app.UseCallerPermissions();          // 401 for a missing, wrong or expired key or token (429 past too many from one address); 403 for an environment or operation not theirs
app.MapOpenApiDocument();            // /openapi/v1.json: the four operations as OpenAPI 3.1, without a key
app.MapDataForgeRoutes(proxy =>      // forward: caller headers stripped, the gateway's token injected
{
    proxy.UseRateLimits();           // 429 over the caller's limits; RateLimit headers when within them
    proxy.UseRequestValidation();    // 400/413/415 for bad input; DataForge gets the checked values, never the caller's bytes
    proxy.UseProjectAndSourcePermissions(); // 403 for a project or source not theirs
    proxy.UseIdempotencyKeys();      // a retried source-pull with the same Idempotency-Key gets the first answer again
    proxy.UseSharedReads();          // identical concurrent reads (same environment, path, query) share one DataForge call
    proxy.UseUpstreamConcurrencyCap(); // 503 when too many requests are in flight to DataForge (each caller a share)
    proxy.UseTokenReplay();          // DataForge said 401: renew the token once, replay the request once
});

return await app.RunGatewayAsync();  // a misconfiguration stops start-up with one line naming the key

/// <summary>The entry point, visible to integration tests.</summary>
public partial class Program;
