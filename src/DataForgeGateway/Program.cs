using DataForgeGateway.Callers;
using DataForgeGateway.Health;
using DataForgeGateway.Hosting;
using DataForgeGateway.Problems;
using DataForgeGateway.Routing;
using DataForgeGateway.Telemetry;
using DataForgeGateway.Tokens;

var builder = WebApplication.CreateBuilder(args);

builder.AddGatewayConfiguration();    // plus mounted secret files (Gateway:SecretsDirectory)
builder.AddManagementPort();         // health on a port of its own, which the ingress does not expose
builder.AddGatewayTelemetry();       // OpenTelemetry traces, metrics, logs (OTLP when configured)
builder.Services.AddGatewayProblemDetails();
builder.AddCallers();                // X-Api-Key -> caller, keys stored only as hashes
builder.AddAuth0Tokens();            // Auth0 M2M token: in-process cache, then Redis, then Auth0
builder.AddDataForgeRoutes();        // YARP: the four DataForge operations, nothing else
builder.AddGatewayHealthChecks();

var app = builder.Build();

app.MapManagementEndpoints();        // management port: /health/live, /health/ready
app.UseGatewayProblemDetails();      // every error is problem+json with a stable type
app.UseAuthentication();             // who is calling (401 for a missing or wrong key)
app.UseAuthorization();              // may they (nothing is forwarded before this passes)
app.MapDataForgeRoutes(proxy =>      // forward: caller headers stripped, the gateway's token injected
{
    proxy.UseTokenReplay();          // DataForge said 401: renew the token once, replay the request once
});

return await app.RunGatewayAsync();  // a misconfiguration stops start-up with one line naming the key

/// <summary>The entry point, visible to integration tests.</summary>
public partial class Program;
