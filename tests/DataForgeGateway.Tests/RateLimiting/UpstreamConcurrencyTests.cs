using System.Net;
using DataForgeGateway.Tests.Infrastructure;

namespace DataForgeGateway.Tests.RateLimiting;

/// <summary>The cap on requests in flight to DataForge is shared fairly: one caller's flood leaves room for the others.</summary>
public sealed class UpstreamConcurrencyTests : GatewayTest
{
    protected override Dictionary<string, string?> Settings => new()
    {
        ["Gateway:Environments:stage:MaxConcurrentRequests"] = "4",
        ["Gateway:Environments:stage:MaxQueuedRequests"] = "4",
        ["Gateway:Environments:stage:QueueTimeout"] = "00:00:30",
    };

    [Fact]
    public async Task One_callers_flood_of_slow_requests_leaves_room_for_another_callers_first_request()
    {
        using var flooding = Gateway.CreateCaller();
        using var other = Gateway.CreateCaller(GatewayHost.OtherCallerKey);
        using (await flooding.GetAsync("/external/sources?projectId=1"))
        {
        }

        Sandbox.Switches.ApiDelay = TimeSpan.FromSeconds(2);
        // Distinct projects: identical concurrent reads would share one DataForge call, and each is to hold a slot.
        var flood = Enumerable.Range(0, 20).Select(i => flooding.GetAsync($"/external/sources?projectId={i + 2}")).ToList();
        await Eventually.HoldsAsync(() => Sandbox.Recorder.Arrivals >= 3, "the flood's first requests reach DataForge");

        using var first = await other.GetAsync("/external/sources?projectId=1");
        var responses = await Task.WhenAll(flood);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);

        // The flooding caller holds its share, half of the slots and half of the queue: 2 + 2 get through.
        Assert.Equal(4, responses.Count(r => r.StatusCode == HttpStatusCode.OK));
        var busy = responses.Where(r => r.StatusCode == HttpStatusCode.ServiceUnavailable).ToList();
        Assert.Equal(16, busy.Count);
        await Problem.AssertAsync(busy[0], HttpStatusCode.ServiceUnavailable, "upstream-busy");
        Assert.NotNull(busy[0].Headers.RetryAfter);
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }
}
