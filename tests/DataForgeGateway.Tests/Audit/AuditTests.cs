using System.Net;
using System.Text.Json;
using DataForgeGateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DataForgeGateway.Tests.Audit;

/// <summary>Exactly one audit record per request that reaches the gateway, whatever its outcome, with the right fields.</summary>
public sealed class AuditTests : GatewayTest
{
    protected override Dictionary<string, string?>? Settings => new()
    {
        [$"Gateway:Callers:{GatewayHost.OtherCallerName}:RateLimit:PermitsPerSecond"] = "0.001",
        [$"Gateway:Callers:{GatewayHost.OtherCallerName}:RateLimit:Burst"] = "1",
        [$"Gateway:Callers:{GatewayHost.OtherCallerName}:Operations:0"] = "sources",
        ["Gateway:Requests:MaxBodyBytes"] = "512",
    };

    [Fact]
    public async Task A_forwarded_request_leaves_one_complete_record()
    {
        // Written by hand: an HttpClient in this process would start a trace of its own.
        var response = await RawHttp.SendAsync(
            Gateway.ProxyAddress,
            "GET /external/sources-filtered-by-name/demo?projectId=1 HTTP/1.1",
            [$"Host: {Gateway.ProxyAddress.Authority}", $"X-Api-Key: {GatewayHost.CallerKey}", "traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"]);

        var record = Assert.Single(await RecordsAsync(1));
        Assert.Equal("forwarded", Text(record, "outcome"));
        Assert.Equal((GatewayHost.CallerName, "stage", "sources-filtered-by-name", "GET"), (Text(record, "caller"), Text(record, "environment"), Text(record, "operation"), Text(record, "method")));
        Assert.Equal(("1", "demo"), (Text(record, "project_id"), Text(record, "name_filter")));
        Assert.Equal((200, 200), (record.GetProperty("status").GetInt32(), record.GetProperty("upstream_status").GetInt32()));
        Assert.Contains(Text(record, "token_source"), new[] { "memory", "auth0" });
        Assert.StartsWith("admitted:local", Text(record, "rate_limit"));
        Assert.Equal("127.0.0.1", Text(record, "client_address"));
        Assert.Equal("0af7651916cd43dd8448eb211c80319c", Text(record, "trace_id"));
        Assert.True(record.GetProperty("duration_ms").GetDouble() > 0);
        Assert.Equal("/external/sources-filtered-by-name/{filter}", Text(record, "path"));

        // The caller's trace goes on to DataForge.
        Assert.StartsWith("00-0af7651916cd43dd8448eb211c80319c-", Assert.Single(Sandbox.Recorder.Requests).Headers["traceparent"]);
        Assert.Equal(200, response.Status);
    }

    [Fact]
    public async Task Every_outcome_leaves_exactly_one_record_each()
    {
        var key = $"X-Api-Key: {GatewayHost.CallerKey}";
        var host = $"Host: {Gateway.ProxyAddress.Authority}";
        var cases = new (string Request, string[] Headers, string Body, int Status, string Outcome)[]
        {
            ("GET /external/sources?projectId=1 HTTP/1.1", [host, key], "", 200, "forwarded"),
            ("GET /external/sources?projectId=1 HTTP/1.1", [host], "", 401, "denied"),
            ("GET /external/sources-filtered-by-name/x?projectId=1 HTTP/1.1", [host, $"X-Api-Key: {GatewayHost.OtherCallerKey}"], "", 403, "denied"),
            ("GET /external/nothing HTTP/1.1", [host, key], "", 404, "not_found"),
            ("DELETE /external/sources HTTP/1.1", [host, key], "", 405, "not_found"),
            ("GET /external/../x HTTP/1.1", [host, key], "", 400, "invalid"),
            ("POST /external/inputs-filtered HTTP/1.1", [host, key, "Content-Type: application/json"], new string(' ', 600), 413, "invalid"),
            ("GET /external/sources?projectId=1 HTTP/1.1", [host, $"X-Api-Key: {GatewayHost.OtherCallerKey}"], "", 200, "forwarded"),
            ("GET /external/sources?projectId=1 HTTP/1.1", [host, $"X-Api-Key: {GatewayHost.OtherCallerKey}"], "", 429, "rate_limited"),
            ("POST /external/source-pull/424242 HTTP/1.1", [host, key], "", 404, "forwarded"),
            ("post /external/source-pull/19643 HTTP/1.1", [host, key], "", 405, "not_found"),   // methods are case-sensitive
            ("GET /openapi/v1.json HTTP/1.1", [host], "", 200, "served"),
            ("POST /external/source-pull/19643 HTTP/1.1", [host, key, "Idempotency-Key: audit-reuse-1"], "", 200, "forwarded"),
            ("POST /external/source-pull/19644 HTTP/1.1", [host, key, "Idempotency-Key: audit-reuse-1"], "", 422, "invalid"),
        };

        foreach (var (request, headers, body, status, _) in cases)
        {
            var response = await RawHttp.SendAsync(Gateway.ProxyAddress, request, headers, body);
            Assert.True(status == response.Status, $"{request}: {response.Status} {response.Body}");
        }

        var records = await RecordsAsync(cases.Length);
        Assert.Equal(cases.Select(c => (c.Status, (string?)c.Outcome)), records.Select(r => (r.GetProperty("status").GetInt32(), Text(r, "outcome"))));
        Assert.Equal("refused:local:caller", Text(records[8], "rate_limit"));
        Assert.Equal(GatewayHost.CallerName, Text(records[3], "caller"));
        Assert.Equal("/external/*", Text(records[3], "path"));
        Assert.Equal("/openapi/v1.json", Text(records[11], "path"));
        Assert.Equal(2, Sandbox.Recorder.Requests.Count(r => r.Path.StartsWith("/external/source-pull/", StringComparison.Ordinal))); // the lower-case one was not forwarded
    }

    [Fact]
    public async Task Token_unavailable_and_upstream_failures_are_recorded_as_such()
    {
        Sandbox.Switches.TokenEndpointStatus = 503;
        await using (var noToken = new GatewayHost(Sandbox))
        {
            using var caller = noToken.CreateCaller();
            using var response = await caller.GetAsync("/external/sources?projectId=1");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            var record = Assert.Single(await RecordsAsync(noToken, 1));
            Assert.Equal(("unavailable", (string?)null), (Text(record, "outcome"), (string?)Text(record, "token_source")));
        }

        Sandbox.Switches.TokenEndpointStatus = null;
        await using var noDataForge = new GatewayHost(Sandbox, new Dictionary<string, string?> { ["Gateway:Environments:stage:BaseUrl"] = $"http://127.0.0.1:{FreePort.Next()}" });
        using var client = noDataForge.CreateCaller();
        using var failed = await client.GetAsync("/external/sources?projectId=1");
        Assert.Equal(HttpStatusCode.BadGateway, failed.StatusCode);
        var upstream = Assert.Single(await RecordsAsync(noDataForge, 1));
        Assert.Equal("upstream_error", Text(upstream, "outcome"));
    }

    [Fact]
    public async Task A_caller_that_hangs_up_leaves_a_record_saying_so()
    {
        Sandbox.Switches.ApiDelay = TimeSpan.FromSeconds(10);
        using var caller = Gateway.CreateCaller();
        using var hangUp = new CancellationTokenSource();

        var pending = caller.GetAsync("/external/sources?projectId=1", hangUp.Token);
        await Eventually.HoldsAsync(() => Sandbox.Recorder.Arrivals == 1, "the request is in flight at DataForge");
        await hangUp.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending);

        var record = Assert.Single(await RecordsAsync(1));
        Assert.Equal("caller_disconnected", Text(record, "outcome"));
        Assert.Equal(GatewayHost.CallerName, Text(record, "caller"));
    }

    [Fact]
    public async Task A_forged_forwarded_for_from_a_caller_beside_the_ingress_is_ignored_so_it_cannot_dodge_the_failed_authentication_limit()
    {
        // The ingress is 127.0.0.2; the caller, on the same network (127.0.0.1, as a pod on the pod network), forges
        // a new address for each guess.
        var ingress = System.Net.IPAddress.Parse("127.0.0.2");
        await using var behindIngress = new GatewayHost(Sandbox, new Dictionary<string, string?>
        {
            ["Gateway:Ingress:KnownProxies:0"] = ingress.ToString(),
            ["Gateway:RateLimits:FailedAuthentication:PermitsPerSecond"] = "0.01",
            ["Gateway:RateLimits:FailedAuthentication:Burst"] = "3",
        });
        var host = $"Host: {behindIngress.ProxyAddress.Authority}";

        var statuses = new List<int>();
        for (var i = 1; i <= 5; i++)
        {
            var guess = await RawHttp.SendAsync(behindIngress.ProxyAddress, "GET /external/sources?projectId=1 HTTP/1.1", [host, $"X-Api-Key: guess-{i}", $"X-Forwarded-For: 198.51.100.{i}"]);
            statuses.Add(guess.Status);
        }

        var viaIngress = await RawHttp.SendAsync(behindIngress.ProxyAddress, "GET /external/sources?projectId=1 HTTP/1.1", [host, $"X-Api-Key: {GatewayHost.CallerKey}", "X-Forwarded-For: 203.0.113.9"], from: ingress);

        Assert.Equal([401, 401, 401, 429, 429], statuses);
        Assert.Equal(200, viaIngress.Status);
        var records = await RecordsAsync(behindIngress, 6);
        Assert.All(records.Take(5), record => Assert.Equal("127.0.0.1", Text(record, "client_address")));
        Assert.Equal("203.0.113.9", Text(records[5], "client_address"));
    }

    [Fact]
    public async Task Records_never_hold_the_key_even_when_a_caller_puts_it_in_the_path()
    {
        var response = await RawHttp.SendAsync(
            Gateway.ProxyAddress,
            $"GET /external/{GatewayHost.CallerKey}/{Uri.EscapeDataString("dfgw_abcd1234efgh_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef123456")} HTTP/1.1",
            [$"Host: {Gateway.ProxyAddress.Authority}", $"X-Api-Key: {GatewayHost.CallerKey}"]);

        Assert.Equal(401, response.Status);
        Assert.Contains("api-key-in-path", response.Body);
        var record = Assert.Single(await RecordsAsync(1));
        Assert.DoesNotContain("ABCDEFGHIJ", record.GetRawText());
        Assert.Equal("/external/*/*", Text(record, "path"));
    }

    [Fact]
    public async Task Records_go_to_standard_output_as_json_lines_and_to_the_log_category_alike()
    {
        using var caller = Gateway.CreateCaller();
        // Distinct projects: identical concurrent reads would share one DataForge call, and each is to be forwarded.
        await Task.WhenAll(Enumerable.Range(0, 40).Select(async i =>
        {
            using var response = await caller.GetAsync($"/external/sources?projectId={i + 1}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }));

        var records = await RecordsAsync(40);
        Assert.All(records, r => Assert.Equal("forwarded", Text(r, "outcome")));

        // The log category gets the same records, field for field: each field an attribute of its own, under the
        // JSON line's name, numbers as numbers.
        await Eventually.HoldsAsync(() => Gateway.Logs.AuditRecords.Count == 40, "40 audit log records");
        var logged = Gateway.Logs.AuditRecords.Select(r => JsonDocument.Parse(r).RootElement.Clone()).ToList();
        Assert.Equal(records.Select(Comparable), logged.Select(Comparable));
    }

    /// <summary>A record's fields as text, in order, the time as an instant (the two outputs may spell it differently).</summary>
    private static string Comparable(JsonElement record) => string.Join("\n", record.EnumerateObject().Select(field =>
        field.Name == "time" ? $"time={field.Value.GetDateTimeOffset().UtcTicks}" : $"{field.Name}={field.Value.GetRawText()}"));

    [Theory]
    [InlineData("Gateway:Audit:Stdout", "false")]
    [InlineData("Logging:Console:LogLevel:DataForgeGateway.Audit", "None")] // how it was turned off before; still works
    public async Task Standard_output_can_be_turned_off_and_the_log_category_still_gets_every_record(string key, string value)
    {
        await using var quiet = new GatewayHost(Sandbox, new Dictionary<string, string?> { [key] = value });
        using var caller = quiet.CreateCaller();
        using var response = await caller.GetAsync("/external/sources?projectId=1");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        await Eventually.HoldsAsync(() => quiet.Logs.AuditRecords.Count == 1, "the record reaches the log category");
        Assert.Empty(quiet.Logs.StandardOutput.Lines);
    }

    [Fact]
    public async Task Records_go_to_no_logging_provider_that_is_on_whether_anything_listens_or_not()
    {
        // The event source and the debugger's output report themselves on with nothing listening: every record
        // would cost the audit's thread a log call. They get none; the gateway's other log lines they still get.
        using var listener = new LoggingEvents();
        using var caller = Gateway.CreateCaller();
        using (var response = await caller.GetAsync("/external/sources?projectId=1"))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await RecordsAsync(1);
        Assert.DoesNotContain(DataForgeGateway.Audit.AuditWriter.Category, listener.Categories);
        var other = Gateway.Services.GetRequiredService<ILoggerFactory>().CreateLogger("DataForgeGateway.Tests.Probe");
        other.Log(LogLevel.Warning, new EventId(1), "a line of the gateway's own", null, static (line, _) => line);
        Assert.Contains("DataForgeGateway.Tests.Probe", listener.Categories);
    }

    /// <summary>The categories the logging event source reported, as a listener sees them.</summary>
    private sealed class LoggingEvents : System.Diagnostics.Tracing.EventListener
    {
        private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _categories = new();

        public ICollection<string> Categories => _categories.Keys;

        protected override void OnEventSourceCreated(System.Diagnostics.Tracing.EventSource eventSource)
        {
            if (eventSource.Name == "Microsoft-Extensions-Logging")
            {
                EnableEvents(eventSource, System.Diagnostics.Tracing.EventLevel.Verbose, (System.Diagnostics.Tracing.EventKeywords)4);   // FormattedMessage
            }
        }

        protected override void OnEventWritten(System.Diagnostics.Tracing.EventWrittenEventArgs eventData)
        {
            if (eventData.PayloadNames?.IndexOf("LoggerName") is int at and >= 0 && eventData.Payload?[at] is string category)
            {
                _categories[category] = true;
            }
        }
    }

    private Task<List<JsonElement>> RecordsAsync(int count) => RecordsAsync(Gateway, count);

    /// <summary>The records as written on standard output, once there are <paramref name="count"/> of them.</summary>
    private static async Task<List<JsonElement>> RecordsAsync(GatewayHost gateway, int count)
    {
        var lines = gateway.Logs.StandardOutput;
        await Eventually.HoldsAsync(() => lines.Lines.Count >= count, () => $"{count} audit records (have {lines.Lines.Count})");
        var records = lines.Lines.Select(r => JsonDocument.Parse(r).RootElement.Clone()).ToList();
        Assert.Equal(count, records.Count);
        return records;
    }

    private static string? Text(JsonElement record, string name) =>
        record.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
