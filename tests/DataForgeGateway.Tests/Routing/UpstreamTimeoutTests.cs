using System.Net;
using DataForgeGateway.Tests.Infrastructure;

namespace DataForgeGateway.Tests.Routing;

/// <summary>A DataForge that does not answer holds a request (and a slot of the cap) for the upstream timeout, no longer.</summary>
public sealed class UpstreamTimeoutTests : GatewayTest
{
    protected override Dictionary<string, string?> Settings => new()
    {
        ["Gateway:Environments:stage:UpstreamTimeout"] = "00:00:00.500",
        ["Gateway:Environments:stage:OperationTimeouts:source-pull"] = "00:01:00",
    };

    [Fact]
    public async Task A_hanging_DataForge_is_504_upstream_timeout_and_an_operation_may_wait_longer()
    {
        using var caller = Gateway.CreateCaller();
        using (await caller.GetAsync("/external/sources?projectId=1"))
        {
        }

        Sandbox.Switches.ApiDelay = TimeSpan.FromSeconds(3);

        using var sources = await caller.GetAsync("/external/sources?projectId=1");
        using var pull = await caller.PostAsync("/external/source-pull/19643", null);

        await Problem.AssertAsync(sources, HttpStatusCode.GatewayTimeout, "upstream-timeout");
        Assert.Equal(HttpStatusCode.OK, pull.StatusCode);
    }
}
