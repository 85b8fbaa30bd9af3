using System.Net;
using DataForgeGateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace DataForgeGateway.Tests.Tokens;

/// <summary>One gateway, in-process cache: Auth0 is asked once per token lifetime, however many requests come.</summary>
public sealed class TokenReuseTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 27, 9, 0, 0, TimeSpan.Zero));
    private SandboxHost _sandbox = null!;
    private GatewayHost _gateway = null!;

    public async Task InitializeAsync()
    {
        _sandbox = await SandboxHost.StartAsync(_clock, tokenLifetimeSeconds: 3600);
        _gateway = new GatewayHost(_sandbox, services: services => services.AddSingleton<TimeProvider>(_clock));
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _sandbox.DisposeAsync();
    }

    [Fact]
    public async Task Sequential_requests_reuse_one_token()
    {
        using var caller = _gateway.CreateCaller();

        for (var i = 0; i < 5; i++)
        {
            using var response = await caller.GetAsync("/external/sources?projectId=1");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(1, _sandbox.Recorder.TokensIssued);
        Assert.Single(_sandbox.Recorder.Requests.Select(r => r.Authorization).Distinct());
    }

    [Fact]
    public async Task Concurrent_cold_requests_cause_one_token_request()
    {
        using var caller = _gateway.CreateCaller();

        var responses = await Task.WhenAll(Enumerable.Range(0, 64).Select(_ => caller.GetAsync("/external/sources?projectId=1")));

        Assert.All(responses, response => Assert.Equal(HttpStatusCode.OK, response.StatusCode));
        Assert.Equal(1, _sandbox.Recorder.TokenRequests);
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }
}
