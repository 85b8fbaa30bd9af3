using Microsoft.Extensions.Time.Testing;

namespace DataForgeGateway.Tests.Infrastructure;

/// <summary>
/// A test class whose tests start replicas of their own (<see cref="Replicas"/>) in front of one sandbox, both
/// disposed after each test: the replicas first, each with its secret scan.
/// </summary>
public abstract class ReplicaSetTest(FakeTimeProvider? clock = null, int tokenLifetimeSeconds = 86400) : IAsyncLifetime
{
    protected SandboxHost Sandbox { get; private set; } = null!;

    protected ReplicaSet Replicas { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Sandbox = await SandboxHost.StartAsync(clock, tokenLifetimeSeconds);
        Replicas = new ReplicaSet(Sandbox);
    }

    public async Task DisposeAsync()
    {
        await Replicas.DisposeAsync();
        await Sandbox.DisposeAsync();
    }
}
