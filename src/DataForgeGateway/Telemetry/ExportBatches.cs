using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Trace;

namespace DataForgeGateway.Telemetry;

/// <summary>
/// The OTLP exporters' batches, sized for a gateway: one audit log record per request (thousands a second), spans
/// for the sampled share. A deeper queue than OpenTelemetry's 2048 rides out a slow collector for a few seconds
/// before anything is dropped. Batches stay at OpenTelemetry's 512: batches of 4096 made a tenth as many exports,
/// but each one a longer stretch of serialization on a busy replica's core, and the benchmark's p99 at half load
/// with OTLP went from 0.8–2.4 ms above plain YARP to 3.2 ms (see bench/README.md). The standard variables (<c>OTEL_BLRP_*</c> for logs, <c>OTEL_BSP_*</c> for spans, as environment variables or
/// configuration keys) still decide wherever they are set.
/// </summary>
internal static class ExportBatches
{
    /// <summary>Audit and other log records: about three seconds of a busy replica's audit queued; at most one second's wait at low traffic.</summary>
    public static readonly BatchSize Logs = new("OTEL_BLRP", MaxQueueSize: 32_768, MaxExportBatchSize: 512, ScheduledDelayMilliseconds: 1_000);

    /// <summary>Spans (two per sampled request): as many queued; exports every five seconds at low traffic, OpenTelemetry's default.</summary>
    public static readonly BatchSize Spans = new("OTEL_BSP", MaxQueueSize: 16_384, MaxExportBatchSize: 512, ScheduledDelayMilliseconds: 5_000);

    public static IServiceCollection AddGatewayExportBatches(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<LogRecordExportProcessorOptions>(options => Logs.ApplyTo(options.BatchExportProcessorOptions, configuration));
        services.Configure<ActivityExportProcessorOptions>(options => Spans.ApplyTo(options.BatchExportProcessorOptions, configuration));
        return services;
    }

    /// <summary>A batch processor's sizes, and the prefix of the standard variables that override them.</summary>
    internal sealed record BatchSize(string Prefix, int MaxQueueSize, int MaxExportBatchSize, int ScheduledDelayMilliseconds)
    {
        public void ApplyTo<T>(BatchExportProcessorOptions<T> options, IConfiguration configuration)
            where T : class
        {
            if (string.IsNullOrWhiteSpace(configuration[$"{Prefix}_MAX_QUEUE_SIZE"]))
            {
                options.MaxQueueSize = MaxQueueSize;
            }

            if (string.IsNullOrWhiteSpace(configuration[$"{Prefix}_MAX_EXPORT_BATCH_SIZE"]))
            {
                options.MaxExportBatchSize = Math.Min(MaxExportBatchSize, options.MaxQueueSize);
            }

            if (string.IsNullOrWhiteSpace(configuration[$"{Prefix}_SCHEDULE_DELAY"]))
            {
                options.ScheduledDelayMilliseconds = ScheduledDelayMilliseconds;
            }
        }
    }
}
