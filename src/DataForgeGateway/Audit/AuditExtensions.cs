using DataForgeGateway.Primitives;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Logging.Debug;
using Microsoft.Extensions.Logging.EventSource;

namespace DataForgeGateway.Audit;

/// <summary>Registers the audit trail and the request metrics that come with it.</summary>
public static class AuditExtensions
{
    public static IHostApplicationBuilder AddAudit(this IHostApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<AuditOptions, AuditOptions.Validator>(AuditOptions.SectionName);

        // The writer puts records on standard output itself, in batches; the console logger (one write and one
        // thread hand-off per message) would print them a second time. Before it did, the way to keep records off
        // the console was this logging setting: it keeps working.
        builder.Logging.AddFilter<ConsoleLoggerProvider>(AuditWriter.Category, LogLevel.None);

        // Nor do the debugger's output and the event source: both say they are on whether anything listens or not,
        // and every record cost the audit's thread a log call for nothing (a profile of a busy replica found it).
        builder.Logging.AddFilter<DebugLoggerProvider>(AuditWriter.Category, LogLevel.None);
        builder.Logging.AddFilter<EventSourceLoggerProvider>(AuditWriter.Category, LogLevel.None);
        if (string.Equals(builder.Configuration[LegacyConsoleLevel], nameof(LogLevel.None), StringComparison.OrdinalIgnoreCase))
        {
            builder.Services.PostConfigure<AuditOptions>(options => options.Stdout = false);
        }

        builder.Services.AddSingleton<AuditOutput>();
        builder.Services.AddSingleton<AuditWriter>();
        builder.Services.AddHostedService(provider => provider.GetRequiredService<AuditWriter>());
        builder.Services.AddFeatureMetrics<GatewayMetrics>(GatewayMetrics.MeterName);
        builder.Services.ConfigureOpenTelemetryMeterProvider(metrics => metrics.AddMeter(AuditWriter.MeterName));
        if (string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            // Nowhere to send them: spare the audit writer a log record per request that goes nowhere.
            builder.Logging.AddFilter<OpenTelemetryLoggerProvider>(AuditWriter.Category, LogLevel.None);
        }

        return builder;
    }

    private const string LegacyConsoleLevel = "Logging:Console:LogLevel:" + AuditWriter.Category;

    /// <summary>One audit record and one set of request metrics for every request on the proxy port.</summary>
    public static IApplicationBuilder UseAudit(this IApplicationBuilder app) => app.UseMiddleware<AuditMiddleware>();
}
