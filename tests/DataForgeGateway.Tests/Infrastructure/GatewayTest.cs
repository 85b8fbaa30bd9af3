using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace DataForgeGateway.Tests.Infrastructure;

/// <summary>
/// A fresh sandbox and a gateway in front of it, for each test; optionally both on one controllable clock, and
/// with settings of the test class's own.
/// </summary>
public abstract class GatewayTest(FakeTimeProvider? clock = null, int tokenLifetimeSeconds = 86400) : IAsyncLifetime
{
    /// <summary>The morning every fake clock starts at.</summary>
    protected static readonly DateTimeOffset Morning = new(2026, 11, 27, 9, 0, 0, TimeSpan.Zero);

    protected SandboxHost Sandbox { get; private set; } = null!;

    protected GatewayHost Gateway { get; private set; } = null!;

    /// <summary>The clock the sandbox and the gateway share, for tests that move time.</summary>
    protected FakeTimeProvider Clock => clock ?? throw new InvalidOperationException("This test class runs on the real clock.");

    /// <summary>Settings this test class gives the gateway, on top of the defaults.</summary>
    protected virtual Dictionary<string, string?>? Settings => null;

    public async Task InitializeAsync()
    {
        Sandbox = await SandboxHost.StartAsync(clock, tokenLifetimeSeconds);
        Gateway = new GatewayHost(Sandbox, Settings, clock is null ? null : services => services.AddSingleton<TimeProvider>(clock));
    }

    public async Task DisposeAsync()
    {
        await Gateway.DisposeAsync();
        await Sandbox.DisposeAsync();
    }
}
