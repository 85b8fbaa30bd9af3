using System.Net;
using DataForgeGateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace DataForgeGateway.Tests.Routing;

/// <summary>What DataForge answers reaches the caller through an allow-list, and never with the gateway's token in it.</summary>
public sealed class UpstreamResponseTests : GatewayTest
{
    [Fact]
    public async Task A_careless_upstream_error_page_reaches_the_caller_without_its_cookies_internal_headers_or_the_token()
    {
        using var caller = Gateway.CreateCaller();
        using (await caller.GetAsync("/external/sources?projectId=1"))
        {
        }

        var token = Sandbox.Recorder.Requests[0].Authorization!["Bearer ".Length..];
        using var echoes = new MetricCollector<long>(
            Gateway.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), DataForgeGateway.Tokens.TokenMetrics.MeterName, "dataforge_gateway.token.echoed");
        Sandbox.Switches.ApiLeaks = true;

        using var response = await caller.GetAsync("/external/sources?projectId=1");
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Contains("Authorization: Bearer ****", body);
        Assert.DoesNotContain(token, body);
        Assert.DoesNotContain(token[..20], response.Headers.ToString() + response.Content.Headers);
        Assert.False(response.Headers.Contains("Set-Cookie"));
        Assert.False(response.Headers.Contains("X-Internal-Trace"));
        Assert.Empty(response.Headers.WwwAuthenticate);
        Assert.DoesNotContain("dataforge-internal", response.Headers.Server.ToString());
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(body.Length, response.Content.Headers.ContentLength);
        Assert.NotEmpty(echoes.GetMeasurementSnapshot());
    }

    [Fact]
    public async Task An_upstream_that_switches_protocols_unasked_is_a_502_and_its_raw_bytes_never_reach_the_caller()
    {
        // An upstream answering 101 to a plain request, then sending bytes of a protocol nobody asked for.
        using var upstream = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        upstream.Start();
        var serving = Task.Run(async () =>
        {
            using var connection = await upstream.AcceptTcpClientAsync();
            var stream = connection.GetStream();
            var buffer = new byte[8192];
            _ = await stream.ReadAsync(buffer); // the request, whatever it holds
            await stream.WriteAsync("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\nTUNNELLED-BYTES-5e1f"u8.ToArray());
            _ = await stream.ReadAsync(buffer); // held open until the gateway lets go
        });
        await using var gateway = new GatewayHost(Sandbox, new Dictionary<string, string?> { ["Gateway:Environments:stage:BaseUrl"] = $"http://127.0.0.1:{((System.Net.IPEndPoint)upstream.LocalEndpoint).Port}" });

        var response = await RawHttp.SendAsync(gateway.ProxyAddress, "GET /external/sources?projectId=1 HTTP/1.1", [$"Host: {gateway.ProxyAddress.Authority}", $"X-Api-Key: {GatewayHost.CallerKey}"]);

        Assert.Equal(502, response.Status);
        Assert.Equal("urn:dataforge-gateway:problem:upstream-unavailable", System.Text.Json.JsonDocument.Parse(response.Body).RootElement.GetProperty("type").GetString());
        Assert.DoesNotContain("TUNNELLED-BYTES", response.Head + response.Body, StringComparison.Ordinal);
        await serving;
    }

    [Fact]
    public async Task The_path_and_query_DataForge_receives_are_canonical_whatever_case_and_slash_the_caller_used()
    {
        var response = await RawHttp.SendAsync(
            Gateway.ProxyAddress,
            "GET /EXTERNAL/Sources/?projectId=1 HTTP/1.1",
            [$"Host: {Gateway.ProxyAddress.Authority}", $"X-Api-Key: {GatewayHost.CallerKey}"]);

        Assert.Equal(200, response.Status);
        var arrived = Assert.Single(Sandbox.Recorder.Requests);
        Assert.Equal(("/external/sources", "?projectId=1"), (arrived.Path, arrived.QueryString));
    }

    [Theory]
    [InlineData(600, 1, true)]
    [InlineData(40, 33, true)]
    [InlineData(600, 1, false)]
    [InlineData(40, 33, false)]
    public async Task A_tracestate_beyond_the_W3C_bounds_is_not_forwarded(int length, int members, bool traced)
    {
        // Traced, DataForge's tracestate comes from the request's activity; untraced, from the caller's header.
        await using var untraced = traced ? null : new GatewayHost(Sandbox, new Dictionary<string, string?> { ["OTEL_TRACES_SAMPLER"] = null });
        using var caller = (untraced ?? Gateway).CreateCaller();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/external/sources?projectId=1");
        var member = $"v=" + new string('x', Math.Max(1, (length / members) - 2));
        request.Headers.TryAddWithoutValidation("tracestate", string.Join(',', Enumerable.Range(0, members).Select(i => $"k{i}{member}")));

        using var response = await caller.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(Assert.Single(Sandbox.Recorder.Requests).Headers.ContainsKey("tracestate"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_callers_baggage_reaches_neither_DataForge_nor_Auth0(bool traced)
    {
        // Baggage is the caller's internal context (user ids, tenants): not for a SaaS vendor, traced or not.
        await using var untraced = traced ? null : new GatewayHost(Sandbox, new Dictionary<string, string?> { ["OTEL_TRACES_SAMPLER"] = null });
        using var caller = (untraced ?? Gateway).CreateCaller();
        using (await caller.GetAsync("/external/sources?projectId=1"))
        {
        }

        // DataForge refuses the token, so this request renews it at Auth0 and is replayed: two calls to each.
        Sandbox.Issuer.Revoke(Sandbox.Recorder.Requests[0].Authorization!["Bearer ".Length..]);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/external/sources?projectId=1");
        request.Headers.TryAddWithoutValidation("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        request.Headers.TryAddWithoutValidation("baggage", "user.id=alice,tenant=internal");
        request.Headers.TryAddWithoutValidation("Correlation-Context", "user.id=alice");

        using var response = await caller.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var forwarded = Sandbox.Recorder.Requests.Skip(1).Select(r => r.Headers).ToList();
        var renewal = Sandbox.Recorder.TokenRequestHeaders[^1];
        Assert.Equal(2, forwarded.Count);
        Assert.Equal(2, Sandbox.Recorder.TokenRequestHeaders.Count);
        Assert.All(forwarded, headers => Assert.StartsWith("00-0af7651916cd43dd8448eb211c80319c-", headers["traceparent"]));
        if (traced)
        {
            Assert.StartsWith("00-0af7651916cd43dd8448eb211c80319c-", renewal["traceparent"]);   // Auth0 was called in the request's trace
        }

        Assert.All(forwarded.Append(renewal), headers =>
        {
            Assert.False(headers.ContainsKey("baggage"));
            Assert.False(headers.ContainsKey("Correlation-Context"));
        });
    }

    [Fact]
    public async Task A_body_with_broken_chunk_framing_is_400_not_413()
    {
        var response = await RawHttp.SendAsync(
            Gateway.ProxyAddress,
            "POST /external/inputs-filtered HTTP/1.1",
            [$"Host: {Gateway.ProxyAddress.Authority}", $"X-Api-Key: {GatewayHost.CallerKey}", "Content-Type: application/json", "Transfer-Encoding: chunked"],
            framed: "2\r\n{}\r\nzz\r\n");

        Assert.Equal(400, response.Status);
        Assert.Contains("invalid-request", response.Body);
        Assert.Empty(Sandbox.Recorder.Requests);
    }
}
