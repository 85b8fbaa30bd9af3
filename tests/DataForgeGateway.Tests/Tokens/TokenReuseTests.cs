using System.Net;
using DataForgeGateway.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace DataForgeGateway.Tests.Tokens;

/// <summary>One gateway, in-process cache: Auth0 is asked once per token lifetime, however many requests come.</summary>
public sealed class TokenReuseTests() : GatewayTest(new FakeTimeProvider(Morning), tokenLifetimeSeconds: 3600)
{
    [Fact]
    public async Task Sequential_requests_reuse_one_token()
    {
        using var caller = Gateway.CreateCaller();

        for (var i = 0; i < 5; i++)
        {
            using var response = await caller.GetAsync("/external/sources?projectId=1");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(1, Sandbox.Recorder.TokensIssued);
        Assert.Single(Sandbox.Recorder.Requests.Select(r => r.Authorization).Distinct());
    }

    [Fact]
    public async Task Concurrent_cold_requests_cause_one_token_request()
    {
        using var caller = Gateway.CreateCaller();

        var responses = await Task.WhenAll(Enumerable.Range(0, 64).Select(_ => caller.GetAsync("/external/sources?projectId=1")));

        Assert.All(responses, response => Assert.Equal(HttpStatusCode.OK, response.StatusCode));
        Assert.Equal(1, Sandbox.Recorder.TokenRequests);
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }
}
