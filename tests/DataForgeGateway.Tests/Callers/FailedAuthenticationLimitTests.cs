using System.Net;
using DataForgeGateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace DataForgeGateway.Tests.Callers;

/// <summary>Requests without a valid key are limited per client address; a valid key from that address is not slowed.</summary>
public sealed class FailedAuthenticationLimitTests : GatewayTest
{
    protected override Dictionary<string, string?> Settings => new()
    {
        ["Gateway:RateLimits:FailedAuthentication:PermitsPerSecond"] = "0.01",
        ["Gateway:RateLimits:FailedAuthentication:Burst"] = "5",
    };

    [Fact]
    public async Task An_address_past_its_failed_authentications_gets_429_and_its_valid_key_still_works()
    {
        using var refusals = new MetricCollector<long>(
            Gateway.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(),
            DataForgeGateway.Callers.CallerMetrics.MeterName,
            "dataforge_gateway.ratelimit.failed_authentication_refusals");
        using var guessing = Gateway.CreateCaller("guess-" + Guid.NewGuid().ToString("N"));
        using var valid = Gateway.CreateCaller();

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 8; i++)
        {
            using var response = await guessing.GetAsync("/external/sources?projectId=1");
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                await Problem.AssertAsync(response, HttpStatusCode.TooManyRequests, "rate-limited");
                Assert.NotNull(response.Headers.RetryAfter);
            }
        }

        using var allowed = await valid.GetAsync("/external/sources?projectId=1");

        Assert.Equal(Enumerable.Repeat(HttpStatusCode.Unauthorized, 5).Concat(Enumerable.Repeat(HttpStatusCode.TooManyRequests, 3)), statuses);
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal(3, refusals.GetMeasurementSnapshot().Count);
    }
}
