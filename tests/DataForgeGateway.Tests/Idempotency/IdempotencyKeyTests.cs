using System.Net;
using DataForgeGateway.Tests.Infrastructure;
using StackExchange.Redis;

namespace DataForgeGateway.Tests.Idempotency;

/// <summary>
/// <c>Idempotency-Key</c> on source-pull, on two replicas sharing a real Redis in front of the sandbox: one
/// ingestion per key and caller, whichever replica the retry lands on.
/// </summary>
[Collection(RedisTests.Name)]
public sealed class IdempotencyKeyTests(SharedRedis redis) : ReplicaSetTest
{
    private const string PullPath = "/external/source-pull/19709";


    private int Pulls => Sandbox.Recorder.Requests.Count(r => r.Path.StartsWith("/external/source-pull/", StringComparison.Ordinal));

    [Fact]
    public async Task A_retry_on_another_replica_gets_the_first_answer_and_DataForge_pulls_once()
    {
        var callers = Replicas.Start(2, redis.SettingsForTest("idem-retry"));
        var key = Guid.NewGuid().ToString();

        using var first = await PullAsync(callers[0], key);
        using var retry = await PullAsync(callers[1], key);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.False(first.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.Equal("true", Assert.Single(retry.Headers.GetValues("Idempotent-Replayed")));
        Assert.Equal(await first.Content.ReadAsStringAsync(), await retry.Content.ReadAsStringAsync());
        Assert.Equal(first.Content.Headers.ContentType, retry.Content.Headers.ContentType);
        Assert.Equal(1, Pulls);
    }

    [Fact]
    public async Task The_same_key_for_another_source_is_422_and_nothing_is_pulled()
    {
        var callers = Replicas.Start(2, redis.SettingsForTest("idem-reuse"));
        var key = Guid.NewGuid().ToString();
        using var first = await PullAsync(callers[0], key);

        using var other = await PullAsync(callers[1], key, "/external/source-pull/19710");

        await Problem.AssertAsync(other, HttpStatusCode.UnprocessableEntity, "idempotency-key-reused");
        Assert.Equal(1, Pulls);
    }

    [Fact]
    public async Task The_same_key_for_the_same_source_in_another_environment_is_422_and_nothing_is_pulled()
    {
        var settings = redis.SettingsForTest("idem-environment");
        foreach (var (name, value) in GatewayHost.SecondEnvironment(Sandbox))
        {
            settings[name] = value;
        }
        var callers = Replicas.Start(2, settings);
        var key = Guid.NewGuid().ToString();
        using var first = await PullAsync(callers[0], key);

        using var other = await PullAsync(callers[1], key, "/prod" + PullPath);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        await Problem.AssertAsync(other, HttpStatusCode.UnprocessableEntity, "idempotency-key-reused");
        Assert.Equal(1, Pulls);
    }

    [Fact]
    public async Task Keys_are_per_caller_so_one_caller_never_gets_anothers_answer()
    {
        var callers = Replicas.Start(2, redis.SettingsForTest("idem-callers"));
        var key = Guid.NewGuid().ToString();
        using var billing = await PullAsync(callers[0], key);

        using var other = Replicas.Gateways[1].CreateCaller(GatewayHost.OtherCallerKey);
        using var reporting = await PullAsync(other, key);

        Assert.Equal(HttpStatusCode.OK, reporting.StatusCode);
        Assert.False(reporting.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(2, Pulls);
    }

    [Fact]
    public async Task A_retry_while_the_first_is_in_flight_waits_for_its_answer()
    {
        var callers = Replicas.Start(2, redis.SettingsForTest("idem-wait"));
        var key = Guid.NewGuid().ToString();
        Sandbox.Switches.ApiDelay = TimeSpan.FromSeconds(1);

        var first = PullAsync(callers[0], key);
        await Eventually.HoldsAsync(() => Sandbox.Recorder.Arrivals >= 1, "the first pull is at DataForge");
        using var retry = await PullAsync(callers[1], key);
        using var firstAnswer = await first;

        Assert.Equal(HttpStatusCode.OK, firstAnswer.StatusCode);
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.True(retry.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(1, Pulls);
    }

    [Fact]
    public async Task A_retry_that_waits_past_the_bound_is_409_with_retry_after_and_later_gets_the_answer()
    {
        var settings = redis.SettingsForTest("idem-409");
        settings["Gateway:Idempotency:InFlightWait"] = "00:00:00.200";
        var callers = Replicas.Start(2, settings);
        var key = Guid.NewGuid().ToString();
        Sandbox.Switches.ApiDelay = TimeSpan.FromSeconds(2);

        var first = PullAsync(callers[0], key);
        await Eventually.HoldsAsync(() => Sandbox.Recorder.Arrivals >= 1, "the first pull is at DataForge");
        using var early = await PullAsync(callers[1], key);
        await Problem.AssertAsync(early, HttpStatusCode.Conflict, "idempotency-key-in-flight");
        Assert.NotNull(early.Headers.RetryAfter);

        using var firstAnswer = await first;
        Sandbox.Switches.ApiDelay = null;
        using var later = await PullAsync(callers[1], key);

        Assert.Equal(HttpStatusCode.OK, later.StatusCode);
        Assert.True(later.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(1, Pulls);
    }

    [Fact]
    public async Task A_failed_first_attempt_is_not_kept_so_the_retry_pulls()
    {
        var callers = Replicas.Start(2, redis.SettingsForTest("idem-failed"));
        var key = Guid.NewGuid().ToString();
        Sandbox.Switches.ApiStatus = 500;
        using var failed = await PullAsync(callers[0], key);
        Sandbox.Switches.ApiStatus = null;

        using var retry = await PullAsync(callers[1], key);

        Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.False(retry.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(2, Pulls);
    }

    [Fact]
    public async Task A_429_of_DataForges_is_not_kept_so_the_retry_pulls_once_DataForge_allows_it()
    {
        var callers = Replicas.Start(2, redis.SettingsForTest("idem-429"));
        var key = Guid.NewGuid().ToString();
        Sandbox.Switches.ApiStatus = 429;
        using var limited = await PullAsync(callers[0], key);
        Sandbox.Switches.ApiStatus = null;

        using var retry = await PullAsync(callers[1], key);

        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.False(retry.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(2, Pulls);
    }

    [Theory]
    [InlineData("")]
    [InlineData("\"\"")]
    [InlineData("300")]
    public async Task A_bad_key_is_400_and_nothing_is_pulled(string shape)
    {
        var callers = Replicas.Start(1, redis.SettingsForTest("idem-bad"));
        using var request = new HttpRequestMessage(HttpMethod.Post, PullPath);
        request.Headers.TryAddWithoutValidation("Idempotency-Key", shape == "300" ? new string('k', 300) : shape);

        using var response = await callers[0].SendAsync(request);

        await Problem.AssertAsync(response, HttpStatusCode.BadRequest, "idempotency-key-invalid");
        Assert.Equal(0, Pulls);
    }

    [Fact]
    public async Task Two_keys_on_one_request_are_400_and_nothing_is_pulled()
    {
        Replicas.Start(1, redis.SettingsForTest("idem-two"));
        var gateway = Replicas.Gateways[0];

        var response = await RawHttp.SendAsync(
            gateway.ProxyAddress,
            $"POST {PullPath} HTTP/1.1",
            [$"Host: {gateway.ProxyAddress.Authority}", $"X-Api-Key: {GatewayHost.CallerKey}", "Idempotency-Key: a", "Idempotency-Key: b", "Content-Length: 0"]);

        Assert.Equal(400, response.Status);
        Assert.Contains("idempotency-key-invalid", response.Body, StringComparison.Ordinal);
        Assert.Equal(0, Pulls);
    }

    [Fact]
    public async Task Without_the_header_every_pull_reaches_DataForge()
    {
        var callers = Replicas.Start(2, redis.SettingsForTest("idem-none"));

        using var first = await callers[0].PostAsync(PullPath, null);
        using var second = await callers[1].PostAsync(PullPath, null);

        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.False(second.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(2, Pulls);
    }

    [Fact]
    public async Task Stored_answers_are_encrypted_and_the_key_is_never_in_clear_in_Redis_or_logs()
    {
        var settings = redis.SettingsForTest("idem-secret");
        var callers = Replicas.Start(2, settings);
        var key = "order-7731-" + Guid.NewGuid().ToString("N");
        using var first = await PullAsync(callers[0], key);
        var answer = await first.Content.ReadAsStringAsync();

        await using var connection = await ConnectionMultiplexer.ConnectAsync(redis.Server.ConnectionString);
        var server = connection.GetServer(connection.GetEndPoints()[0]);
        var stored = server.Keys(pattern: $"{settings["Gateway:Redis:InstanceName"]}idempotency:*").ToList();
        var entry = Assert.Single(stored);
        Assert.DoesNotContain(key, entry.ToString(), StringComparison.Ordinal);
        var value = (string?)await connection.GetDatabase().StringGetAsync(entry) ?? "";
        Assert.DoesNotContain("queued", value, StringComparison.Ordinal);
        Assert.DoesNotContain("19709", value, StringComparison.Ordinal);
        Assert.Contains("queued", answer, StringComparison.Ordinal);
        Assert.All(Replicas.Gateways, gateway => Assert.DoesNotContain(gateway.Logs.Lines, line => line.Contains(key, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Without_Redis_a_retry_on_the_same_replica_gets_the_first_answer()
    {
        var callers = Replicas.Start(1, []);
        var key = Guid.NewGuid().ToString();

        using var first = await PullAsync(callers[0], key);
        using var retry = await PullAsync(callers[0], key);

        Assert.True(retry.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(1, Pulls);
    }

    private static Task<HttpResponseMessage> PullAsync(HttpClient caller, string key, string path = PullPath)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path);
        request.Headers.TryAddWithoutValidation("Idempotency-Key", $"\"{key}\"");
        return caller.SendAsync(request);
    }
}
