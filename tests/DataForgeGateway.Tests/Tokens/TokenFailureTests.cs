using System.Net;
using DataForgeGateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace DataForgeGateway.Tests.Tokens;

/// <summary>When no token can be had, the caller gets 503 (not their fault), nothing is forwarded, and nothing of Auth0's body leaks.</summary>
public sealed class TokenFailureTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 27, 9, 0, 0, TimeSpan.Zero));
    private SandboxHost _sandbox = null!;

    public async Task InitializeAsync() => _sandbox = await SandboxHost.StartAsync(_clock);

    public async Task DisposeAsync() => await _sandbox.DisposeAsync();

    public static TheoryData<string, string?> MisconfiguredTenants => new()
    {
        { "Gateway:Environments:stage:Auth0:ClientSecret", "wrong-secret-d41d8c" },
        { "Gateway:Environments:stage:Auth0:ClientId", "unknown-client" },
        { "Gateway:Environments:stage:Auth0:Audience", "https://unknown-audience.example" },
    };

    [Theory]
    [MemberData(nameof(MisconfiguredTenants))]
    public async Task Refused_credentials_give_503_with_retry_after_and_forward_nothing(string key, string? value)
    {
        await using var gateway = Gateway(new Dictionary<string, string?> { [key] = value });
        using var caller = gateway.CreateCaller();

        using var response = await caller.GetAsync("/external/sources?projectId=1");

        var problem = await Problem.AssertAsync(response, HttpStatusCode.ServiceUnavailable, "token-unavailable");
        Assert.NotNull(response.Headers.RetryAfter?.Delta);
        Assert.DoesNotContain("Service not enabled", problem.GetRawText());
        Assert.DoesNotContain("access_denied", problem.GetRawText());
        Assert.Equal(0, _sandbox.Recorder.Arrivals);
        var logs = string.Join('\n', gateway.Logs.Lines);
        Assert.Contains("Rejected", logs);
        Assert.DoesNotContain("wrong-secret-d41d8c", logs);
        Assert.DoesNotContain(SandboxHost.ClientSecret, logs);
    }

    [Theory]
    [InlineData(500)]
    [InlineData(503)]
    [InlineData(200)] // a 200 whose body is an HTML page, not a token
    public async Task An_unavailable_or_nonsensical_tenant_gives_503(int tokenStatus)
    {
        _sandbox.Switches.TokenEndpointStatus = tokenStatus;
        await using var gateway = Gateway();
        using var caller = gateway.CreateCaller();

        using var response = await caller.GetAsync("/external/sources?projectId=1");

        var problem = await Problem.AssertAsync(response, HttpStatusCode.ServiceUnavailable, "token-unavailable");
        Assert.DoesNotContain("maintenance", problem.GetRawText());
        Assert.Equal(0, _sandbox.Recorder.Arrivals);
    }

    [Fact]
    public async Task A_rate_limited_tenant_passes_its_wait_on_as_retry_after()
    {
        _sandbox.Switches.TokenEndpointStatus = 429;
        await using var gateway = Gateway();
        using var caller = gateway.CreateCaller();

        using var response = await caller.GetAsync("/external/sources?projectId=1");

        await Problem.AssertAsync(response, HttpStatusCode.ServiceUnavailable, "token-unavailable");
        Assert.Equal(TimeSpan.FromSeconds(2), response.Headers.RetryAfter?.Delta);
    }

    [Fact]
    public async Task A_tenant_asking_for_a_long_wait_is_honoured_only_up_to_RetryMaxDelay()
    {
        _sandbox.Switches.TokenEndpointStatus = 429;
        _sandbox.Switches.TokenEndpointRetryAfter = TimeSpan.FromMinutes(10);
        await using var gateway = Gateway(new Dictionary<string, string?> { ["Gateway:Tokens:RetryMaxDelay"] = "00:00:08" });
        using var caller = gateway.CreateCaller();

        using (var refused = await caller.GetAsync("/external/sources?projectId=1"))
        {
            await Problem.AssertAsync(refused, HttpStatusCode.ServiceUnavailable, "token-unavailable");
            Assert.Equal(TimeSpan.FromSeconds(8), refused.Headers.RetryAfter?.Delta);
        }

        _sandbox.Switches.TokenEndpointStatus = null;
        _clock.Advance(TimeSpan.FromSeconds(8));
        using var recovered = await caller.GetAsync("/external/sources?projectId=1");

        Assert.Equal(HttpStatusCode.OK, recovered.StatusCode);
    }

    [Fact]
    public async Task A_slow_tenant_is_cut_off_by_the_request_timeout()
    {
        _sandbox.Switches.TokenEndpointDelay = TimeSpan.FromMinutes(1);
        await using var gateway = Gateway(new Dictionary<string, string?> { ["Gateway:Tokens:RequestTimeout"] = "00:00:00.300" });
        using var caller = gateway.CreateCaller();

        using var response = await caller.GetAsync("/external/sources?projectId=1");

        await Problem.AssertAsync(response, HttpStatusCode.ServiceUnavailable, "token-unavailable");
        Assert.Contains(gateway.Logs.Lines, line => line.Contains("(Timeout)", StringComparison.Ordinal));
    }

    private GatewayHost Gateway(Dictionary<string, string?>? settings = null) =>
        new(_sandbox, settings, services => services.AddSingleton<TimeProvider>(_clock));
}
