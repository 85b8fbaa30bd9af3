using DataForge.Sandbox;
using DataForge.Sandbox.Auth0;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace DataForgeGateway.Tests.Infrastructure;

/// <summary>The sandbox (Auth0 tenant and DataForge API) on a real Kestrel port of its own.</summary>
public sealed class SandboxHost : IAsyncDisposable
{
    public const string ClientId = "test-client";
    public const string ClientSecret = "test-client-secret-3f9a1c";
    public const string Audience = "https://test.api.dataforgedev.com";

    private readonly WebApplication _app;

    private SandboxHost(WebApplication app)
    {
        _app = app;
        BaseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single().TrimEnd('/');
    }

    /// <summary>Where the sandbox listens, for example <c>http://127.0.0.1:41234</c>.</summary>
    public string BaseUrl { get; }

    public string TokenUrl => $"{BaseUrl}/oauth/token";

    public SandboxRecorder Recorder => _app.Services.GetRequiredService<SandboxRecorder>();

    public SandboxSwitches Switches => _app.Services.GetRequiredService<SandboxSwitches>();

    public TokenIssuer Issuer => _app.Services.GetRequiredService<TokenIssuer>();

    /// <summary>The sandbox's workload token issuer (a cluster's service-account issuer), whose issuer URL is <see cref="BaseUrl"/>.</summary>
    public DataForge.Sandbox.Workloads.WorkloadIssuer Workloads => _app.Services.GetRequiredService<DataForge.Sandbox.Workloads.WorkloadIssuer>();

    /// <summary>The tenant's private_key_jwt credentials and the assertions it received.</summary>
    public ClientAssertions Assertions => _app.Services.GetRequiredService<ClientAssertions>();

    public static async Task<SandboxHost> StartAsync(TimeProvider? clock = null, int tokenLifetimeSeconds = 86400)
    {
        var app = SandboxApplication.Build(
            [
                "--urls", "http://127.0.0.1:0",
                "--Sandbox:ClientId", ClientId,
                "--Sandbox:ClientSecret", ClientSecret,
                "--Sandbox:Audience", Audience,
                "--Sandbox:SigningKey", $"signing-key-{Guid.NewGuid():N}", // every sandbox is a tenant of its own
                "--Sandbox:TokenLifetimeSeconds", tokenLifetimeSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--Logging:LogLevel:Default", "Warning",
            ],
            builder =>
            {
                if (clock is not null)
                {
                    builder.Services.AddSingleton(clock);
                }
            });
        await app.StartAsync();
        return new SandboxHost(app);
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
