using System.Collections.Concurrent;

// The benchmark's stand-in for an OpenTelemetry Collector: accepts OTLP over HTTP (protobuf) for traces, metrics
// and logs, counts what arrived, and keeps nothing. Arm E of bench/run.sh exports to it, so that the benchmark also
// measures the gateway with its telemetry leaving the process, as in production.
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
var app = builder.Build();
var received = new ConcurrentDictionary<string, long[]>();

app.MapPost("/v1/{signal}", async (string signal, HttpContext context) =>
{
    var buffer = new byte[16 * 1024];
    long bytes = 0;
    int read;
    while ((read = await context.Request.Body.ReadAsync(buffer)) > 0)
    {
        bytes += read;
    }

    var counts = received.GetOrAdd(signal, _ => new long[2]);
    Interlocked.Increment(ref counts[0]);
    Interlocked.Add(ref counts[1], bytes);

    // An empty Export*ServiceResponse: everything accepted.
    context.Response.ContentType = "application/x-protobuf";
});
app.MapGet("/stats", () => received.ToDictionary(pair => pair.Key, pair => new { exports = pair.Value[0], bytes = pair.Value[1] }));

app.Run();
