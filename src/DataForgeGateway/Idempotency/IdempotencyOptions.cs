using Microsoft.Extensions.Options;

namespace DataForgeGateway.Idempotency;

/// <summary>
/// <c>Idempotency-Key</c> on source-pull: one ingestion per key and caller, within <see cref="Retention"/>. Stored in
/// Redis when it is configured (every replica sees every key), else in this replica's memory.
/// </summary>
public sealed class IdempotencyOptions
{
    public const string SectionName = "Gateway:Idempotency";

    /// <summary>Honour the header (on by default); off: the header is ignored and every request goes to DataForge.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How long the first answer is kept for retries with the same key.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How long a retry waits for the first request with its key to finish before it gets 409 with Retry-After.</summary>
    public TimeSpan InFlightWait { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Largest answer kept; a larger one is passed on but not kept, so a retry calls DataForge again.</summary>
    public int MaxStoredBodyBytes { get; set; } = 64 * 1024;

    internal sealed class Validator : IValidateOptions<IdempotencyOptions>
    {
        public ValidateOptionsResult Validate(string? name, IdempotencyOptions options)
        {
            var failures = new List<string>();
            if (options.Retention < TimeSpan.FromMinutes(1) || options.Retention > TimeSpan.FromDays(30))
            {
                failures.Add($"{SectionName}:Retention must be from 00:01:00 to 30.00:00:00.");
            }

            if (options.InFlightWait < TimeSpan.Zero || options.InFlightWait > TimeSpan.FromMinutes(1))
            {
                failures.Add($"{SectionName}:InFlightWait must be from 00:00:00 to 00:01:00.");
            }

            if (options.MaxStoredBodyBytes is < 1024 or > 1024 * 1024)
            {
                failures.Add($"{SectionName}:MaxStoredBodyBytes must be from 1024 to 1048576.");
            }

            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }
    }
}
