using Microsoft.Extensions.Options;

namespace DataForgeGateway.Audit;

/// <summary>How audit records are buffered on their way to the log.</summary>
public sealed class AuditOptions
{
    public const string SectionName = "Gateway:Audit";

    /// <summary>
    /// Records waiting to be written. When the log cannot keep up and the queue is full, new records are dropped
    /// (requests are never slowed down by the audit) and counted in <c>dataforge_gateway.audit.dropped</c>.
    /// </summary>
    public int QueueCapacity { get; set; } = 10_000;

    /// <summary>
    /// Write each record as one JSON line on standard output. Off also when the older setting
    /// <c>Logging:Console:LogLevel:DataForgeGateway.Audit</c> is <c>None</c>. With OTLP configured, records are
    /// exported as log records as well, whatever this says.
    /// </summary>
    public bool Stdout { get; set; } = true;

    internal sealed class Validator : IValidateOptions<AuditOptions>
    {
        public ValidateOptionsResult Validate(string? name, AuditOptions options) =>
            options.QueueCapacity is >= 100 and <= 10_000_000
                ? ValidateOptionsResult.Success
                : ValidateOptionsResult.Fail($"{SectionName}:QueueCapacity must be from 100 to 10000000.");
    }
}
