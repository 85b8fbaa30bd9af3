using System.Net;
using DataForgeGateway.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace DataForgeGateway.Tests.Tokens;

/// <summary>
/// DataForge refusing tokens it never accepted (a wrong audience, a tenant mix-up): renewals back off from
/// RetryInitialDelay, doubling up to RetryMaxDelay, and callers get 503 with Retry-After meanwhile.
/// </summary>
public sealed class TokenRefusalBrakeTests() : GatewayTest(new FakeTimeProvider(Morning))
{
    protected override Dictionary<string, string?> Settings => new()
    {
        ["Gateway:Tokens:RetryInitialDelay"] = "00:00:01",
        ["Gateway:Tokens:RetryMaxDelay"] = "00:00:04",
    };

    [Fact]
    public async Task While_DataForge_refuses_fresh_tokens_renewals_back_off_and_callers_get_503_with_retry_after()
    {
        using var caller = Gateway.CreateCaller();
        using (var working = await caller.GetAsync("/external/sources?projectId=1"))
        {
            Assert.Equal(HttpStatusCode.OK, working.StatusCode);
        }

        Sandbox.Switches.ApiStatus = 401; // from now on DataForge refuses every token, fresh or not

        // The token that worked was revoked, as far as the gateway can tell: renewed at once, and the new one refused too.
        Assert.Equal(1, await RefusedAsync(caller));
        Assert.Equal(2, Sandbox.Recorder.TokensIssued);

        // Meanwhile nothing is forwarded and no token is asked for.
        var arrivals = Sandbox.Recorder.Arrivals;
        for (var i = 0; i < 5; i++)
        {
            Assert.InRange(await RefusedAsync(caller), 1, 1);
        }

        Assert.Equal(arrivals, Sandbox.Recorder.Arrivals);
        Assert.Equal(2, Sandbox.Recorder.TokensIssued);

        // Each wait over, one renewal, and the next wait twice as long, up to RetryMaxDelay.
        var waits = new List<int>();
        foreach (var wait in new[] { 1, 2, 4, 4 })
        {
            Clock.Advance(TimeSpan.FromSeconds(wait));
            waits.Add(await RefusedAsync(caller));
        }

        Assert.Equal([2, 4, 4, 4], waits);
        Assert.Equal(6, Sandbox.Recorder.TokensIssued);

        // DataForge takes tokens again: after the wait the next renewal works, with no restart.
        Sandbox.Switches.ApiStatus = null;
        Clock.Advance(TimeSpan.FromSeconds(4));
        using var recovered = await caller.GetAsync("/external/sources?projectId=1");
        Assert.Equal(HttpStatusCode.OK, recovered.StatusCode);
        Assert.Equal(7, Sandbox.Recorder.TokensIssued);
    }

    /// <summary>Sends a request that must be answered 503 token-unavailable; returns its Retry-After in seconds.</summary>
    private static async Task<int> RefusedAsync(HttpClient caller)
    {
        using var response = await caller.GetAsync("/external/sources?projectId=1");
        await Problem.AssertAsync(response, HttpStatusCode.ServiceUnavailable, "token-unavailable");
        Assert.Empty(response.Headers.WwwAuthenticate);
        return (int)response.Headers.RetryAfter!.Delta!.Value.TotalSeconds;
    }
}
