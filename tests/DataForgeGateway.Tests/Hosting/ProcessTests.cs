using System.Net;
using System.Text.Json;
using DataForgeGateway.Tests.Infrastructure;

namespace DataForgeGateway.Tests.Hosting;

/// <summary>The gateway as a process: wherever it is started from, however it is stopped, whatever format it logs in.</summary>
public sealed class ProcessTests : IAsyncLifetime
{
    private SandboxHost _sandbox = null!;

    public async Task InitializeAsync() => _sandbox = await SandboxHost.StartAsync();

    public async Task DisposeAsync() => await _sandbox.DisposeAsync();

    [Fact]
    public async Task Started_from_another_directory_it_keeps_request_urls_and_a_key_in_the_query_out_of_its_logs()
    {
        var elsewhere = Directory.CreateTempSubdirectory("gateway-cwd-");
        await using var gateway = await GatewayProcess.StartAsync(_sandbox, workingDirectory: elsewhere.FullName);
        using var client = new HttpClient { BaseAddress = gateway.ProxyAddress };

        using (var leaked = await client.GetAsync($"/external/sources?projectId=1&api_key={GatewayHost.CallerKey}"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, leaked.StatusCode);
        }

        Assert.Equal(0, await gateway.StopAsync());
        Assert.DoesNotContain(GatewayHost.CallerKey, gateway.Output);
        Assert.DoesNotContain("Request starting", gateway.Output);
        elsewhere.Delete(recursive: true);
    }

    [Fact]
    public async Task On_SIGTERM_a_request_in_flight_longer_than_the_shutdown_timeout_is_cut_off_at_the_timeout()
    {
        await using var gateway = await GatewayProcess.StartAsync(_sandbox, new Dictionary<string, string>
        {
            ["HostOptions:ShutdownTimeout"] = "00:00:01",
            ["Gateway:Environments:stage:UpstreamTimeout"] = "00:02:00",
        });
        using var client = new HttpClient { BaseAddress = gateway.ProxyAddress };
        client.DefaultRequestHeaders.Add("X-Api-Key", GatewayHost.CallerKey);
        using (await client.GetAsync("/external/sources?projectId=1"))
        {
        }

        // Longer than the configured drain, shorter than .NET's default 30 s: which of the two applies shows.
        _sandbox.Switches.ApiDelay = TimeSpan.FromSeconds(8);
        var inFlight = client.GetAsync("/external/sources?projectId=1");
        await Eventually.HoldsAsync(() => _sandbox.Recorder.Arrivals >= 2, "the slow request reaches DataForge");

        var exitCode = await gateway.StopAsync();
        HttpStatusCode? status = null;
        try
        {
            using var response = await inFlight;
            status = response.StatusCode;
        }
        catch (HttpRequestException)
        {
        }

        Assert.Equal(0, exitCode);
        Assert.NotEqual(HttpStatusCode.OK, status);

        // Audited as the gateway's own doing, not as a caller who went away.
        var cut = gateway.Output.Split('\n').Where(line => line.Contains("\"outcome\"", StringComparison.Ordinal)).Select(line => JsonDocument.Parse(line[line.IndexOf('{', StringComparison.Ordinal)..]).RootElement).Last();
        Assert.Equal("gateway_shutdown", cut.GetProperty("outcome").GetString());
        Assert.Equal(503, cut.GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task With_the_json_console_formatter_every_log_line_is_a_json_object()
    {
        await using var gateway = await GatewayProcess.StartAsync(_sandbox, new Dictionary<string, string>
        {
            ["Logging:Console:FormatterName"] = "json",
        });
        using var client = new HttpClient { BaseAddress = gateway.ProxyAddress };
        client.DefaultRequestHeaders.Add("X-Api-Key", GatewayHost.CallerKey);
        using (await client.GetAsync("/external/sources?projectId=1"))
        {
        }

        Assert.Equal(0, await gateway.StopAsync());
        var lines = gateway.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Contains(lines, line => line.Contains("\"outcome\"", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.Contains("\"Category\"", StringComparison.Ordinal));
        Assert.All(lines, line => Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(line).RootElement.ValueKind));
    }

    [Fact]
    public async Task A_start_that_fails_on_a_port_in_use_has_asked_Auth0_for_nothing()
    {
        await using var first = await GatewayProcess.StartAsync(_sandbox);
        await Eventually.HoldsAsync(() => _sandbox.Recorder.TokenRequests == 1, "the running gateway has fetched its token");
        var tokensBefore = _sandbox.Recorder.TokenRequests;

        var second = GatewayProcess.StartAsync(_sandbox, new Dictionary<string, string> { ["urls"] = $"http://127.0.0.1:{first.ProxyPort}" });
        var failure = await Assert.ThrowsAsync<Xunit.Sdk.XunitException>(() => second);

        Assert.Contains("address already in use", failure.Message);
        Assert.DoesNotContain("   at ", failure.Message);
        Assert.Equal(tokensBefore, _sandbox.Recorder.TokenRequests);
    }
}
