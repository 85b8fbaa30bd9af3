using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace DataForgeGateway.Tests.Infrastructure;

/// <summary>
/// Every log line a gateway wrote, message and structured values alike, so tests can scan them for secrets. Like the
/// gateway's own providers (console, OpenTelemetry), it leaves out scopes: ASP.NET Core's request scope holds the
/// raw path, which is the caller's text.
/// </summary>
public sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly ConcurrentQueue<string> _audit = new();

    /// <remarks>Each queue copied at once (<c>ToArray</c>): spread as it is, a line logged meanwhile overran the count taken first.</remarks>
    public IReadOnlyList<string> Lines => [.. _lines.ToArray(), .. StandardOutput.Lines];

    /// <summary>The audit records logged on the audit's category: each log record's attributes as one JSON object.</summary>
    public IReadOnlyList<string> AuditRecords => _audit.ToArray();

    /// <summary>What the gateway wrote on its standard output (the audit's JSON lines).</summary>
    public CapturedOutputStream StandardOutput { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, categoryName == DataForgeGateway.Audit.AuditWriter.Category ? _audit : null, _lines);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<string>? audit, ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {Describe(state)} {exception}");
            if (audit is not null && state is IEnumerable<KeyValuePair<string, object?>> attributes)
            {
                audit.Enqueue(AsJson(attributes));
            }
        }

        /// <summary>A log record's attributes as one JSON object (numbers as numbers), as a pipeline would store them.</summary>
        private static string AsJson(IEnumerable<KeyValuePair<string, object?>> attributes)
        {
            using var buffer = new MemoryStream();
            using (var json = new Utf8JsonWriter(buffer))
            {
                json.WriteStartObject();
                foreach (var (key, value) in attributes)
                {
                    switch (value)
                    {
                        case int number:
                            json.WriteNumber(key, number);
                            break;
                        case double number:
                            json.WriteNumber(key, number);
                            break;
                        default:
                            json.WriteString(key, value?.ToString());
                            break;
                    }
                }

                json.WriteEndObject();
            }

            return Encoding.UTF8.GetString(buffer.ToArray());
        }

        private static string Describe<TState>(TState state) =>
            state is IEnumerable<KeyValuePair<string, object?>> values ? string.Join(", ", values.Select(v => $"{v.Key}={v.Value}")) : $"{state}";
    }
}

/// <summary>A write-only stream that keeps what is written to it as lines.</summary>
public sealed class CapturedOutputStream : Stream
{
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly StringBuilder _partial = new();

    public IReadOnlyList<string> Lines => _lines.ToArray();

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        lock (_partial)
        {
            _partial.Append(Encoding.UTF8.GetString(buffer));
            var text = _partial.ToString();
            var end = text.LastIndexOf('\n');
            if (end < 0)
            {
                return;
            }

            foreach (var line in text[..end].Split('\n'))
            {
                _lines.Enqueue(line);
            }

            _partial.Clear().Append(text[(end + 1)..]);
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
