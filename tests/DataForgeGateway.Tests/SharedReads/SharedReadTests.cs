using System.Net;
using DataForgeGateway.Tests.Infrastructure;

namespace DataForgeGateway.Tests.SharedReads;

/// <summary>
/// Identical reads share DataForge's answer: concurrent ones one call per replica; with the cache on, replicas
/// share answers through a real Redis. Each caller's own permissions and limits still come first.
/// </summary>
[Collection(RedisTests.Name)]
public sealed class SharedReadTests(SharedRedis redis) : ReplicaSetTest
{
    private int Reads(string query) => Sandbox.Recorder.Requests.Count(r => r.Path == "/external/sources" && r.QueryString == query);

    [Fact]
    public async Task Concurrent_identical_reads_share_one_DataForge_call_and_each_caller_gets_the_answer()
    {
        var callers = Replicas.Start(1, []);
        using var other = Replicas.Gateways[0].CreateCaller(GatewayHost.OtherCallerKey);
        Sandbox.Switches.ApiDelay = TimeSpan.FromMilliseconds(500);

        var reads = Enumerable.Range(0, 10).Select(i => (i % 2 == 0 ? callers[0] : other).GetAsync("/external/sources?projectId=1")).ToList();
        var responses = await Task.WhenAll(reads);

        Assert.All(responses, response => Assert.Equal(HttpStatusCode.OK, response.StatusCode));
        var bodies = await Task.WhenAll(responses.Select(r => r.Content.ReadAsStringAsync()));
        Assert.Single(bodies.Distinct());
        Assert.Contains("demo_customers", bodies[0], StringComparison.Ordinal);
        Assert.Equal(1, Reads("?projectId=1"));
        Assert.All(responses, response => Assert.True(response.Headers.Contains("RateLimit"), "each caller gets its own RateLimit headers"));
        responses.ToList().ForEach(r => r.Dispose());
    }

    [Fact]
    public async Task A_caller_not_allowed_the_project_is_refused_while_an_allowed_callers_identical_read_is_in_flight()
    {
        var settings = new Dictionary<string, string?>
        {
            [$"Gateway:Callers:{GatewayHost.OtherCallerName}:ProjectIds:0"] = "2",
            [$"Gateway:Callers:{GatewayHost.OtherCallerName}:UnrestrictedSources"] = "true",
        };
        var callers = Replicas.Start(1, settings);
        using var restricted = Replicas.Gateways[0].CreateCaller(GatewayHost.OtherCallerKey);
        Sandbox.Switches.ApiDelay = TimeSpan.FromMilliseconds(800);

        var allowed = callers[0].GetAsync("/external/sources?projectId=1");
        await Eventually.HoldsAsync(() => Sandbox.Recorder.Arrivals >= 1, "the allowed read is at DataForge");
        using var refused = await restricted.GetAsync("/external/sources?projectId=1");
        using var answered = await allowed;

        await Problem.AssertAsync(refused, HttpStatusCode.Forbidden, "forbidden");
        Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
    }

    [Fact]
    public async Task A_shared_429_of_DataForges_reaches_every_sharer_with_its_retry_after()
    {
        var callers = Replicas.Start(1, []);
        Sandbox.Switches.ApiStatus = 429;
        Sandbox.Switches.ApiDelay = TimeSpan.FromMilliseconds(500);

        var responses = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => callers[0].GetAsync("/external/sources?projectId=1")));

        Assert.All(responses, response =>
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
            Assert.NotNull(response.Headers.RetryAfter);
        });
        Assert.Equal(1, Reads("?projectId=1"));
        responses.ToList().ForEach(r => r.Dispose());
    }

    [Fact]
    public async Task Different_queries_are_not_shared()
    {
        var callers = Replicas.Start(1, []);
        Sandbox.Switches.ApiDelay = TimeSpan.FromMilliseconds(300);

        var responses = await Task.WhenAll(callers[0].GetAsync("/external/sources?projectId=1"), callers[0].GetAsync("/external/sources?projectId=2"));

        Assert.NotEqual(await responses[0].Content.ReadAsStringAsync(), await responses[1].Content.ReadAsStringAsync());
        Assert.Equal(1, Reads("?projectId=1"));
        Assert.Equal(1, Reads("?projectId=2"));
    }

    [Theory]
    [InlineData("Accept", "text/csv", "application/xml")]
    [InlineData("Accept-Language", "ja-JP", "de-DE")]
    public async Task Reads_that_negotiate_differently_are_not_shared_and_those_that_negotiate_alike_are(string header, string one, string other)
    {
        var callers = Replicas.Start(1, []);
        Sandbox.Switches.ApiDelay = TimeSpan.FromMilliseconds(500);

        var reads = new[] { one, other, one }.Select(value =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/external/sources?projectId=1");
            request.Headers.TryAddWithoutValidation(header, value);
            return callers[0].SendAsync(request);
        }).ToList();
        foreach (var response in await Task.WhenAll(reads))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            response.Dispose();
        }

        Assert.Equal(2, Reads("?projectId=1"));
        Assert.Equal(new[] { one, other }.Order(), Sandbox.Recorder.Requests.Select(r => r.Headers.GetValueOrDefault(header)).Order());
    }

    [Fact]
    public async Task The_same_read_in_two_environments_is_not_shared()
    {
        var settings = GatewayHost.SecondEnvironment(Sandbox);
        var callers = Replicas.Start(1, settings);
        Sandbox.Switches.ApiDelay = TimeSpan.FromMilliseconds(500);

        var responses = await Task.WhenAll(callers[0].GetAsync("/external/sources?projectId=1"), callers[0].GetAsync("/prod/external/sources?projectId=1"));

        Assert.All(responses, response => Assert.Equal(HttpStatusCode.OK, response.StatusCode));
        Assert.Equal(2, Reads("?projectId=1"));
    }

    [Theory]
    [InlineData("*", 2)]
    [InlineData("Cookie", 2)]
    [InlineData("Accept, Accept-Language", 1)]
    public async Task An_answer_that_varies_on_what_the_key_does_not_hold_is_not_shared(string vary, int calls)
    {
        var callers = Replicas.Start(1, []);
        Sandbox.Switches.ApiDelay = TimeSpan.FromMilliseconds(500);
        Sandbox.Switches.ApiVary = vary;

        var first = callers[0].GetAsync("/external/sources?projectId=1");
        await Eventually.HoldsAsync(() => Sandbox.Recorder.Arrivals >= 1, "the first read is at DataForge");
        using var second = await callers[0].GetAsync("/external/sources?projectId=1");
        using var answered = await first;

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (answered.StatusCode, second.StatusCode));
        Assert.Equal(calls, Reads("?projectId=1"));
    }

    [Fact]
    public async Task A_shared_read_is_answered_when_DataForge_has_answered_however_slowly_the_first_caller_reads()
    {
        Replicas.Start(1, new Dictionary<string, string?> { ["Gateway:SharedReads:MaxBodyBytes"] = "16777216" });
        var gateway = Replicas.Gateways[0];
        Sandbox.Switches.ApiDelay = TimeSpan.FromMilliseconds(800);
        Sandbox.Switches.ApiPaddingBytes = 8 * 1024 * 1024; // far more than the sockets between them buffer

        // The first caller sends its read and then reads its answer at 10 KB/s (fast enough for Kestrel's minimum
        // rate, so it is not cut off): all of it would take more than ten minutes.
        using var slow = new System.Net.Sockets.TcpClient();
        await slow.ConnectAsync(gateway.ProxyAddress.Host, gateway.ProxyAddress.Port);
        var stream = slow.GetStream();
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes($"GET /external/sources?projectId=1 HTTP/1.1\r\nHost: {gateway.ProxyAddress.Authority}\r\nX-Api-Key: {GatewayHost.CallerKey}\r\n\r\n"));
        using var stopReading = new CancellationTokenSource();
        var reading = Task.Run(async () =>
        {
            var buffer = new byte[1024];
            using var pace = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
            while (await pace.WaitForNextTickAsync(stopReading.Token) && await stream.ReadAsync(buffer, stopReading.Token) > 0)
            {
            }
        });
        await Eventually.HoldsAsync(() => Sandbox.Recorder.Arrivals >= 1, "the first read is at DataForge");

        // The identical read gets the answer once DataForge has sent it (a hang guard, not a measure: waiting for the
        // slow reader would take ten minutes).
        using var second = new HttpClient { BaseAddress = gateway.ProxyAddress, Timeout = TimeSpan.FromSeconds(60) };
        second.DefaultRequestHeaders.Add("X-Api-Key", GatewayHost.CallerKey);
        using var shared = await second.GetAsync("/external/sources?projectId=1");
        await stopReading.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => reading);

        Assert.Equal(HttpStatusCode.OK, shared.StatusCode);
        Assert.True((await shared.Content.ReadAsByteArrayAsync()).Length > 8 * 1024 * 1024);
        Assert.Equal(1, Reads("?projectId=1"));
    }

    [Fact]
    public async Task A_read_waits_for_an_identical_one_at_most_MaxWait_then_asks_DataForge_itself()
    {
        var callers = Replicas.Start(1, new Dictionary<string, string?> { ["Gateway:SharedReads:MaxWait"] = "00:00:00.500" });
        Sandbox.Switches.ApiDelay = TimeSpan.FromSeconds(3);

        var first = callers[0].GetAsync("/external/sources?projectId=1");
        await Eventually.HoldsAsync(() => Sandbox.Recorder.Arrivals >= 1, "the first read is at DataForge");
        var second = callers[0].GetAsync("/external/sources?projectId=1");
        await Eventually.HoldsAsync(() => Sandbox.Recorder.Arrivals >= 2, "the second read, tired of waiting, is at DataForge too");

        using var one = await first;
        using var two = await second;
        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (one.StatusCode, two.StatusCode));
    }

    [Fact]
    public async Task With_coalescing_off_every_read_reaches_DataForge()
    {
        var callers = Replicas.Start(1, new Dictionary<string, string?> { ["Gateway:SharedReads:Coalesce"] = "false" });
        Sandbox.Switches.ApiDelay = TimeSpan.FromMilliseconds(300);

        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => callers[0].GetAsync("/external/sources?projectId=1")));

        Assert.Equal(4, Reads("?projectId=1"));
    }

    [Fact]
    public async Task With_the_cache_on_replicas_share_an_answer_through_Redis_with_its_age()
    {
        var settings = redis.SettingsForTest("reads-cache");
        settings["Gateway:SharedReads:CacheSeconds"] = "60";
        var callers = Replicas.Start(2, settings);

        using var first = await callers[0].GetAsync("/external/sources?projectId=1");
        using var second = await callers[1].GetAsync("/external/sources?projectId=1");

        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(await first.Content.ReadAsStringAsync(), await second.Content.ReadAsStringAsync());
        Assert.NotNull(second.Headers.Age);
        Assert.Null(first.Headers.Age);
        Assert.Equal(1, Reads("?projectId=1"));

        // Stored encrypted: nothing of the answer is readable in Redis.
        await using var connection = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(redis.Server.ConnectionString);
        var server = connection.GetServer(connection.GetEndPoints()[0]);
        var entry = Assert.Single(server.Keys(pattern: $"{settings["Gateway:Redis:InstanceName"]}reads:*"));
        Assert.DoesNotContain("demo_customers", (string?)await connection.GetDatabase().StringGetAsync(entry) ?? "", StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("no-store")]
    [InlineData("private, max-age=60")]
    [InlineData("max-age=0")]
    public async Task DataForges_cache_control_can_forbid_caching(string cacheControl)
    {
        var settings = redis.SettingsForTest("reads-nocache");
        settings["Gateway:SharedReads:CacheSeconds"] = "60";
        var callers = Replicas.Start(2, settings);
        Sandbox.Switches.ApiCacheControl = cacheControl;

        using var first = await callers[0].GetAsync("/external/sources?projectId=1");
        using var second = await callers[1].GetAsync("/external/sources?projectId=1");

        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Null(second.Headers.Age);
        Assert.Equal(2, Reads("?projectId=1"));
    }

    [Fact]
    public async Task Without_the_cache_sequential_reads_each_reach_DataForge()
    {
        var callers = Replicas.Start(2, redis.SettingsForTest("reads-default"));

        using var first = await callers[0].GetAsync("/external/sources?projectId=1");
        using var second = await callers[1].GetAsync("/external/sources?projectId=1");

        Assert.Null(second.Headers.Age);
        Assert.Equal(2, Reads("?projectId=1"));
    }
}
