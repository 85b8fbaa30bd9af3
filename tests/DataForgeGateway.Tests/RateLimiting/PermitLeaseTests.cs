using System.Globalization;
using System.Net;
using DataForgeGateway.RateLimiting;
using DataForgeGateway.Tests.Infrastructure;

namespace DataForgeGateway.Tests.RateLimiting;

/// <summary>
/// Leased permits across replicas sharing a real Redis: the sum admitted never exceeds the limit, falls short of it
/// by at most the permits leased and not spent (one lease per replica, <c>MaxPermits</c>), and Redis is asked far
/// less than once per request. Across replica restarts and a Redis restart.
/// </summary>
[Collection(RedisTests.Name)]
public sealed class PermitLeaseTests(SharedRedis redis) : ReplicaSetTest
{
    private const int Burst = 400;
    private const int MaxLease = 16;

    [Fact]
    public async Task Three_replicas_never_admit_more_than_the_limit_and_ask_Redis_under_once_per_ten_requests()
    {
        var callers = Replicas.Start(3, Limited(Patient(redis.SettingsForTest("lease-exact"))));
        using var calls = Counter("dataforge_gateway.ratelimit.redis_calls");
        using var fallbacks = Counter("dataforge_gateway.ratelimit.fallback_decisions");

        var statuses = await ReplicaSet.SendAsync(callers, 1200, maxConcurrent: 30);

        AssertRedisAnsweredEveryCall(fallbacks);
        var admitted = statuses.Count(s => s == HttpStatusCode.OK);
        Assert.All(statuses, s => Assert.True(s is HttpStatusCode.OK or HttpStatusCode.TooManyRequests, s.ToString()));
        Assert.InRange(admitted, Burst - (3 * MaxLease), Burst);
        Assert.InRange(calls.Sum, 1, 120);
    }

    [Fact]
    public async Task A_replica_that_stops_mid_load_loses_at_most_its_lease_and_the_limit_still_holds()
    {
        var settings = Limited(Patient(redis.SettingsForTest("lease-restart")));
        var callers = Replicas.Start(2, settings);
        using var early = Counter("dataforge_gateway.ratelimit.fallback_decisions");
        var first = await ReplicaSet.SendAsync(callers, 150, maxConcurrent: 10);
        AssertRedisAnsweredEveryCall(early);

        // One replica goes away with whatever it had leased; another takes its place.
        await Replicas.StopAsync(1);
        var replacement = Replicas.Start(1, settings);
        using var fallbacks = Counter("dataforge_gateway.ratelimit.fallback_decisions");
        var second = await ReplicaSet.SendAsync([callers[0], replacement[0]], 600, maxConcurrent: 10);

        AssertRedisAnsweredEveryCall(fallbacks);
        var admitted = first.Concat(second).Count(s => s == HttpStatusCode.OK);
        Assert.InRange(admitted, Burst - (3 * MaxLease), Burst);
    }

    [Fact]
    public async Task After_a_Redis_restart_leases_resume_with_a_fresh_bucket_and_never_exceed_it()
    {
        await using var ownRedis = await RedisServer.StartAsync();
        var settings = Limited(new Dictionary<string, string?>
        {
            ["Gateway:Redis:ConnectionString"] = ownRedis.ConnectionString,
            ["Gateway:Redis:InstanceName"] = $"lease-{Guid.NewGuid():N}:",
            ["Gateway:Redis:OperationTimeout"] = "00:00:00.300",
            ["Gateway:RateLimits:RedisRetryInterval"] = "00:00:00.500",
        });
        var callers = Replicas.Start(2, settings);
        Assert.All(await ReplicaSet.SendAsync(callers, 100, maxConcurrent: 10), s => Assert.Equal(HttpStatusCode.OK, s));

        await ownRedis.StopAsync();
        var whileDown = await ReplicaSet.SendAsync(callers, 20, maxConcurrent: 5);
        await ownRedis.StartAgainAsync();
        var warmup = new List<HttpStatusCode>();
        await Replicas.ReadinessIsAsync("Healthy", meanwhile: async () => warmup.AddRange(await ReplicaSet.SendAsync(callers, 2)));

        // Redis came back empty: a full bucket, which leases spend and never overspend. The warm-up took at most
        // what it was admitted, and the replicas' last leases may be left unspent. A client that reconnected can
        // still fail a call just after readiness turned Healthy: that request is decided on the fallback, the
        // documented exception, and counted as such.
        using var fallbacks = Counter("dataforge_gateway.ratelimit.fallback_decisions");
        var afterwards = await ReplicaSet.SendAsync(callers, 1000, maxConcurrent: 20);
        var onFallback = (int)fallbacks.Sum;

        Assert.DoesNotContain(whileDown.Concat(warmup).Concat(afterwards), s => (int)s >= 500);
        var warmedUp = warmup.Count(s => s == HttpStatusCode.OK);
        Assert.InRange(afterwards.Count(s => s == HttpStatusCode.OK), Burst - warmedUp - (2 * MaxLease), Burst + onFallback);
    }

    /// <summary>A limit of <see cref="Burst"/> that barely refills during a test, so every admission counts against it.</summary>
    private static Dictionary<string, string?> Limited(Dictionary<string, string?> settings)
    {
        settings["Gateway:RateLimits:Default:PermitsPerSecond"] = (Burst / 10800.0).ToString(CultureInfo.InvariantCulture);
        settings["Gateway:RateLimits:Default:Burst"] = Burst.ToString(CultureInfo.InvariantCulture);
        settings["Gateway:RateLimits:Leases:MaxPermits"] = MaxLease.ToString(CultureInfo.InvariantCulture);

        // Leased although slow: so that the limit barely refills and the bounds are exact, whatever the machine's speed.
        settings["Gateway:RateLimits:Leases:MinPermitsPerSecond"] = "0";
        return settings;
    }

    /// <summary>
    /// Redis calls that may take up to five seconds before they count as failed: the exact bounds hold while Redis
    /// answers, and a busy test machine can hold an answer past the default second (a fault the Redis-restart test
    /// covers, with its own timeout).
    /// </summary>
    private static Dictionary<string, string?> Patient(Dictionary<string, string?> settings)
    {
        settings["Gateway:Redis:OperationTimeout"] = "00:00:05";
        return settings;
    }

    /// <summary>
    /// The exact bounds are for a Redis that answered: a decision taken on the fallback (the documented exception)
    /// fails the test here with the reason the replica logged, rather than as an over-admission with no cause.
    /// </summary>
    private void AssertRedisAnsweredEveryCall(ReplicaCounter fallbacks)
    {
        var onFallback = fallbacks.Sum;
        var failures = Replicas.Gateways.SelectMany(g => g.Logs.Lines).Where(l => l.Contains("Redis is unavailable", StringComparison.Ordinal)).Distinct();
        Assert.True(onFallback == 0, $"{onFallback} decisions on the fallback; the replicas logged: {string.Join(" | ", failures)}");
    }

    private ReplicaCounter Counter(string instrument) => Replicas.Counter(RateLimitMetrics.MeterName, instrument);
}
