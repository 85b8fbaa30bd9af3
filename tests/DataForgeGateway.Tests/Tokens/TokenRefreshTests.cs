using System.Net;
using DataForgeGateway.Tests.Infrastructure;
using DataForgeGateway.Tokens;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace DataForgeGateway.Tests.Tokens;

/// <summary>
/// The token is renewed in the background before requests need it; when Auth0 fails, the cached token is served
/// while it may be, Auth0 is asked at a bounded rate, and callers get 503 only when no token may be sent.
/// </summary>
public sealed class TokenRefreshTests() : GatewayTest(new FakeTimeProvider(Morning), tokenLifetimeSeconds: 3600)
{
    [Fact]
    public async Task The_token_is_renewed_in_the_background_at_about_80_percent_of_its_lifetime()
    {
        using var caller = Gateway.CreateCaller();
        using (await caller.GetAsync("/external/sources?projectId=1"))
        {
        }

        // 80% of an hour with 5% jitter either way: due between minute 45 and 51, well before the safety margin at 55.
        var due = Gateway.Services.GetRequiredService<AccessTokenProvider>().NextRefreshAt("stage") - Clock.GetUtcNow();
        Assert.InRange(due, TimeSpan.FromMinutes(45), TimeSpan.FromMinutes(51));

        // The clock moved to the refresh point at once, not a step at a time: the renewal is waited for, however slow
        // the machine, and nothing else moves the clock meanwhile.
        Clock.Advance(due);
        await Eventually.HoldsAsync(() => Sandbox.Recorder.TokensIssued == 2, "the token is renewed at its refresh point");
        using var response = await caller.GetAsync("/external/sources?projectId=1");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var requests = Sandbox.Recorder.Requests;
        Assert.NotEqual(requests[0].Authorization, requests[^1].Authorization);
        Assert.Equal(2, Sandbox.Recorder.TokensIssued);
    }

    [Fact]
    public async Task While_Auth0_is_down_the_cached_token_is_served_until_the_safety_margin_and_then_never()
    {
        using var caller = Gateway.CreateCaller();
        using (await caller.GetAsync("/external/sources?projectId=1"))
        {
        }

        var firstToken = Sandbox.Recorder.Requests[0].Authorization;
        Sandbox.Switches.TokenEndpointStatus = 503;

        // Past the refresh point the background refresh fails, and the old token is still served ...
        await Eventually.AdvanceUntilAsync(Clock, TimeSpan.FromMinutes(44), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(54), () => Sandbox.Recorder.TokenRequests >= 2);
        Clock.SetUtcNow(new DateTimeOffset(2026, 11, 27, 9, 54, 59, TimeSpan.Zero));
        using (var response = await caller.GetAsync("/external/sources?projectId=1"))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(firstToken, Sandbox.Recorder.Requests[^1].Authorization);
        var forwarded = Sandbox.Recorder.Requests.Count;

        // ... until five minutes before its expiry: from then on the caller gets 503 and nothing is forwarded.
        Clock.Advance(TimeSpan.FromSeconds(1));
        using var refused = await caller.GetAsync("/external/sources?projectId=1");

        await Problem.AssertAsync(refused, HttpStatusCode.ServiceUnavailable, "token-unavailable");
        Assert.NotNull(refused.Headers.RetryAfter?.Delta);
        Assert.Equal(forwarded, Sandbox.Recorder.Requests.Count);
    }

    [Theory]
    [InlineData(401)]
    [InlineData(403)]
    [InlineData(429)]
    [InlineData(500)]
    [InlineData(200)] // an HTML page instead of a token
    public async Task Whatever_Auth0_fails_with_the_cached_token_keeps_being_served(int tokenStatus)
    {
        using var caller = Gateway.CreateCaller();
        using (await caller.GetAsync("/external/sources?projectId=1"))
        {
        }

        Sandbox.Switches.TokenEndpointStatus = tokenStatus;
        await Eventually.AdvanceUntilAsync(Clock, TimeSpan.FromMinutes(44), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(54), () => Sandbox.Recorder.TokenRequests >= 2);

        using var response = await caller.GetAsync("/external/sources?projectId=1");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, Sandbox.Recorder.TokensIssued);
        Assert.Single(Sandbox.Recorder.Requests.Select(r => r.Authorization).Distinct());
    }

    [Fact]
    public async Task A_burst_of_requests_while_Auth0_fails_does_not_become_a_burst_at_Auth0()
    {
        Sandbox.Switches.TokenEndpointStatus = 503;
        using var caller = Gateway.CreateCaller();
        using (await caller.GetAsync("/external/sources?projectId=1"))
        {
        }

        var before = Sandbox.Recorder.TokenRequests;
        var responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => caller.GetAsync("/external/sources?projectId=1")));

        Assert.All(responses, response => Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode));
        Assert.All(responses, response => Assert.NotNull(response.Headers.RetryAfter?.Delta));
        Assert.Equal(before, Sandbox.Recorder.TokenRequests);
        Assert.Equal(0, Sandbox.Recorder.Arrivals);
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    [Fact]
    public async Task Recovery_after_an_outage_needs_no_restart()
    {
        Sandbox.Switches.TokenEndpointStatus = 503;
        using var caller = Gateway.CreateCaller();
        using (var failed = await caller.GetAsync("/external/sources?projectId=1"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.StatusCode);
        }

        Sandbox.Switches.TokenEndpointStatus = null;
        Clock.Advance(TimeSpan.FromMinutes(1)); // the longest back-off
        using var recovered = await caller.GetAsync("/external/sources?projectId=1");

        Assert.Equal(HttpStatusCode.OK, recovered.StatusCode);
        Assert.Equal(1, Sandbox.Recorder.TokensIssued);
    }
}
