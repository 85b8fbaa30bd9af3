using System.Net;
using System.Text.Json;
using DataForgeGateway.Tests.Infrastructure;
using DataForgeGateway.Tokens;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace DataForgeGateway.Tests.Health;

/// <summary>
/// Readiness means "this replica can serve its callers now", so a rollout stalls rather than replacing working pods
/// with pods that cannot serve, and a replica that can serve again is Ready again within seconds.
/// </summary>
public sealed class FleetReadinessTests : IAsyncLifetime
{
    private SandboxHost _sandbox = null!;

    public async Task InitializeAsync() => _sandbox = await SandboxHost.StartAsync();

    public async Task DisposeAsync() => await _sandbox.DisposeAsync();

    [Fact]
    public async Task A_replica_started_while_Auth0_is_down_is_not_ready_and_is_ready_within_RetryMaxDelayWithoutToken_once_Auth0_answers()
    {
        _sandbox.Switches.TokenEndpointStatus = 503;
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var gateway = new GatewayHost(_sandbox, new Dictionary<string, string?> { ["Gateway:Tokens:RetryMaxDelayWithoutToken"] = "00:00:05" }, services => services.AddSingleton<TimeProvider>(clock));
        using var caller = gateway.CreateCaller();
        var tokens = gateway.Services.GetRequiredService<AccessTokenProvider>();

        // Long enough down for RetryMaxDelay's back-off (a minute) to have grown past the cap.
        await Eventually.AdvanceUntilAsync(clock, TimeSpan.Zero, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5), () => _sandbox.Recorder.TokenRequests >= 8);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await ReadyStatusAsync(gateway));
        using (var refused = await caller.GetAsync("/external/sources?projectId=1"))
        {
            await Problem.AssertAsync(refused, HttpStatusCode.ServiceUnavailable, "token-unavailable");
        }

        _sandbox.Switches.TokenEndpointStatus = null;
        await Eventually.AdvanceUntilAsync(clock, TimeSpan.Zero, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(5), () => tokens.ReadinessOf("stage") == TokenReadiness.Usable);

        Assert.Equal(HttpStatusCode.OK, await ReadyStatusAsync(gateway));
        using var served = await caller.GetAsync("/external/sources?projectId=1");
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
    }

    [Fact]
    public async Task A_replica_started_while_Auth0_is_down_is_ready_on_the_token_its_peers_put_in_Redis()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var replicas = new ReplicaSet(_sandbox);
        var settings = new Dictionary<string, string?> { ["Gateway:Redis:ConnectionString"] = redis.ConnectionString };
        replicas.Start(1, settings);
        await replicas.ReadinessIsAsync("Healthy");

        _sandbox.Switches.TokenEndpointStatus = 503;
        replicas.Start(1, settings);
        await replicas.ReadinessIsAsync("Healthy");

        Assert.Equal(1, _sandbox.Recorder.TokensIssued);
    }

    [Theory]
    [InlineData("Closed", "FollowRateLimits", HttpStatusCode.ServiceUnavailable)]
    [InlineData("LocalShare", "FollowRateLimits", HttpStatusCode.OK)]
    [InlineData("Closed", "Ready", HttpStatusCode.OK)]
    [InlineData("LocalShare", "NotReady", HttpStatusCode.ServiceUnavailable)]
    public async Task With_Redis_down_readiness_follows_the_rate_limits_policy_unless_told_otherwise(string onRedisFailure, string readinessWhenDown, HttpStatusCode expected)
    {
        await using var gateway = new GatewayHost(_sandbox, new Dictionary<string, string?>
        {
            ["Gateway:Redis:ConnectionString"] = $"127.0.0.1:{FreePort.Next()},connectTimeout=200",
            ["Gateway:Redis:OperationTimeout"] = "00:00:00.200",
            ["Gateway:RateLimits:OnRedisFailure"] = onRedisFailure,
            ["Gateway:Redis:ReadinessWhenDown"] = readinessWhenDown,
        });

        JsonElement redis = default;
        using var management = new HttpClient { BaseAddress = gateway.ManagementAddress };
        HttpStatusCode status = default;
        await Eventually.HoldsAsync(
            async () =>
            {
                using var response = await management.GetAsync("/health/ready");
                var entries = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("entries");
                redis = entries.GetProperty("redis").Clone();
                status = response.StatusCode;
                return entries.GetProperty("token:stage").GetProperty("status").GetString() == "Healthy" && redis.GetProperty("status").GetString() != "Healthy";
            },
            () => $"a token, and Redis found down (last: {redis})");

        Assert.Equal(expected, status);
        using var live = await management.GetAsync("/health/live");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode); // liveness never depends on Redis
    }

    [Fact]
    public async Task A_client_secret_fixed_by_a_swap_is_tried_at_once_whatever_the_back_off_had_grown_to()
    {
        var files = new Dictionary<string, string> { ["Gateway__Environments__stage__Auth0__ClientSecret"] = "a-wrong-secret-3f9c" };
        using var volume = new KubernetesSecretVolume(files);
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var gateway = new GatewayHost(
            _sandbox,
            new Dictionary<string, string?>
            {
                ["Gateway:SecretsDirectory"] = volume.Path,
                ["Gateway:SecretsPollInterval"] = "00:00:00.100",
                ["Gateway:Environments:stage:Auth0:ClientSecret"] = null,
            },
            services => services.AddSingleton<TimeProvider>(clock));
        var tokens = gateway.Services.GetRequiredService<AccessTokenProvider>();

        // Refused again and again: the back-off for refused credentials has grown to half a minute or more.
        await Eventually.AdvanceUntilAsync(clock, TimeSpan.Zero, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5), () => _sandbox.Recorder.TokenRequests >= 6);
        Assert.Equal(TokenReadiness.Refused, tokens.ReadinessOf("stage"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await ReadyStatusAsync(gateway));

        files["Gateway__Environments__stage__Auth0__ClientSecret"] = SandboxHost.ClientSecret;
        volume.Update(files);

        // A look at the folder (0.1 s) and the fetch it starts: well inside the second the clock is given.
        await Eventually.AdvanceUntilAsync(clock, TimeSpan.Zero, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1), () => tokens.ReadinessOf("stage") == TokenReadiness.Usable);
        Assert.Equal(HttpStatusCode.OK, await ReadyStatusAsync(gateway));
    }

    private static async Task<HttpStatusCode> ReadyStatusAsync(GatewayHost gateway)
    {
        using var management = new HttpClient { BaseAddress = gateway.ManagementAddress };
        using var response = await management.GetAsync("/health/ready");
        return response.StatusCode;
    }
}
