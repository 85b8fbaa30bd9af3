using System.Net;
using System.Text.Json;
using DataForgeGateway.Tests.Infrastructure;

namespace DataForgeGateway.Tests.Tokens;

/// <summary>Replicas that share a Redis share one token.</summary>
[Collection(RedisTests.Name)]
public sealed class SharedTokenCacheTests(SharedRedis redis) : IAsyncLifetime
{
    private SandboxHost _sandbox = null!;

    public async Task InitializeAsync() => _sandbox = await SandboxHost.StartAsync();

    public async Task DisposeAsync() => await _sandbox.DisposeAsync();

    [Fact]
    public async Task Two_gateway_instances_sharing_one_Redis_get_one_token_between_them()
    {
        var settings = redis.SettingsForTest("two-instances");
        await using var first = new GatewayHost(_sandbox, settings);
        await using var second = new GatewayHost(_sandbox, settings);
        using var firstCaller = first.CreateCaller();
        using var secondCaller = second.CreateCaller();

        using (var response = await firstCaller.GetAsync("/external/sources?projectId=1"))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        using (var response = await secondCaller.GetAsync("/external/sources?projectId=2"))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(1, _sandbox.Recorder.TokensIssued);
        Assert.Single(_sandbox.Recorder.Requests.Select(r => r.Authorization).Distinct());
    }

    [Fact]
    public async Task Instances_with_different_key_prefixes_do_not_share()
    {
        await using var first = new GatewayHost(_sandbox, redis.SettingsForTest("prefix-a"));
        await using var second = new GatewayHost(_sandbox, redis.SettingsForTest("prefix-b"));
        using var firstCaller = first.CreateCaller();
        using var secondCaller = second.CreateCaller();

        using (await firstCaller.GetAsync("/external/sources?projectId=1"))
        using (await secondCaller.GetAsync("/external/sources?projectId=1"))
        {
        }

        Assert.Equal(2, _sandbox.Recorder.TokensIssued);
    }

    [Fact]
    public async Task With_Redis_down_requests_are_still_served_and_readiness_is_degraded()
    {
        await using var gateway = new GatewayHost(_sandbox, new Dictionary<string, string?>
        {
            ["Gateway:Redis:ConnectionString"] = $"127.0.0.1:{FreePort.Next()},connectTimeout=500",
        });
        using var caller = gateway.CreateCaller();
        using var management = new HttpClient { BaseAddress = gateway.ManagementAddress };

        using var response = await caller.GetAsync("/external/sources?projectId=1");
        using var again = await caller.GetAsync("/external/sources?projectId=1");
        using var ready = await management.GetAsync("/health/ready");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(1, _sandbox.Recorder.TokensIssued);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        var health = JsonDocument.Parse(await ready.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("Degraded", health.GetProperty("status").GetString());
        Assert.Equal("Degraded", health.GetProperty("entries").GetProperty("redis").GetProperty("status").GetString());
    }

    [Fact]
    public async Task With_Redis_up_readiness_reports_it_healthy()
    {
        await using var gateway = new GatewayHost(_sandbox, redis.SettingsForTest("ready"));
        using var management = new HttpClient { BaseAddress = gateway.ManagementAddress };

        using var ready = await management.GetAsync("/health/ready");

        var health = JsonDocument.Parse(await ready.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("Healthy", health.GetProperty("entries").GetProperty("redis").GetProperty("status").GetString());
    }
}
