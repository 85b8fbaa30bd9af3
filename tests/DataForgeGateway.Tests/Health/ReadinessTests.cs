using System.Text.Json;
using DataForgeGateway.Tests.Infrastructure;

namespace DataForgeGateway.Tests.Health;

/// <summary>Readiness tells operators what is wrong before callers notice: per environment, token and DataForge.</summary>
public sealed class ReadinessTests : IAsyncLifetime
{
    private SandboxHost _sandbox = null!;

    public async Task InitializeAsync() => _sandbox = await SandboxHost.StartAsync();

    public async Task DisposeAsync() => await _sandbox.DisposeAsync();

    [Fact]
    public async Task Readiness_reports_the_token_and_DataForge_of_each_environment()
    {
        await using var gateway = new GatewayHost(_sandbox);

        var entries = await ReadyEntriesAsync(gateway, until: e => e.GetProperty("token:stage").GetProperty("status").GetString() == "Healthy");

        Assert.Equal("Healthy", entries.GetProperty("dataforge:stage").GetProperty("status").GetString());
        Assert.True(entries.GetProperty("token:stage").GetProperty("data").GetProperty("expires_in_seconds").GetInt64() > 80_000);
    }

    [Fact]
    public async Task Without_a_token_a_replica_is_not_ready_and_says_why_and_probes_never_ask_Auth0()
    {
        _sandbox.Switches.TokenEndpointStatus = 503;

        // A clock that stands still: the background refresh does not retry behind the test's back.
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var gateway = new GatewayHost(
            _sandbox,
            new Dictionary<string, string?> { ["Gateway:Environments:stage:BaseUrl"] = $"http://127.0.0.1:{FreePort.Next()}" },
            services => Microsoft.Extensions.DependencyInjection.ServiceCollectionServiceExtensions.AddSingleton<TimeProvider>(services, clock));

        var entries = await ReadyEntriesAsync(gateway, until: e => e.GetProperty("dataforge:stage").GetProperty("status").GetString() == "Degraded");

        Assert.Equal("Unhealthy", entries.GetProperty("token:stage").GetProperty("status").GetString());
        Assert.Contains("No usable token", entries.GetProperty("token:stage").GetProperty("description").GetString());
        using (var management = new HttpClient { BaseAddress = gateway.ManagementAddress })
        {
            using var ready = await management.GetAsync("/health/ready");
            using var live = await management.GetAsync("/health/live");
            Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            Assert.Equal(System.Net.HttpStatusCode.OK, live.StatusCode); // liveness never depends on Auth0
        }

        await Eventually.HoldsAsync(() => _sandbox.Recorder.TokenRequests == 1, "the start-up token request has failed");
        var probesOfAuth0 = _sandbox.Recorder.TokenRequests;
        await ReadyEntriesAsync(gateway, until: _ => true);
        await ReadyEntriesAsync(gateway, until: _ => true);
        Assert.Equal(probesOfAuth0, _sandbox.Recorder.TokenRequests); // probes read the cache; they never ask Auth0
    }

    [Theory]
    [InlineData("Gateway:Environments:stage:Auth0:ClientSecret", "wrong-secret-for-readiness")]
    [InlineData("Gateway:Environments:stage:Auth0:Audience", "https://unknown-audience.example")]
    public async Task A_replica_whose_credentials_are_refused_is_not_ready_so_a_broken_rollout_stops(string key, string value)
    {
        await using var gateway = new GatewayHost(_sandbox, new Dictionary<string, string?> { [key] = value });

        var entries = await ReadyEntriesAsync(gateway, until: e => e.GetProperty("token:stage").GetProperty("status").GetString() == "Unhealthy");

        using var management = new HttpClient { BaseAddress = gateway.ManagementAddress };
        using var ready = await management.GetAsync("/health/ready");
        using var live = await management.GetAsync("/health/live");
        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.OK, live.StatusCode);
        Assert.DoesNotContain(value, entries.GetRawText());
    }

    [Fact]
    public async Task A_replica_holding_a_token_stays_ready_through_an_Auth0_outage()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var gateway = new GatewayHost(_sandbox, services: services => Microsoft.Extensions.DependencyInjection.ServiceCollectionServiceExtensions.AddSingleton<TimeProvider>(services, clock));
        await ReadyEntriesAsync(gateway, until: e => e.GetProperty("token:stage").GetProperty("status").GetString() == "Healthy");
        _sandbox.Switches.TokenEndpointStatus = 503;

        // Past the refresh point: the background refresh fails, the token is still usable.
        await Eventually.AdvanceUntilAsync(clock, TimeSpan.FromHours(20), TimeSpan.FromMinutes(1), TimeSpan.FromHours(23), () => _sandbox.Recorder.TokenRequests >= 2);

        using var management = new HttpClient { BaseAddress = gateway.ManagementAddress };
        using var ready = await management.GetAsync("/health/ready");
        Assert.Equal(System.Net.HttpStatusCode.OK, ready.StatusCode);
    }

    private static async Task<JsonElement> ReadyEntriesAsync(GatewayHost gateway, Func<JsonElement, bool> until)
    {
        using var management = new HttpClient { BaseAddress = gateway.ManagementAddress };
        JsonElement entries = default;
        await Eventually.HoldsAsync(
            async () =>
            {
                using var response = await management.GetAsync("/health/ready");
                entries = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("entries").Clone();
                return until(entries);
            },
            () => $"readiness as expected (last: {entries})");
        return entries;
    }
}
