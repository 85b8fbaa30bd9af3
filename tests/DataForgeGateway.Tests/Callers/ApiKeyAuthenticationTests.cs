using System.Net;
using DataForgeGateway.Tests.Infrastructure;

namespace DataForgeGateway.Tests.Callers;

public sealed class ApiKeyAuthenticationTests : GatewayTest
{
    [Fact]
    public async Task A_request_without_a_key_is_401_with_a_challenge_and_reaches_nothing()
    {
        using var caller = Gateway.CreateCaller(apiKey: null);

        using var response = await caller.GetAsync("/external/sources?projectId=1");

        await Problem.AssertAsync(response, HttpStatusCode.Unauthorized, "api-key-missing");
        Assert.Equal("ApiKey", Assert.Single(response.Headers.WwwAuthenticate).Scheme);
        Assert.Equal(0, Sandbox.Recorder.Arrivals);
    }

    public static TheoryData<string> WrongKeys => new()
    {
        "not-a-key-of-anyone",
        GatewayHost.CallerKey + "x",
        GatewayHost.CallerKey.ToUpperInvariant(),
        GatewayHost.Sha256(GatewayHost.CallerKey), // the configured hash is not the key
        new string('k', 5000),
    };

    [Theory]
    [MemberData(nameof(WrongKeys))]
    public async Task A_wrong_key_is_401_and_reaches_nothing(string key)
    {
        using var caller = Gateway.CreateCaller(key);

        using var response = await caller.PostAsync("/external/source-pull/19643", null);

        var problem = await Problem.AssertAsync(response, HttpStatusCode.Unauthorized, "api-key-invalid");
        Assert.DoesNotContain(key, problem.GetRawText());
        Assert.NotEmpty(response.Headers.WwwAuthenticate);
        Assert.Equal(0, Sandbox.Recorder.Arrivals);
    }

    [Fact]
    public async Task A_key_in_the_query_string_is_not_accepted()
    {
        using var caller = Gateway.CreateCaller(apiKey: null);

        using var response = await caller.GetAsync($"/external/sources?projectId=1&api_key={GatewayHost.CallerKey}");

        await Problem.AssertAsync(response, HttpStatusCode.Unauthorized, "api-key-in-query");
        Assert.Equal(0, Sandbox.Recorder.Arrivals);
    }

    [Fact]
    public async Task Two_key_headers_are_refused_even_when_one_is_valid()
    {
        using var caller = Gateway.CreateCaller();
        caller.DefaultRequestHeaders.Add("X-Api-Key", GatewayHost.OtherCallerKey);

        using var response = await caller.GetAsync("/external/sources?projectId=1");

        await Problem.AssertAsync(response, HttpStatusCode.Unauthorized, "api-key-invalid");
        Assert.Equal(0, Sandbox.Recorder.Arrivals);
    }

    [Fact]
    public async Task One_connection_carrying_several_callers_keys_in_turn_judges_each_request_by_its_own_key()
    {
        // As an ingress's pooled connection does: one caller's request, then another's, on one kept-alive connection.
        using var client = new OneConnectionClient(Gateway.ProxyAddress);
        var key = GatewayHost.CallerKey;
        var sameLengthWrongKey = key[..^1] + (key[^1] == 'a' ? 'b' : 'a');
        (string Key, HttpStatusCode Status, string? Caller)[] turns =
        [
            (key, HttpStatusCode.OK, GatewayHost.CallerName),
            (GatewayHost.OtherCallerKey, HttpStatusCode.OK, GatewayHost.OtherCallerName),
            (sameLengthWrongKey, HttpStatusCode.Unauthorized, null),
            (key, HttpStatusCode.OK, GatewayHost.CallerName),
            (key, HttpStatusCode.OK, GatewayHost.CallerName),
            (sameLengthWrongKey, HttpStatusCode.Unauthorized, null),
            (GatewayHost.OtherCallerKey, HttpStatusCode.OK, GatewayHost.OtherCallerName),
        ];

        foreach (var (turnKey, status, _) in turns)
        {
            using var response = await client.GetAsync("/external/sources?projectId=1", turnKey);
            Assert.Equal(status, response.StatusCode);
        }

        Assert.Equal(1, client.Connections);
        await Eventually.HoldsAsync(() => Gateway.Logs.StandardOutput.Lines.Count == turns.Length, "an audit record for each request");
        var callers = Gateway.Logs.StandardOutput.Lines
            .Select(line => System.Text.Json.JsonDocument.Parse(line).RootElement)
            .Select(record => record.TryGetProperty("caller", out var caller) ? caller.GetString() : null);
        Assert.Equal(turns.Select(turn => turn.Caller), callers);
        Assert.Equal(5, Sandbox.Recorder.Requests.Count);
    }

    [Fact]
    public async Task Every_configured_caller_is_let_through_with_its_own_key()
    {
        using var billing = Gateway.CreateCaller(GatewayHost.CallerKey);
        using var reporting = Gateway.CreateCaller(GatewayHost.OtherCallerKey);

        using var first = await billing.GetAsync("/external/sources?projectId=1");
        using var second = await reporting.GetAsync("/external/sources?projectId=2");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(2, Sandbox.Recorder.Requests.Count);
    }

    [Fact]
    public async Task Keys_client_secret_and_tokens_never_reach_the_logs()
    {
        using var good = Gateway.CreateCaller();
        using var bad = Gateway.CreateCaller("wrong-key-9d8c7b6a");
        using (await good.GetAsync("/external/sources?projectId=1"))
        using (await good.PostAsync("/external/source-pull/424242", null))
        using (await bad.GetAsync("/external/sources?projectId=1"))
        {
        }

        var token = Sandbox.Recorder.Requests[0].Authorization!["Bearer ".Length..];
        var logs = string.Join('\n', Gateway.Logs.Lines);
        Assert.Contains("Token for environment stage from Auth0", logs); // the scan has something to scan
        foreach (var secret in new[] { GatewayHost.CallerKey, "wrong-key-9d8c7b6a", SandboxHost.ClientSecret, token, token.Split('.')[2] })
        {
            Assert.DoesNotContain(secret, logs, StringComparison.Ordinal);
        }
    }
}
