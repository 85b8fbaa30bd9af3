using System.Net;
using DataForgeGateway.Tests.Infrastructure;

namespace DataForgeGateway.Tests.Redis;

/// <summary>A Redis failure is logged with where and why, never the password.</summary>
public sealed class RedisOptionsTests
{
    [Fact]
    public async Task A_Redis_failure_is_logged_with_its_endpoint_and_cause_but_not_its_password()
    {
        await using var sandbox = await SandboxHost.StartAsync();
        var port = FreePort.Next();
        await using var gateway = new GatewayHost(sandbox, new Dictionary<string, string?>
        {
            ["Gateway:Redis:ConnectionString"] = $"127.0.0.1:{port},password=redis-pw-7f3e91,connectTimeout=300",
        });
        using var caller = gateway.CreateCaller();

        using var response = await caller.GetAsync("/external/sources?projectId=1");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var logs = string.Join('\n', gateway.Logs.Lines);
        Assert.Contains($"127.0.0.1:{port}", logs);
        Assert.DoesNotContain("redis-pw-7f3e91", logs);
    }
}
