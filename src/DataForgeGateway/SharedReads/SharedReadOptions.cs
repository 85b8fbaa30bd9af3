using Microsoft.Extensions.Options;

namespace DataForgeGateway.SharedReads;

/// <summary>
/// Identical reads (sources, sources-filtered-by-name: same environment, path and query) share DataForge's answer:
/// concurrent ones one call (on by default, per replica), and optionally a short cache (through Redis when it is
/// configured, so across replicas). The answer does not depend on the caller; each caller's permissions and limits
/// are checked before.
/// </summary>
public sealed class SharedReadOptions
{
    public const string SectionName = "Gateway:SharedReads";

    /// <summary>Concurrent identical reads share one DataForge call.</summary>
    public bool Coalesce { get; set; } = true;

    /// <summary>Seconds a 200 answer is served again to identical reads (0: no cache). DataForge's <c>Cache-Control</c> can only shorten it.</summary>
    public int CacheSeconds { get; set; }

    /// <summary>Largest answer shared or cached; a larger one is passed on, and the others ask DataForge themselves.</summary>
    public int MaxBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>Longest a read waits for an identical one's answer; then it asks DataForge itself.</summary>
    public TimeSpan MaxWait { get; set; } = TimeSpan.FromSeconds(30);

    internal sealed class Validator : IValidateOptions<SharedReadOptions>
    {
        public ValidateOptionsResult Validate(string? name, SharedReadOptions options)
        {
            var failures = new List<string>();
            if (options.CacheSeconds is < 0 or > 3600)
            {
                failures.Add($"{SectionName}:CacheSeconds must be from 0 to 3600.");
            }

            if (options.MaxBodyBytes is < 1024 or > 16 * 1024 * 1024)
            {
                failures.Add($"{SectionName}:MaxBodyBytes must be from 1024 to 16777216.");
            }

            if (options.MaxWait <= TimeSpan.Zero)
            {
                failures.Add($"{SectionName}:MaxWait must be more than zero.");
            }

            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }
    }
}
