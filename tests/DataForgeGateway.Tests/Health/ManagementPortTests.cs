using System.Net;
using System.Text.Json;
using DataForgeGateway.Tests.Infrastructure;

namespace DataForgeGateway.Tests.Health;

public sealed class ManagementPortTests : GatewayTest
{
    [Theory]
    [InlineData("/health/live")]
    [InlineData("/health/ready")]
    public async Task Health_answers_on_the_management_port_in_the_health_checks_UI_format(string path)
    {
        using var management = new HttpClient { BaseAddress = Gateway.ManagementAddress };
        JsonElement body = default;

        // Ready once the start-up token has been fetched (503 Unhealthy before, in the same format).
        await Eventually.HoldsAsync(
            async () =>
            {
                using var response = await management.GetAsync(path);
                body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
                return response.StatusCode == HttpStatusCode.OK && body.GetProperty("status").GetString() == "Healthy";
            },
            () => $"{path} Healthy (last: {body})");
        Assert.Equal(JsonValueKind.Object, body.GetProperty("entries").ValueKind);
    }

    [Fact]
    public async Task Metrics_are_served_as_Prometheus_text_on_the_management_port_with_no_collector_configured()
    {
        using var caller = Gateway.CreateCaller();
        using (await caller.GetAsync("/external/sources?projectId=1"))
        {
        }

        using var management = new HttpClient { BaseAddress = Gateway.ManagementAddress };
        var text = "";
        await Eventually.HoldsAsync(
            async () =>
            {
                using var response = await management.GetAsync("/metrics");
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType);
                text = await response.Content.ReadAsStringAsync();
                return text.Contains("dataforge_gateway_requests", StringComparison.Ordinal);
            },
            () => "the request counted in /metrics");

        Assert.Contains("dotnet_gc_collections", text);                // runtime metrics
        Assert.Contains("dataforge_gateway_token_remaining_lifetime", text);
        Assert.Contains("http_server_request_duration_seconds", text);
        Assert.DoesNotContain(GatewayHost.CallerKey, text);
        using var onProxy = await caller.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.NotFound, onProxy.StatusCode);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("true")]
    public async Task Framework_instruments_recorded_several_times_a_request_are_collected_only_when_asked_for(string? all)
    {
        // They cost a sixth of a busy replica's CPU and say what the gateway's metrics and the kept ones say.
        await using var gateway = all is null ? null : new GatewayHost(Sandbox, new Dictionary<string, string?> { ["Gateway:Metrics:AllFrameworkInstruments"] = all });
        var host = gateway ?? Gateway;
        using var caller = host.CreateCaller();
        using (var response = await caller.GetAsync("/external/sources?projectId=1"))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        using var management = new HttpClient { BaseAddress = host.ManagementAddress };
        var text = "";
        await Eventually.HoldsAsync(
            async () =>
            {
                text = await management.GetStringAsync("/metrics");
                return text.Contains("dataforge_gateway_requests", StringComparison.Ordinal);
            },
            () => "the request counted in /metrics");

        // Kept either way: the request durations on both sides of the gateway, and connections.
        Assert.Contains("http_server_request_duration_seconds", text);
        Assert.Contains("http_client_request_duration_seconds", text);
        Assert.Contains("kestrel_active_connections", text);
        string[] perRequest = ["http_server_active_requests", "http_client_active_requests", "http_client_open_connections", "http_client_request_time_in_queue", "aspnetcore_routing_match_attempts", "aspnetcore_memory_pool_rented_bytes"];
        foreach (var name in perRequest)
        {
            Assert.True(text.Contains(name, StringComparison.Ordinal) == (all is not null), $"{name} in /metrics: expected {all is not null}");
        }
    }

    [Fact]
    public async Task Health_is_not_served_on_the_proxy_port()
    {
        using var caller = Gateway.CreateCaller();

        using var response = await caller.GetAsync("/health/ready");

        await Problem.AssertAsync(response, HttpStatusCode.NotFound, "route-not-found");
    }

    [Fact]
    public async Task DataForge_routes_are_not_served_on_the_management_port()
    {
        using var management = new HttpClient { BaseAddress = Gateway.ManagementAddress };
        management.DefaultRequestHeaders.Add("X-Api-Key", GatewayHost.CallerKey);

        using var response = await management.GetAsync("/external/sources?projectId=1");

        await Problem.AssertAsync(response, HttpStatusCode.NotFound, "route-not-found");
        Assert.Equal(0, Sandbox.Recorder.Arrivals);
    }
}
