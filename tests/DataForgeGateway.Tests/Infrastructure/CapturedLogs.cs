using System.Collections.Concurrent;
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

    public IReadOnlyList<string> Lines => [.. _lines];

    /// <summary>The audit records written, as the JSON documents they are.</summary>
    public IReadOnlyList<string> AuditRecords => [.. _audit];

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
            audit?.Enqueue(formatter(state, exception));
        }

        private static string Describe<TState>(TState state) =>
            state is IEnumerable<KeyValuePair<string, object?>> values ? string.Join(", ", values.Select(v => $"{v.Key}={v.Value}")) : $"{state}";
    }
}
