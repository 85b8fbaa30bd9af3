using System.Diagnostics.Metrics;
using System.Net;
using System.Text.Json;
using DataForgeGateway.RateLimiting;
using DataForgeGateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Time.Testing;

namespace DataForgeGateway.Tests.RateLimiting;

/// <summary>With Redis, a limit is one limit for the whole deployment, and a Redis outage never costs a caller a 500.</summary>
[Collection(RedisTests.Name)]
public sealed class SharedRateLimitTests(SharedRedis redis) : ReplicaSetTest
{
    [Fact]
    public async Task Three_instances_under_concurrent_load_admit_exactly_the_limit()
    {
        // Ten at once, then one an hour: within the test, exactly ten.
        var callers = Replicas.Start(3, Limited(redis.SettingsForTest("exact"), burst: 10));

        // Distinct projects: identical concurrent reads would share one DataForge call, and each admitted one is to reach it.
        var statuses = await Task.WhenAll(Enumerable.Range(0, 60).Select(async i =>
        {
            using var response = await callers[i % 3].GetAsync($"/external/sources?projectId={i + 1}");
            return response.StatusCode;
        }));

        Assert.Equal(10, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(50, statuses.Count(s => s == HttpStatusCode.TooManyRequests));
        Assert.Equal(10, Sandbox.Recorder.Requests.Count);
    }

    [Fact]
    public async Task Headers_count_down_across_instances_and_a_refusal_says_when_to_retry()
    {
        var callers = Replicas.Start(2, Limited(redis.SettingsForTest("headers"), burst: 3));

        var remaining = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            using var response = await callers[i % 2].GetAsync("/external/sources?projectId=1");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("\"caller\";q=3;w=10800", string.Join(",", response.Headers.GetValues("RateLimit-Policy")));
            remaining.Add(string.Join(",", response.Headers.GetValues("RateLimit")).Split(';')[1]);
        }

        using var refused = await callers[1].GetAsync("/external/sources?projectId=1");

        Assert.Equal(["r=2", "r=1", "r=0"], remaining);
        await Problem.AssertAsync(refused, HttpStatusCode.TooManyRequests, "rate-limited");
        Assert.InRange(refused.Headers.RetryAfter!.Delta!.Value, TimeSpan.FromMinutes(59), TimeSpan.FromMinutes(60));
        Assert.StartsWith("\"caller\";r=0;t=", string.Join(",", refused.Headers.GetValues("RateLimit")));
    }

    [Fact]
    public async Task Redis_stopped_mid_load_falls_back_to_the_local_share_with_no_500_and_readiness_degraded()
    {
        await using var ownRedis = await RedisServer.StartAsync();
        var settings = Limited(Settings(ownRedis), burst: 40);
        var gateways = Replicas.Start(2, settings);
        var meters = Replicas.Gateways[0].Services.GetRequiredService<IMeterFactory>();
        using var fallbacks = new MetricCollector<long>(meters, RateLimitMetrics.MeterName, "dataforge_gateway.ratelimit.fallback_decisions");
        using var redisFailures = new MetricCollector<long>(meters, DataForgeGateway.Redis.RedisMetrics.MeterName, "dataforge_gateway.redis.failures");

        var before = await ReplicaSet.SendAsync(gateways, 10);
        await ownRedis.StopAsync();
        var during = await ReplicaSet.SendAsync(gateways, 60);

        Assert.All(before, s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.All(during, s => Assert.Contains(s, new[] { HttpStatusCode.OK, HttpStatusCode.TooManyRequests }));

        // Each replica now enforces half of the limit on its own: 20 each, 40 in all.
        Assert.Equal(40, during.Count(s => s == HttpStatusCode.OK));
        Assert.NotEmpty(fallbacks.GetMeasurementSnapshot());
        Assert.Contains(redisFailures.GetMeasurementSnapshot(), m => (string?)m.Tags["component"] == "ratelimit");
        Assert.Equal("Degraded", await ReadinessAsync(Replicas.Gateways[0]));
    }

    [Fact]
    public async Task With_Redis_stalled_one_request_per_retry_interval_probes_it_and_the_others_stay_on_the_fallback()
    {
        await using var ownRedis = await RedisServer.StartAsync();
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var callers = Replicas.Start(1, Settings(ownRedis), services => services.AddSingleton<TimeProvider>(clock));
        var gateway = Replicas.Gateways[0];
        Assert.All(await ReplicaSet.SendAsync(callers, 2), s => Assert.Equal(HttpStatusCode.OK, s));
        using var redisFailures = new MetricCollector<long>(
            gateway.Services.GetRequiredService<IMeterFactory>(), DataForgeGateway.Redis.RedisMetrics.MeterName, "dataforge_gateway.redis.failures");
        int RateLimitFailures() => redisFailures.GetMeasurementSnapshot().Count(m => (string?)m.Tags["component"] == "ratelimit");

        // Redis stays up but answers nothing: every command waits for OperationTimeout.
        await using var admin = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync($"{ownRedis.ConnectionString},allowAdmin=true");
        await admin.GetDatabase().ExecuteAsync("CLIENT", "PAUSE", "60000", "ALL");
        Assert.All(await ReplicaSet.SendAsync(callers, 8), s => Assert.Equal(HttpStatusCode.OK, s));
        var firstWave = RateLimitFailures();

        // Each time the retry interval is over, eight requests at once: one of them probes Redis (and waits for
        // it), the other seven are decided on the fallback without waiting.
        for (var round = 1; round <= 3; round++)
        {
            clock.Advance(TimeSpan.FromSeconds(5));
            Assert.All(await ReplicaSet.SendAsync(callers, 8), s => Assert.Equal(HttpStatusCode.OK, s));
            Assert.Equal(firstWave + round, RateLimitFailures());
        }
    }

    [Theory]
    [InlineData("Open", HttpStatusCode.OK, "")]
    [InlineData("Closed", HttpStatusCode.ServiceUnavailable, "rate-limit-unavailable")]
    public async Task A_policy_can_fail_open_or_closed_instead(string mode, HttpStatusCode expected, string type)
    {
        await using var ownRedis = await RedisServer.StartAsync();
        var settings = Limited(Settings(ownRedis), burst: 2);
        settings["Gateway:RateLimits:Default:OnRedisFailure"] = mode;
        var callers = Replicas.Start(1, settings);
        await ownRedis.StopAsync();

        var statuses = await ReplicaSet.SendAsync(callers, 5);

        Assert.All(statuses, s => Assert.Equal(expected, s));
        if (type.Length > 0)
        {
            using var response = await callers[0].GetAsync("/external/sources?projectId=1");
            await Problem.AssertAsync(response, expected, type);
            Assert.NotNull(response.Headers.RetryAfter);
        }
    }

    [Fact]
    public async Task Past_the_cap_on_requests_in_flight_to_DataForge_callers_get_503_with_retry_after()
    {
        var settings = redis.SettingsForTest("cap");
        settings["Gateway:Environments:stage:MaxConcurrentRequests"] = "2";
        settings["Gateway:Environments:stage:MaxQueuedRequests"] = "1";
        settings["Gateway:Environments:stage:MaxCallerShare"] = "1"; // one caller here: the per-caller share is tested on its own
        var callers = Replicas.Start(1, settings);
        using (await callers[0].GetAsync("/external/sources?projectId=1"))
        {
        }

        Sandbox.Switches.ApiDelay = TimeSpan.FromSeconds(2);
        // Distinct projects: identical concurrent reads would share one DataForge call, and each is to hold a slot.
        var responses = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => callers[0].GetAsync($"/external/sources?projectId={i + 2}")));

        // Two in flight and one queued get through; the other three are turned away at once.
        Assert.Equal(3, responses.Count(r => r.StatusCode == HttpStatusCode.OK));
        var busy = responses.Where(r => r.StatusCode == HttpStatusCode.ServiceUnavailable).ToList();
        Assert.Equal(3, busy.Count);
        await Problem.AssertAsync(busy[0], HttpStatusCode.ServiceUnavailable, "upstream-busy");
        Assert.NotNull(busy[0].Headers.RetryAfter);
        Assert.Equal(4, Sandbox.Recorder.Requests.Count);
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    [Fact]
    public async Task DataForges_own_429_reaches_the_caller_with_its_retry_after()
    {
        var callers = Replicas.Start(1, redis.SettingsForTest("upstream-429"));
        Sandbox.Switches.ApiStatus = 429;

        using var response = await callers[0].GetAsync("/external/sources?projectId=1");

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(7), response.Headers.RetryAfter?.Delta);
        Assert.Contains("Too Many Requests", await response.Content.ReadAsStringAsync());
    }

    private static Dictionary<string, string?> Limited(Dictionary<string, string?> settings, int burst)
    {
        settings["Gateway:RateLimits:Default:PermitsPerSecond"] = (burst / 10800.0).ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["Gateway:RateLimits:Default:Burst"] = burst.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return settings;
    }

    private static Dictionary<string, string?> Settings(RedisServer server) => new()
    {
        ["Gateway:Redis:ConnectionString"] = server.ConnectionString,
        ["Gateway:Redis:InstanceName"] = $"test-{Guid.NewGuid():N}:",
        ["Gateway:Redis:OperationTimeout"] = "00:00:00.300",
    };

    private static async Task<string?> ReadinessAsync(GatewayHost gateway)
    {
        using var management = new HttpClient { BaseAddress = gateway.ManagementAddress };
        using var response = await management.GetAsync("/health/ready");
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString();
    }
}
