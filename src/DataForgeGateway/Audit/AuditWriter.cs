using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace DataForgeGateway.Audit;

/// <summary>
/// Takes finished audit records off the request path and writes each as one JSON line on standard output (what a
/// container's log collector reads) and, when a logging provider other than the console wants it (OpenTelemetry
/// with OTLP configured), as a log record of the category <c>DataForgeGateway.Audit</c> whose attributes are the
/// record's fields (<see cref="AuditLogAttributes"/>).
/// </summary>
/// <remarks>
/// A request only puts its record in a queue: it wakes no thread and makes no system call. A thread of its own
/// writes the queue out every <see cref="FlushInterval"/>, or sooner when <see cref="WakeAt"/> records are waiting,
/// as lines packed into writes of at most 4 KiB (<c>PIPE_BUF</c>: a write that size reaches a pipe in one piece, so
/// other output on the same stream never lands inside a record). The queue is bounded: if the sink stalls,
/// records past the capacity are dropped and counted, never the requests. On shutdown the queue is written out
/// before the process exits.
/// </remarks>
public sealed class AuditWriter : BackgroundService
{
    public const string Category = "DataForgeGateway.Audit";
    public const string MeterName = "DataForgeGateway.Audit";

    /// <summary>The longest a record waits in the queue when traffic is light.</summary>
    public static readonly TimeSpan FlushInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>Records queued before the writer is woken early, so a busy gateway writes in steady batches.</summary>
    private const int WakeAt = 512;

    /// <summary>PIPE_BUF on Linux: a write of at most this many bytes is never interleaved with another's.</summary>
    private const int ChunkBytes = 4096;

    private static readonly EventId RecordEvent = new(1);

    private readonly ConcurrentQueue<AuditRecord> _queue = new();
    private readonly SemaphoreSlim _wake = new(0);
    private readonly int _capacity;
    private readonly Stream? _stdout;
    private readonly ILogger _logger;
    private readonly Meter _meter;
    private readonly Counter<long> _written;
    private readonly Counter<long> _dropped;
    private int _queued;
    private volatile bool _stopping;

    public AuditWriter(IOptions<AuditOptions> options, AuditOutput output, ILoggerFactory loggers, IMeterFactory meters)
    {
        _capacity = options.Value.QueueCapacity;
        _stdout = options.Value.Stdout ? output.Stream : null;
        _logger = loggers.CreateLogger(Category);
        _meter = meters.Create(MeterName);
        _written = _meter.CreateCounter<long>("dataforge_gateway.audit.records", "{record}", "Audit records written.");
        _dropped = _meter.CreateCounter<long>("dataforge_gateway.audit.dropped", "{record}", "Audit records dropped because the log sink could not keep up.");

        // The series exist from the start at 0, so that an alert on an increase sees the first burst of drops too,
        // and a dashboard shows 0 rather than "No data".
        _dropped.Add(0);
        _written.Add(0);
    }

    /// <summary>Queues a finished record; never waits. A record that cannot be queued is counted as dropped.</summary>
    public void Write(AuditRecord record)
    {
        var queued = Interlocked.Increment(ref _queued);
        if (queued > _capacity)
        {
            Interlocked.Decrement(ref _queued);
            _dropped.Add(1);
            return;
        }

        _queue.Enqueue(record);
        if (queued == WakeAt)
        {
            _wake.Release();
        }
    }

    public override void Dispose()
    {
        // Not _wake: a request finishing late, or the writer's thread, may still touch it, and a SemaphoreSlim
        // whose wait handle was never asked for holds nothing to release.
        _meter.Dispose();
        base.Dispose();
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // Requests have drained by now (the server stops first): write what is queued, then stop.
        _stopping = true;
        _wake.Release();
        await base.StopAsync(cancellationToken);
    }

    /// <summary>
    /// Writes on a thread of its own: a sink that cannot keep up blocks this thread, never one of the thread
    /// pool's (on two cores the pool starts with two, and every request needs them).
    /// </summary>
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.Factory.StartNew(Drain, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private void Drain()
    {
        using var sink = new Sink(this);
        while (true)
        {
            var last = _stopping;
            WriteQueued(sink);
            if (last)
            {
                return;
            }

            _wake.Wait(FlushInterval);
        }
    }

    /// <summary>
    /// Writes out what is queued. A method of its own, not the body of <see cref="Drain"/>'s loop: a method that never
    /// returns is only ever compiled part-way (on-stack replacement), this one is optimized like any other.
    /// </summary>
    private void WriteQueued(Sink sink)
    {
        while (_queue.TryDequeue(out var record))
        {
            Interlocked.Decrement(ref _queued);
            sink.Add(record);
        }

        sink.Flush();
    }

    /// <summary>Turns records into JSON lines and writes them out; used by the writer's thread only.</summary>
    private sealed class Sink(AuditWriter writer) : IDisposable
    {
        private readonly ArrayBufferWriter<byte> _line = new(1024);
        private readonly Utf8JsonWriter _json = new(Stream.Null);
        private readonly byte[] _chunk = new byte[ChunkBytes];
        private int _chunkLength;
        private int _chunkRecords;

        public void Add(AuditRecord record)
        {
            if (writer._logger.IsEnabled(LogLevel.Information))
            {
                writer._logger.Log(LogLevel.Information, RecordEvent, new AuditLogAttributes(record), null, static (_, _) => AuditLogAttributes.Message);
            }

            if (writer._stdout is null)
            {
                writer._written.Add(1);
                return;
            }

            _line.ResetWrittenCount();
            _json.Reset(_line);
            AuditJson.Write(_json, record);
            _json.Flush();
            var line = _line.WrittenSpan;

            if (_chunkLength + line.Length + 1 > ChunkBytes)
            {
                Flush();
            }

            if (line.Length + 1 > ChunkBytes)
            {
                _line.Write("\n"u8);
                WriteOut(_line.WrittenSpan, 1);   // one record longer than a chunk: on its own
                return;
            }

            line.CopyTo(_chunk.AsSpan(_chunkLength));
            _chunkLength += line.Length;
            _chunk[_chunkLength++] = (byte)'\n';
            _chunkRecords++;
        }

        public void Flush()
        {
            if (_chunkLength > 0)
            {
                WriteOut(_chunk.AsSpan(0, _chunkLength), _chunkRecords);
                _chunkLength = 0;
                _chunkRecords = 0;
            }
        }

        public void Dispose() => _json.Dispose();

        private void WriteOut(ReadOnlySpan<byte> bytes, int records)
        {
            try
            {
                writer._stdout!.Write(bytes);
                writer._written.Add(records);
            }
            catch (IOException)
            {
                writer._dropped.Add(records);   // standard output closed or broken: nothing else to tell
            }
        }
    }
}

/// <summary>Where the audit's JSON lines go: the process's standard output.</summary>
public sealed class AuditOutput(Stream stream)
{
    public AuditOutput()
        : this(Console.OpenStandardOutput())
    {
    }

    public Stream Stream { get; } = stream;
}
