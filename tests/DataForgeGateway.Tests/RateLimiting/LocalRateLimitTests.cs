using System.Net;
using DataForgeGateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace DataForgeGateway.Tests.RateLimiting;

/// <summary>One replica without Redis: limits per caller and per operation, on a controllable clock.</summary>
public sealed class LocalRateLimitTests() : GatewayTest(new FakeTimeProvider(Morning))
{
    protected override Dictionary<string, string?>? Settings => new()
    {
        ["Gateway:RateLimits:Default:PermitsPerSecond"] = "1",
        ["Gateway:RateLimits:Default:Burst"] = "5",
        ["Gateway:RateLimits:Operations:source-pull:PermitsPerSecond"] = "0.1",
        ["Gateway:RateLimits:Operations:source-pull:Burst"] = "2",
        [$"Gateway:Callers:{GatewayHost.OtherCallerName}:RateLimit:PermitsPerSecond"] = "1",
        [$"Gateway:Callers:{GatewayHost.OtherCallerName}:RateLimit:Burst"] = "1",
    };

    [Fact]
    public async Task A_caller_gets_its_burst_then_429_with_retry_after_and_its_rate_afterwards()
    {
        using var caller = Gateway.CreateCaller();

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 6; i++)
        {
            using var response = await caller.GetAsync("/external/sources?projectId=1");
            statuses.Add(response.StatusCode);
            if (i == 5)
            {
                var problem = await Problem.AssertAsync(response, HttpStatusCode.TooManyRequests, "rate-limited");
                Assert.Contains("'caller' limit", problem.GetProperty("detail").GetString());
                Assert.Equal(TimeSpan.FromSeconds(1), response.Headers.RetryAfter?.Delta);
                Assert.Equal("\"caller\";r=0;t=5", string.Join(",", response.Headers.GetValues("RateLimit")));
            }
        }

        Assert.Equal([.. Enumerable.Repeat(HttpStatusCode.OK, 5), HttpStatusCode.TooManyRequests], statuses);
        Assert.Equal(5, Sandbox.Recorder.Requests.Count);

        Clock.Advance(TimeSpan.FromSeconds(1));
        using var refilled = await caller.GetAsync("/external/sources?projectId=1");
        Assert.Equal(HttpStatusCode.OK, refilled.StatusCode);
    }

    [Fact]
    public async Task Admitted_responses_say_where_the_caller_stands()
    {
        using var caller = Gateway.CreateCaller();

        using var first = await caller.GetAsync("/external/sources?projectId=1");
        using var second = await caller.GetAsync("/external/sources?projectId=1");

        Assert.Equal("\"caller\";q=5;w=5", string.Join(",", first.Headers.GetValues("RateLimit-Policy")));
        Assert.Equal("\"caller\";r=4;t=1", string.Join(",", first.Headers.GetValues("RateLimit")));
        Assert.Equal("\"caller\";r=3;t=2", string.Join(",", second.Headers.GetValues("RateLimit")));
        Assert.DoesNotContain(GatewayHost.CallerKey, first.Headers.ToString());
    }

    [Fact]
    public async Task An_operation_limit_applies_on_top_of_the_callers_limit()
    {
        using var caller = Gateway.CreateCaller();

        var pulls = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            using var response = await caller.PostAsync("/external/source-pull/19643", null);
            pulls.Add(response.StatusCode);
            if (i == 0)
            {
                Assert.Equal("\"caller\";q=5;w=5, \"source-pull\";q=2;w=20", string.Join(",", response.Headers.GetValues("RateLimit-Policy")));
            }
            else if (i == 2)
            {
                var problem = await Problem.AssertAsync(response, HttpStatusCode.TooManyRequests, "rate-limited");
                Assert.Contains("'source-pull' limit", problem.GetProperty("detail").GetString());
                Assert.Equal(TimeSpan.FromSeconds(10), response.Headers.RetryAfter?.Delta);
            }
        }

        using var listing = await caller.GetAsync("/external/sources?projectId=1");

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], pulls);
        Assert.Equal(HttpStatusCode.OK, listing.StatusCode);
    }

    [Fact]
    public async Task One_callers_refusals_leave_other_callers_alone()
    {
        using var limited = Gateway.CreateCaller(GatewayHost.OtherCallerKey);
        using var other = Gateway.CreateCaller();

        using (var first = await limited.GetAsync("/external/sources?projectId=1"))
        using (var second = await limited.GetAsync("/external/sources?projectId=1"))
        {
            Assert.Equal((HttpStatusCode.OK, HttpStatusCode.TooManyRequests), (first.StatusCode, second.StatusCode));
        }

        using var unaffected = await other.GetAsync("/external/sources?projectId=1");
        Assert.Equal(HttpStatusCode.OK, unaffected.StatusCode);
    }
}
