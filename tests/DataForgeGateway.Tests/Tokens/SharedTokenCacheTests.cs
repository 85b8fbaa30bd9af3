using System.Net;
using DataForgeGateway.Settings;
using DataForgeGateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;

namespace DataForgeGateway.Tests.Tokens;

/// <summary>Replicas that share a Redis share one token: one Auth0 request per token lifetime, whatever happens to Redis.</summary>
[Collection(RedisTests.Name)]
public sealed class SharedTokenCacheTests : ReplicaSetTest
{
    private readonly SharedRedis _redis;
    private readonly FakeTimeProvider _clock;

    public SharedTokenCacheTests(SharedRedis redis)
        : this(redis, new FakeTimeProvider(new DateTimeOffset(2026, 11, 27, 9, 0, 0, TimeSpan.Zero)))
    {
    }

    private SharedTokenCacheTests(SharedRedis redis, FakeTimeProvider clock)
        : base(clock, tokenLifetimeSeconds: 3600)
    {
        _redis = redis;
        _clock = clock;
    }

    [Fact]
    public async Task Three_instances_and_hundreds_of_concurrent_cold_requests_cause_exactly_one_token_request()
    {
        var callers = StartReplicas(3, _redis.SettingsForTest("cold"));

        var statuses = await LoadAsync(callers, requests: 300);

        Assert.All(statuses, status => Assert.Equal(HttpStatusCode.OK, status));
        Assert.Equal(1, Sandbox.Recorder.TokenRequests);
        Assert.Single(Sandbox.Recorder.Requests.Select(r => r.Authorization).Distinct());
    }

    [Fact]
    public async Task A_forced_expiry_mid_load_causes_exactly_one_more_token_request()
    {
        var callers = StartReplicas(3, _redis.SettingsForTest("expiry"));
        Assert.All(await LoadAsync(callers, requests: 30), status => Assert.Equal(HttpStatusCode.OK, status));

        // 56 minutes into a one-hour token: past every refresh point and inside the five-minute safety margin.
        var statuses = await LoadAsync(callers, requests: 300, midway: AdvancePastRefresh);

        Assert.All(statuses, status => Assert.Equal(HttpStatusCode.OK, status));
        Assert.Equal(2, Sandbox.Recorder.TokenRequests);
    }

    [Fact]
    public async Task Tokens_are_stored_encrypted_and_a_value_that_will_not_decrypt_is_a_miss()
    {
        var settings = _redis.SettingsForTest("encrypted");
        var callers = StartReplicas(1, settings);
        await LoadAsync(callers, requests: 1);
        var token = Sandbox.Recorder.Requests[0].Authorization!["Bearer ".Length..];

        await using var connection = await ConnectionMultiplexer.ConnectAsync(_redis.Server.ConnectionString);
        var server = connection.GetServers()[0];
        var key = Assert.Single(server.Keys(pattern: settings["Gateway:Redis:InstanceName"] + "token:v2:*"));
        var stored = (byte[])(await connection.GetDatabase().HashGetAsync(key, "data"))!;
        Assert.DoesNotContain(token.Split('.')[1], Convert.ToBase64String(stored), StringComparison.Ordinal);
        Assert.DoesNotContain(token.Split('.')[1], System.Text.Encoding.UTF8.GetString(stored), StringComparison.Ordinal);

        stored[^1] ^= 0xff;
        await connection.GetDatabase().HashSetAsync(key, "data", stored);
        var newcomer = StartReplicas(1, settings);
        Assert.All(await LoadAsync(newcomer, requests: 5), status => Assert.Equal(HttpStatusCode.OK, status));
        Assert.Equal(2, Sandbox.Recorder.TokensIssued);
    }

    [Fact]
    public async Task A_flushed_Redis_costs_one_token_request_not_one_per_replica()
    {
        await using var ownRedis = await RedisServer.StartAsync();
        var callers = StartReplicas(3, Settings(ownRedis));
        await LoadAsync(callers, requests: 30);

        await using (var connection = await ConnectionMultiplexer.ConnectAsync($"{ownRedis.ConnectionString},allowAdmin=true"))
        {
            await connection.GetServers()[0].FlushAllDatabasesAsync();
        }

        var statuses = await LoadAsync(callers, requests: 150, midway: AdvancePastRefresh);

        Assert.All(statuses, status => Assert.Equal(HttpStatusCode.OK, status));
        Assert.Equal(2, Sandbox.Recorder.TokenRequests);
    }

    [Fact]
    public async Task Redis_stopped_and_restarted_under_load_costs_no_failed_request_and_sharing_resumes()
    {
        await using var ownRedis = await RedisServer.StartAsync();
        var callers = StartReplicas(3, Settings(ownRedis));
        await LoadAsync(callers, requests: 30);

        var whileDown = await LoadAsync(callers, requests: 150, midway: ownRedis.StopAsync);
        Assert.All(whileDown, status => Assert.Equal(HttpStatusCode.OK, status));
        await Replicas.ReadinessIsAsync("Degraded");

        await ownRedis.StartAgainAsync();

        // Requests keep coming while the clock moves past each wait of the rate limiter before it tries Redis again.
        await Replicas.ReadinessIsAsync("Healthy", meanwhile: async () =>
        {
            _clock.Advance(TimeSpan.FromSeconds(5));
            Assert.All(await LoadAsync(callers, requests: 3), status => Assert.Equal(HttpStatusCode.OK, status));
        });
        var afterwards = await LoadAsync(callers, requests: 150, midway: AdvancePastRefresh);

        Assert.All(afterwards, status => Assert.Equal(HttpStatusCode.OK, status));
        Assert.Equal(2, Sandbox.Recorder.TokenRequests);
    }

    [Fact]
    public async Task During_an_Auth0_outage_the_replicas_share_one_failure_instead_of_asking_once_each()
    {
        Sandbox.Switches.TokenEndpointStatus = 503;
        var callers = StartReplicas(3, _redis.SettingsForTest("outage"));

        var statuses = await LoadAsync(callers, requests: 90);

        Assert.All(statuses, status => Assert.Equal(HttpStatusCode.ServiceUnavailable, status));
        Assert.Equal(1, Sandbox.Recorder.TokenRequests);
    }

    [Fact]
    public async Task A_failure_marker_asking_for_a_long_wait_holds_token_requests_no_longer_than_RetryMaxDelay()
    {
        // A marker as a replica with other settings (or a confused one) could leave it: "back off for ten minutes".
        var settings = _redis.SettingsForTest("marker");
        settings["Gateway:Tokens:RetryMaxDelay"] = "00:00:02";
        var cacheKey = DataForgeGateway.Tokens.TokenCacheKey.For(new Auth0Options
        {
            TokenUrl = Sandbox.TokenUrl,
            ClientId = SandboxHost.ClientId,
            Audience = SandboxHost.Audience,
        });
        await using var admin = await ConnectionMultiplexer.ConnectAsync(_redis.Server.ConnectionString);
        await admin.GetDatabase().StringSetAsync($"{settings["Gateway:Redis:InstanceName"]}{cacheKey}:failed", 600_000, TimeSpan.FromMinutes(10));
        var callers = StartReplicas(1, settings);

        using (var held = await callers[0].GetAsync("/external/sources?projectId=1"))
        {
            await Problem.AssertAsync(held, HttpStatusCode.ServiceUnavailable, "token-unavailable");
            Assert.InRange(held.Headers.RetryAfter!.Delta!.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));
        }

        Assert.Equal(0, Sandbox.Recorder.TokenRequests);

        // The marker lives in Redis, on Redis's clock: the replica's own back-off moves with the fake clock, and the
        // marker is honoured for RetryMaxDelay from when it was set, not for its ten minutes.
        await Eventually.HoldsAsync(
            async () =>
            {
                _clock.Advance(TimeSpan.FromSeconds(2));
                using var response = await callers[0].GetAsync("/external/sources?projectId=1");
                return response.StatusCode == HttpStatusCode.OK;
            },
            "a token is asked for once the capped wait is over");
        Assert.Equal(1, Sandbox.Recorder.TokenRequests);
    }

    [Fact]
    public async Task A_Redis_that_stops_answering_costs_no_failed_request()
    {
        await using var ownRedis = await RedisServer.StartAsync();
        var settings = Settings(ownRedis);
        settings["Gateway:Redis:OperationTimeout"] = "00:00:00.200";
        var callers = StartReplicas(2, settings);
        await LoadAsync(callers, requests: 20);

        // The server stays up but answers nothing for a while: every command times out.
        await using var admin = await ConnectionMultiplexer.ConnectAsync($"{ownRedis.ConnectionString},allowAdmin=true");
        await admin.GetDatabase().ExecuteAsync("CLIENT", "PAUSE", "4000", "ALL");
        var statuses = await LoadAsync(callers, requests: 60, midway: AdvancePastRefresh);

        // Once seen as 500s from one replica: StackExchange.Redis let a pipe error through when it tore the stalled
        // connection down, and it was not taken for a Redis failure (RedisFailureTests). Should a 500 come back,
        // the failure names what the gateways logged.
        Assert.True(
            statuses.All(status => status == HttpStatusCode.OK),
            $"Statuses: {string.Join(' ', statuses.Select(s => (int)s))}\n" + string.Join('\n', Replicas.Gateways.SelectMany(g => g.Logs.Lines).Where(l => l.StartsWith("Error", StringComparison.Ordinal) || l.StartsWith("Critical", StringComparison.Ordinal))));
    }

    [Fact]
    public async Task Waiting_for_another_replicas_token_ends_quietly_when_Redis_stops_answering_midway()
    {
        await using var ownRedis = await RedisServer.StartAsync();
        var settings = Settings(ownRedis);
        settings["Gateway:Redis:OperationTimeout"] = "00:00:00.200";
        StartReplicas(1, settings);
        var store = Replicas.Gateways[0].Services.GetRequiredService<DataForgeGateway.Tokens.RedisTokenCache>();
        var scope = new DataForgeGateway.Tokens.TokenScope("stage", "token:v2:wait-test", new byte[32], TimeSpan.Zero);
        await using var admin = await ConnectionMultiplexer.ConnectAsync($"{ownRedis.ConnectionString},allowAdmin=true");
        var server = admin.GetServer(admin.GetEndPoints()[0]);

        var waiting = store.WaitForTokenAsync(scope, _ => true, TimeSpan.FromSeconds(1), CancellationToken.None);
        await Eventually.HoldsAsync(() => server.SubscriptionChannels(RedisChannel.Pattern("*wait-test*")).Length == 1, "the wait listens for news");
        await admin.GetDatabase().ExecuteAsync("CLIENT", "PAUSE", "3000", "ALL");

        // Every read times out and so does leaving the channel: the wait ends empty-handed, it does not throw
        // (the request behind it goes on to ask Auth0 itself).
        var result = await waiting;
        Assert.Null(result.Token);
    }

    [Fact]
    public async Task A_failed_fetch_is_announced_as_a_failure_and_never_stored_or_announced_as_a_token()
    {
        var settings = _redis.SettingsForTest("failed-fetch");
        StartReplicas(1, settings);
        var services = Replicas.Gateways[0].Services;
        var store = services.GetRequiredService<DataForgeGateway.Tokens.ITokenStore>();
        var cache = services.GetRequiredService<DataForgeGateway.Tokens.RedisTokenCache>();
        var scope = new DataForgeGateway.Tokens.TokenScope("stage", "token:v2:failed-fetch", new byte[32], TimeSpan.Zero);
        var now = _clock.GetUtcNow();
        var stored = new DataForgeGateway.Tokens.AccessToken("eyJ.first.token", now, now.AddHours(1), TimeSpan.Zero);
        await store.AcquireAsync(scope, _ => false, () => Task.FromResult(DataForgeGateway.Tokens.TokenResult.Success(stored, DataForgeGateway.Tokens.TokenSource.Auth0)), CancellationToken.None);

        await using var listener = await ConnectionMultiplexer.ConnectAsync(_redis.Server.ConnectionString);
        var messages = new List<string>();
        await listener.GetSubscriber().SubscribeAsync(RedisChannel.Literal($"{settings["Gateway:Redis:InstanceName"]}{scope.CacheKey}:stored"), (_, message) =>
        {
            lock (messages)
            {
                messages.Add(message.ToString());
            }
        });

        // A background refresh that wants a newer token than the stored one, and whose fetch fails.
        var result = await store.AcquireAsync(
            scope,
            candidate => candidate.ExpiresAt > stored.ExpiresAt,
            () => Task.FromResult(DataForgeGateway.Tokens.TokenResult.Failed(DataForgeGateway.Tokens.TokenFailure.Unavailable, "Auth0 down.", TimeSpan.FromSeconds(2))),
            CancellationToken.None);

        Assert.False(result.Succeeded);
        await Eventually.HoldsAsync(() => { lock (messages) { return messages.Count > 0; } }, "the failure is announced");
        lock (messages)
        {
            Assert.All(messages, message => Assert.StartsWith("failed:", message, StringComparison.Ordinal));
        }

        var inRedis = await cache.GetAsync(scope, CancellationToken.None);
        Assert.Equal(stored.Value, inRedis!.Value);
        Assert.Equal(stored.ExpiresAt, inRedis.ExpiresAt);
    }

    [Fact]
    public async Task With_Redis_down_from_the_start_requests_are_served_and_readiness_is_degraded()
    {
        var callers = StartReplicas(1, new Dictionary<string, string?>
        {
            ["Gateway:Redis:ConnectionString"] = $"127.0.0.1:{FreePort.Next()},connectTimeout=500",
        });

        Assert.All(await LoadAsync(callers, requests: 10), status => Assert.Equal(HttpStatusCode.OK, status));
        Assert.Equal(1, Sandbox.Recorder.TokensIssued);
        await Replicas.ReadinessIsAsync("Degraded");
    }

    private static Dictionary<string, string?> Settings(RedisServer server) => new()
    {
        ["Gateway:Redis:ConnectionString"] = server.ConnectionString,
        ["Gateway:Redis:InstanceName"] = $"test-{Guid.NewGuid():N}:",
    };

    private List<HttpClient> StartReplicas(int count, Dictionary<string, string?> settings) =>
        Replicas.Start(count, settings, services => services.AddSingleton<TimeProvider>(_clock));

    /// <summary>Sends <paramref name="requests"/> requests spread over the replicas, 30 at a time; <paramref name="midway"/> runs halfway.</summary>
    private static async Task<HttpStatusCode[]> LoadAsync(List<HttpClient> callers, int requests, Func<Task>? midway = null)
    {
        var statuses = new HttpStatusCode[requests];
        var next = -1;
        var done = 0;
        await Task.WhenAll(Enumerable.Range(0, 30).Select(async _ =>
        {
            for (var i = Interlocked.Increment(ref next); i < requests; i = Interlocked.Increment(ref next))
            {
                using var response = await callers[i % callers.Count].GetAsync("/external/sources?projectId=1");
                statuses[i] = response.StatusCode;
                if (Interlocked.Increment(ref done) == requests / 2 && midway is not null)
                {
                    await midway();
                }
            }
        }));
        return statuses;
    }

    /// <summary>56 minutes into a one-hour token: past every refresh point and inside the five-minute safety margin.</summary>
    private Task AdvancePastRefresh()
    {
        _clock.Advance(TimeSpan.FromMinutes(56));
        return Task.CompletedTask;
    }
}
