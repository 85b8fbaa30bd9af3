namespace DataForgeGateway.Tests.Infrastructure;

/// <summary>A fresh sandbox and a gateway in front of it, for each test.</summary>
public abstract class GatewayTest : IAsyncLifetime
{
    protected SandboxHost Sandbox { get; private set; } = null!;

    protected GatewayHost Gateway { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Sandbox = await SandboxHost.StartAsync();
        Gateway = new GatewayHost(Sandbox);
    }

    public async Task DisposeAsync()
    {
        await Gateway.DisposeAsync();
        await Sandbox.DisposeAsync();
    }
}
