using System.Diagnostics.Metrics;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Options;

namespace DataForgeGateway.Audit;

/// <summary>
/// Takes finished audit records off the request path and writes each as one JSON document on the log category
/// <c>DataForgeGateway.Audit</c> (which OpenTelemetry exports as a log record when OTLP is configured). The queue
/// is bounded: if the log sink stalls, records past the capacity are dropped and counted, never the requests.
/// On shutdown the queue is drained before the process exits.
/// </summary>
public sealed partial class AuditWriter : BackgroundService
{
    public const string Category = "DataForgeGateway.Audit";
    public const string MeterName = "DataForgeGateway.Audit";

    private static readonly JsonSerializerOptions Json = new() { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };

    private readonly Channel<AuditRecord> _queue;
    private readonly ILogger _logger;
    private readonly Meter _meter;
    private readonly Counter<long> _written;
    private readonly Counter<long> _dropped;

    public AuditWriter(IOptions<AuditOptions> options, ILoggerFactory loggers, IMeterFactory meters)
    {
        _logger = loggers.CreateLogger(Category);
        _meter = meters.Create(MeterName);
        _written = _meter.CreateCounter<long>("dataforge_gateway.audit.records", "{record}", "Audit records written.");
        _dropped = _meter.CreateCounter<long>("dataforge_gateway.audit.dropped", "{record}", "Audit records dropped because the log sink could not keep up.");
        _queue = Channel.CreateBounded<AuditRecord>(
            new BoundedChannelOptions(options.Value.QueueCapacity) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true },
            _ => _dropped.Add(1));
    }

    /// <summary>Queues a finished record; never waits. A record that cannot be queued is counted as dropped.</summary>
    public void Write(AuditRecord record)
    {
        if (!_queue.Writer.TryWrite(record))
        {
            _dropped.Add(1);
        }
    }

    public override void Dispose()
    {
        _meter.Dispose();
        base.Dispose();
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // Requests have drained by now (the server stops first): write what is queued, then stop.
        _queue.Writer.TryComplete();
        await base.StopAsync(cancellationToken);
    }

    /// <summary>
    /// Writes on a thread of its own: a log sink that cannot keep up blocks this thread, never one of the thread
    /// pool's (on two cores the pool starts with two, and every request needs them).
    /// </summary>
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.Factory.StartNew(Drain, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private void Drain()
    {
        var reader = _queue.Reader;
        while (true)
        {
            while (reader.TryRead(out var record))
            {
                Log.Record(_logger, JsonSerializer.Serialize(record, Json));
                _written.Add(1);
            }

            var more = reader.WaitToReadAsync();
            if (!(more.IsCompletedSuccessfully ? more.Result : more.AsTask().GetAwaiter().GetResult()))
            {
                return;
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "{AuditRecord}")]
        public static partial void Record(ILogger logger, string auditRecord);
    }
}
