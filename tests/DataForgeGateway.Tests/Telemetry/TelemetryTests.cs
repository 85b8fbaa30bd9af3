using System.Diagnostics;
using DataForgeGateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OpenTelemetry.Logs;

namespace DataForgeGateway.Tests.Telemetry;

/// <summary>Traces follow a request from the caller through the gateway to DataForge; metrics count it.</summary>
[Collection(SerialTests.Name)]
public sealed class TelemetryTests : GatewayTest
{
    [Fact]
    public async Task A_request_is_one_trace_from_the_gateway_to_DataForge()
    {
        var response = await RawHttp.SendAsync(
            Gateway.ProxyAddress,
            "GET /external/sources?projectId=1 HTTP/1.1",
            [$"Host: {Gateway.ProxyAddress.Authority}", $"X-Api-Key: {GatewayHost.CallerKey}", "traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"]);
        Assert.Equal(200, response.Status);

        var trace = ActivityTraceId.CreateFromString("4bf92f3577b34da6a3ce929d0e0e4736");
        await Eventually.HoldsAsync(() => Gateway.Spans.ToList().Any(s => s.TraceId == trace && s.Kind == ActivityKind.Client), "the client span of the forwarded call");
        var spans = Gateway.Spans.ToList().Where(s => s.TraceId == trace).ToList();
        var server = Assert.Single(spans, s => s.Kind == ActivityKind.Server && s.Source.Name == "Microsoft.AspNetCore" && s.GetTagItem("server.port") is int port && port == Gateway.ProxyAddress.Port);
        Assert.Equal("/external/sources", server.GetTagItem("http.route"));
        Assert.Contains(spans, s => s.Kind == ActivityKind.Client && (s.GetTagItem("url.full") as string ?? "").StartsWith(Sandbox.BaseUrl, StringComparison.Ordinal));
        var forwarded = Assert.Single(Sandbox.Recorder.Requests).Headers["traceparent"];
        Assert.StartsWith("00-4bf92f3577b34da6a3ce929d0e0e4736-", forwarded);
        Assert.DoesNotContain(",", forwarded, StringComparison.Ordinal); // one traceparent, the forwarded call's own
    }

    [Fact]
    public async Task A_path_that_fails_validation_is_traced_as_its_route_not_as_the_callers_text()
    {
        var response = await RawHttp.SendAsync(
            Gateway.ProxyAddress,
            "POST /external/source-pull/not-a-source-7f3a HTTP/1.1",
            [$"Host: {Gateway.ProxyAddress.Authority}", $"X-Api-Key: {GatewayHost.CallerKey}", "traceparent: 00-5bf92f3577b34da6a3ce929d0e0e4737-00f067aa0ba902b7-01"]);
        Assert.Equal(400, response.Status);

        var trace = ActivityTraceId.CreateFromString("5bf92f3577b34da6a3ce929d0e0e4737");
        await Eventually.HoldsAsync(() => Gateway.Spans.ToList().Any(s => s.TraceId == trace && s.Kind == ActivityKind.Server), "the request's span");
        var server = Gateway.Spans.ToList().Single(s => s.TraceId == trace && s.Kind == ActivityKind.Server);
        Assert.Equal("/external/source-pull/{sourceId}", server.GetTagItem("url.path"));
        Assert.DoesNotContain(server.TagObjects, tag => tag.Value is string text && text.Contains("not-a-source-7f3a", StringComparison.Ordinal));
    }

    [Fact]
    public async Task With_spans_recorded_for_a_share_of_traces_the_others_still_reach_DataForge_and_the_audit()
    {
        // The chart's shape: traces sampled at a ratio (here none of the gateway's own), a caller's decision kept.
        await using var gateway = new GatewayHost(Sandbox, new Dictionary<string, string?>
        {
            ["OTEL_TRACES_SAMPLER"] = "parentbased_traceidratio",
            ["OTEL_TRACES_SAMPLER_ARG"] = "0",
        });
        // Trace ids of this test's own: the span listeners are process-wide.
        var (unsampled, sampled) = (ActivityTraceId.CreateRandom(), ActivityTraceId.CreateRandom());
        (string? TraceParent, string? TraceState, string Flags)[] requests =
        [
            ($"00-{unsampled}-b7ad6b7169203331-00", "vendor=a1", "00"),   // the caller did not sample it
            ($"00-{sampled}-00f067aa0ba902b7-01", null, "01"),            // the caller sampled it
            (null, null, "00"),                                           // a new trace, not sampled
        ];

        for (var i = 0; i < requests.Length; i++)
        {
            var (traceparent, tracestate, flags) = requests[i];
            var headers = new List<string> { $"Host: {gateway.ProxyAddress.Authority}", $"X-Api-Key: {GatewayHost.CallerKey}" };
            headers.AddRange(traceparent is null ? [] : [$"traceparent: {traceparent}"]);
            headers.AddRange(tracestate is null ? [] : [$"tracestate: {tracestate}"]);
            var response = await RawHttp.SendAsync(gateway.ProxyAddress, "GET /external/sources?projectId=1 HTTP/1.1", headers);
            Assert.Equal(200, response.Status);
            await Eventually.HoldsAsync(() => gateway.Logs.AuditRecords.Count == i + 1, "the request's audit record");

            // DataForge continues the caller's trace (or the gateway's new one, the audit record's), as a child of the
            // gateway's part, sampled as the caller decided; the caller's tracestate goes along.
            var arrived = Sandbox.Recorder.Requests[i].Headers;
            var traceId = System.Text.Json.JsonDocument.Parse(gateway.Logs.AuditRecords[i]).RootElement.GetProperty("trace_id").GetString()!;
            Assert.Matches($"^00-{traceId}-[0-9a-f]{{16}}-{flags}$", arrived["traceparent"]);
            Assert.NotEqual("0000000000000000", arrived["traceparent"][36..52]);
            if (traceparent is not null)
            {
                Assert.Equal(traceparent[3..35], traceId);
                Assert.NotEqual(traceparent[36..52], arrived["traceparent"][36..52]);
            }

            Assert.Equal(tracestate, arrived.TryGetValue("tracestate", out var state) ? state : null);
        }

        // Only the caller's sampled trace is recorded.
        var newTrace = ActivityTraceId.CreateFromString(System.Text.Json.JsonDocument.Parse(gateway.Logs.AuditRecords[2]).RootElement.GetProperty("trace_id").GetString());
        await Eventually.HoldsAsync(() => gateway.Spans.ToList().Any(s => s.TraceId == sampled && s.Kind == ActivityKind.Client), "the sampled trace's client span");
        Assert.DoesNotContain(gateway.Spans.ToList(), s => s.TraceId == unsampled || s.TraceId == newTrace);
    }

    [Fact]
    public async Task Without_an_exporter_no_span_is_recorded_yet_every_trace_reaches_DataForge_and_the_audit()
    {
        await using var gateway = new GatewayHost(Sandbox, new Dictionary<string, string?> { ["OTEL_TRACES_SAMPLER"] = null });

        // A caller's sampled trace stays sampled on to DataForge.
        var sampled = await RawHttp.SendAsync(
            gateway.ProxyAddress,
            "GET /external/sources?projectId=1 HTTP/1.1",
            [$"Host: {gateway.ProxyAddress.Authority}", $"X-Api-Key: {GatewayHost.CallerKey}", "traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"]);
        Assert.Equal(200, sampled.Status);
        await Eventually.HoldsAsync(() => gateway.Logs.AuditRecords.Count == 1, "the first request's audit record");
        Assert.Contains("\"trace_id\":\"0af7651916cd43dd8448eb211c80319c\"", gateway.Logs.AuditRecords[0], StringComparison.Ordinal);
        var forwarded = Sandbox.Recorder.Requests[0].Headers["traceparent"];
        Assert.StartsWith("00-0af7651916cd43dd8448eb211c80319c-", forwarded);
        Assert.EndsWith("-01", forwarded);
        Assert.DoesNotContain(",", forwarded, StringComparison.Ordinal);

        // A refusal's problem names the same trace, so a caller can quote it to whoever reads the audit.
        var refused = await RawHttp.SendAsync(
            gateway.ProxyAddress,
            "GET /external/nothing HTTP/1.1",
            [$"Host: {gateway.ProxyAddress.Authority}", "traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"]);
        Assert.Equal(404, refused.Status);
        var problemTrace = System.Text.Json.JsonDocument.Parse(refused.Body).RootElement.GetProperty("traceId").GetString()!;
        Assert.Matches("^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$", problemTrace);
        await Eventually.HoldsAsync(() => gateway.Logs.AuditRecords.Count == 2, "the refusal's audit record");
        Assert.Contains("\"trace_id\":\"0af7651916cd43dd8448eb211c80319c\"", gateway.Logs.AuditRecords[1], StringComparison.Ordinal);

        // A request nobody sampled records no span, yet DataForge and the audit record share its trace id.
        using var caller = gateway.CreateCaller();
        using (var response = await caller.GetAsync("/external/sources?projectId=1"))
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        }

        await Eventually.HoldsAsync(() => gateway.Logs.AuditRecords.Count == 3, "the third request's audit record");
        var traceId = System.Text.Json.JsonDocument.Parse(gateway.Logs.AuditRecords[2]).RootElement.GetProperty("trace_id").GetString()!;
        Assert.StartsWith($"00-{traceId}-", Sandbox.Recorder.Requests[1].Headers["traceparent"]);

        // The forwarded call's span ends before the response leaves the gateway: had it been recorded, it would be here.
        var traces = new[] { ActivityTraceId.CreateFromString(traceId), ActivityTraceId.CreateFromString("0af7651916cd43dd8448eb211c80319c") };
        Assert.DoesNotContain(gateway.Spans.ToList(), s => traces.Contains(s.TraceId));
    }

    [Fact]
    public async Task Requests_are_counted_by_caller_operation_status_and_outcome_with_their_duration()
    {
        using var caller = Gateway.CreateCaller();
        using (await caller.GetAsync("/external/sources?projectId=1"))
        using (await caller.GetAsync("/external/nothing"))
        {
        }

        await Eventually.HoldsAsync(() => Gateway.Logs.AuditRecords.Count == 2, "both requests are over");
        Gateway.FlushMetrics();

        var requests = Gateway.Metrics.Last(m => m.Name == "dataforge_gateway.requests");
        var points = requests.MetricPoints.Select(Tags).ToList();
        Assert.Contains(points, p => p["caller"] == GatewayHost.CallerName && p["operation"] == "sources" && p["status_code"] == "200" && p["outcome"] == "forwarded");
        Assert.Contains(points, p => p["operation"] == "none" && p["status_code"] == "404" && p["outcome"] == "not_found");
        Assert.Contains(Gateway.Metrics, m => m.Name == "dataforge_gateway.request.duration");
        Assert.Contains(Gateway.Metrics, m => m.Name == "dataforge_gateway.token.requests");
    }

    [Fact]
    public async Task Audit_log_records_carry_each_field_as_an_attribute_and_the_requests_time_and_trace_as_their_own()
    {
        // OTLP configured (to a port where nothing listens: the exporter's failures are its own); what the log
        // pipeline makes of each audit record is read from an in-memory exporter added after it.
        var exported = new ExportedCollection<LogRecord>();
        await using var gateway = new GatewayHost(
            Sandbox,
            new Dictionary<string, string?> { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = $"http://127.0.0.1:{FreePort.Next()}", ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf" },
            services => services.AddOpenTelemetry().WithLogging(logging => logging.AddInMemoryExporter(exported.Sink)));

        var response = await RawHttp.SendAsync(
            gateway.ProxyAddress,
            "GET /external/sources?projectId=7 HTTP/1.1",
            [$"Host: {gateway.ProxyAddress.Authority}", $"X-Api-Key: {GatewayHost.CallerKey}", "traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"]);
        Assert.Equal(200, response.Status);

        await Eventually.HoldsAsync(() => gateway.Logs.StandardOutput.Lines.Count == 1, "the audit record's JSON line");
        var line = System.Text.Json.JsonDocument.Parse(gateway.Logs.StandardOutput.Lines[0]).RootElement;
        await Eventually.HoldsAsync(() => Audit(exported).Count == 1, "the audit log record");
        var record = Audit(exported)[0];

        Assert.Equal("audit", record.Body ?? record.FormattedMessage);
        var attributes = record.Attributes!.ToDictionary(a => a.Key, a => a.Value);
        Assert.Equal("forwarded", attributes["outcome"]);
        Assert.Equal(GatewayHost.CallerName, attributes["caller"]);
        Assert.Equal("sources", attributes["operation"]);
        Assert.Equal("7", attributes["project_id"]);
        Assert.Equal(200, attributes["status"]);
        Assert.Equal(200, attributes["upstream_status"]);
        Assert.IsType<double>(attributes["duration_ms"]);

        // Every field of the JSON line is there once: time and trace id as the log record's own, the rest as attributes.
        var fields = line.EnumerateObject().Select(f => f.Name).ToList();
        Assert.Equal(fields.Except(["time", "trace_id"]), attributes.Keys);
        Assert.Equal(line.GetProperty("time").GetDateTimeOffset().UtcDateTime, record.Timestamp);
        Assert.Equal(ActivityTraceId.CreateFromString("0af7651916cd43dd8448eb211c80319c"), record.TraceId);
        Assert.NotEqual(default, record.SpanId);
        Assert.Equal(ActivityTraceFlags.Recorded, record.TraceFlags);
    }

    [Fact]
    public async Task Export_batches_are_the_gateways_sizes_unless_the_standard_variables_say_otherwise()
    {
        var otlp = new Dictionary<string, string?> { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = $"http://127.0.0.1:{FreePort.Next()}", ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf" };
        await using (var gateway = new GatewayHost(Sandbox, otlp))
        {
            var logs = gateway.Services.GetRequiredService<IOptionsMonitor<LogRecordExportProcessorOptions>>().Get(Options.DefaultName).BatchExportProcessorOptions;
            var spans = gateway.Services.GetRequiredService<IOptionsMonitor<OpenTelemetry.Trace.ActivityExportProcessorOptions>>().Get(Options.DefaultName).BatchExportProcessorOptions;
            Assert.Equal((32_768, 512, 1_000), (logs.MaxQueueSize, logs.MaxExportBatchSize, logs.ScheduledDelayMilliseconds));
            Assert.Equal((16_384, 512, 5_000), (spans.MaxQueueSize, spans.MaxExportBatchSize, spans.ScheduledDelayMilliseconds));
        }

        otlp["OTEL_BLRP_MAX_EXPORT_BATCH_SIZE"] = "100";
        otlp["OTEL_BSP_MAX_QUEUE_SIZE"] = "300";
        await using (var gateway = new GatewayHost(Sandbox, otlp))
        {
            var logs = gateway.Services.GetRequiredService<IOptionsMonitor<LogRecordExportProcessorOptions>>().Get(Options.DefaultName).BatchExportProcessorOptions;
            var spans = gateway.Services.GetRequiredService<IOptionsMonitor<OpenTelemetry.Trace.ActivityExportProcessorOptions>>().Get(Options.DefaultName).BatchExportProcessorOptions;
            Assert.Equal((32_768, 100), (logs.MaxQueueSize, logs.MaxExportBatchSize));
            Assert.Equal((300, 300), (spans.MaxQueueSize, spans.MaxExportBatchSize));   // a batch never over the queue
        }
    }

    private static List<LogRecord> Audit(ExportedCollection<LogRecord> exported) =>
        [.. exported.Where(r => r.CategoryName == DataForgeGateway.Audit.AuditWriter.Category)];

    private static Dictionary<string, string?> Tags(OpenTelemetry.Metrics.MetricPoint point)
    {
        var tags = new Dictionary<string, string?>();
        foreach (var tag in point.Tags)
        {
            tags[tag.Key] = tag.Value?.ToString();
        }

        return tags;
    }
}
