using System.Net;
using DataForgeGateway.Tests.Infrastructure;

namespace DataForgeGateway.Tests.Redis;

/// <summary>
/// Redis as companies run it: a real three-master Redis Cluster, and a master with a replica behind three
/// sentinels. Replicas of the gateway share one token and one exact limit on them as on a single Redis, and a node
/// lost, slots moved or a failover cost no 500.
/// </summary>
[Collection(SerialTests.Name)]
public sealed class HighlyAvailableRedisTests : ReplicaSetTest
{
    [Fact]
    public async Task On_a_cluster_three_replicas_share_one_token_and_one_exact_limit()
    {
        await using var cluster = await RedisCluster.StartAsync();
        var callers = Replicas.Start(3, Limited(cluster.ConnectionString, burst: 20));

        var statuses = await ReplicaSet.SendAsync(callers, 60);

        Assert.Equal(20, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(40, statuses.Count(s => s == HttpStatusCode.TooManyRequests));
        Assert.Equal(1, Sandbox.Recorder.TokenRequests);
        Assert.All(Replicas.Gateways, gateway => Assert.DoesNotContain(gateway.Logs.Lines, line => line.Contains("Redis", StringComparison.Ordinal) && line.StartsWith("Warning", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task On_a_cluster_a_master_lost_and_back_and_slots_moved_under_load_cost_no_500()
    {
        await using var cluster = await RedisCluster.StartAsync();
        var settings = Limited(cluster.ConnectionString, burst: 100_000);
        settings["Gateway:Redis:OperationTimeout"] = "00:00:00.300";
        settings["Gateway:RateLimits:RedisRetryInterval"] = "00:00:01";
        var callers = Replicas.Start(2, settings);
        Assert.All(await ReplicaSet.SendAsync(callers, 40), s => Assert.Equal(HttpStatusCode.OK, s));

        await cluster.Nodes[2].KillAsync();
        var whileDown = await ReplicaSet.SendAsync(callers, 80);
        await cluster.Nodes[2].StartAgainAsync();
        await Eventually.HoldsAsync(() => cluster.Nodes.All(n => n.Command("CLUSTER", "INFO").Contains("cluster_state:ok", StringComparison.Ordinal)), "the cluster is whole again");

        var resharding = cluster.ReshardAsync(slots: 1500);
        // 200 requests, 40 at a time: within the caller's share of each replica's DataForge cap (32 in flight, 64
        // queued), so that every answer that is not 200 is Redis's doing.
        var whileMoving = await ReplicaSet.SendAsync(callers, 200, maxConcurrent: 40);
        Assert.Contains("Moving slot", await resharding);

        Assert.All(whileDown.Concat(whileMoving), s => Assert.Equal(HttpStatusCode.OK, s));
        await Replicas.ReadinessIsAsync("Healthy", meanwhile: () => ReplicaSet.SendAsync(callers, 4));
    }

    [Fact]
    public async Task With_Sentinel_a_failover_costs_no_500_and_afterwards_limits_are_shared_and_exact_again()
    {
        await using var sentinel = await RedisSentinelGroup.StartAsync();
        var settings = Limited(sentinel.ConnectionString, burst: 100_000);
        settings["Gateway:Redis:OperationTimeout"] = "00:00:00.300";
        settings["Gateway:RateLimits:RedisRetryInterval"] = "00:00:01";
        settings[$"Gateway:Callers:{GatewayHost.OtherCallerName}:RateLimit:PermitsPerSecond"] = (10 / 10800.0).ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings[$"Gateway:Callers:{GatewayHost.OtherCallerName}:RateLimit:Burst"] = "10";
        var callers = Replicas.Start(2, settings);
        Assert.All(await ReplicaSet.SendAsync(callers, 40), s => Assert.Equal(HttpStatusCode.OK, s));

        // The master dies; the sentinels promote its replica.
        var replicaPort = sentinel.Replica.Port;
        await sentinel.Master.KillAsync();
        var duringFailover = new List<HttpStatusCode>();
        await Eventually.HoldsAsync(
            async () =>
            {
                duringFailover.AddRange(await ReplicaSet.SendAsync(callers, 10));
                return sentinel.MasterPort() == replicaPort;
            },
            "the sentinels promoted the replica");
        Assert.All(duringFailover, s => Assert.Equal(HttpStatusCode.OK, s));

        // Without a restart, the gateway finds the new master: readiness Healthy, limits shared again. StackExchange.Redis
        // may still be settling its view of the new master just after readiness turns Healthy (a write refused as if
        // sent to a replica is a Redis failure: that request is decided on the fallback, the documented bounded
        // over-admission). So the exactness is checked once a few rounds in a row were decided in Redis only.
        await Replicas.ReadinessIsAsync("Healthy", meanwhile: async () => Assert.All(await ReplicaSet.SendAsync(callers, 4), s => Assert.Equal(HttpStatusCode.OK, s)));
        using (var fallbacks = Replicas.Counter(DataForgeGateway.RateLimiting.RateLimitMetrics.MeterName, "dataforge_gateway.ratelimit.fallback_decisions"))
        {
            var quietRounds = 0;
            await Eventually.HoldsAsync(
                async () =>
                {
                    var before = fallbacks.Sum;
                    Assert.All(await ReplicaSet.SendAsync(callers, 8), s => Assert.Equal(HttpStatusCode.OK, s));
                    quietRounds = fallbacks.Sum == before ? quietRounds + 1 : 0;
                    return quietRounds >= 5;
                },
                "five rounds in a row decided in Redis");
        }

        var others = Replicas.Gateways.Select(g => g.CreateCaller(GatewayHost.OtherCallerKey)).ToList();
        var limited = await ReplicaSet.SendAsync(others, 30);
        Assert.Equal(10, limited.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(20, limited.Count(s => s == HttpStatusCode.TooManyRequests));
        Assert.Equal(1, Sandbox.Recorder.TokenRequests);
    }

    private static Dictionary<string, string?> Limited(string connectionString, int burst) => new()
    {
        ["Gateway:Redis:ConnectionString"] = connectionString,
        ["Gateway:Redis:InstanceName"] = $"ha-{Guid.NewGuid():N}:",
        ["Gateway:RateLimits:Default:PermitsPerSecond"] = (burst / 10800.0).ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Gateway:RateLimits:Default:Burst"] = burst.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
