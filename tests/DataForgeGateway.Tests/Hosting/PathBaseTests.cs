using System.Net;
using DataForgeGateway.Tests.Infrastructure;

namespace DataForgeGateway.Tests.Hosting;

/// <summary>Behind an ingress that mounts the gateway below the root.</summary>
public sealed class PathBaseTests : IAsyncLifetime
{
    private SandboxHost _sandbox = null!;

    public async Task InitializeAsync() => _sandbox = await SandboxHost.StartAsync();

    public async Task DisposeAsync() => await _sandbox.DisposeAsync();

    [Fact]
    public async Task Under_a_path_base_the_routes_work_and_DataForge_sees_its_own_paths()
    {
        await using var gateway = new GatewayHost(_sandbox, new Dictionary<string, string?> { ["Gateway:Ingress:PathBase"] = "/dataforge" });
        using var caller = gateway.CreateCaller();

        using var response = await caller.PostAsync("/dataforge/external/source-pull/19643", null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("/external/source-pull/19643", Assert.Single(_sandbox.Recorder.Requests).Path);
    }
}
