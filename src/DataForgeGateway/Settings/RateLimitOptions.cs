using DataForgeGateway.Api;
using Microsoft.Extensions.Options;

namespace DataForgeGateway.Settings;

/// <summary>What a rate-limit policy does while Redis, which makes its limit one limit for all replicas, is unavailable.</summary>
public enum RedisFailureMode
{
    /// <summary>Each replica enforces <see cref="RateLimitPolicyOptions.LocalShare"/> of the limit on its own.</summary>
    LocalShare,

    /// <summary>Requests are admitted unlimited until Redis is back.</summary>
    Open,

    /// <summary>Requests are refused (503) until Redis is back.</summary>
    Closed,
}

/// <summary>A token bucket: a sustained rate, and a burst a caller may spend at once.</summary>
public sealed class RateLimitPolicyOptions
{
    /// <summary>Requests per second, sustained. Fractions allowed (0.1 is one every ten seconds).</summary>
    public double PermitsPerSecond { get; set; }

    /// <summary>Requests that may be made at once, after a pause: the bucket's size.</summary>
    public int Burst { get; set; }

    /// <summary>While Redis is unavailable; empty: <see cref="RateLimitOptions.OnRedisFailure"/>.</summary>
    public RedisFailureMode? OnRedisFailure { get; set; }

    /// <summary>With <see cref="RedisFailureMode.LocalShare"/>: each replica's share of the limit; empty: <see cref="RateLimitOptions.LocalShare"/>.</summary>
    public double? LocalShare { get; set; }

    internal void Validate(string key, List<string> failures)
    {
        if (!(PermitsPerSecond > 0) || PermitsPerSecond > 1_000_000)
        {
            failures.Add($"{key}:PermitsPerSecond must be more than 0 and at most 1000000.");
        }

        if (Burst is < 1 or > 1_000_000)
        {
            failures.Add($"{key}:Burst must be from 1 to 1000000.");
        }

        if (LocalShare is { } share && share is <= 0 or > 1)
        {
            failures.Add($"{key}:LocalShare must be more than 0 and at most 1.");
        }
    }
}

/// <summary>Default rate limits, applied to every caller that has none of its own.</summary>
public sealed class RateLimitOptions
{
    public const string SectionName = "Gateway:RateLimits";

    /// <summary>Each caller's limit over all operations.</summary>
    public RateLimitPolicyOptions Default { get; set; } = new() { PermitsPerSecond = 100, Burst = 200 };

    /// <summary>Each caller's limit per operation, on top of <see cref="Default"/> (source-pull starts ingestions: keep it low).</summary>
    public Dictionary<string, RateLimitPolicyOptions> Operations { get; set; } = new(StringComparer.Ordinal)
    {
        [DataForgeOperation.SourcePull.Name] = new() { PermitsPerSecond = 1, Burst = 10 },
    };

    /// <summary>What policies do while Redis is unavailable, unless they say otherwise.</summary>
    public RedisFailureMode OnRedisFailure { get; set; } = RedisFailureMode.LocalShare;

    /// <summary>Each replica's share of a limit in <see cref="RedisFailureMode.LocalShare"/> mode: about one over the replica count.</summary>
    public double LocalShare { get; set; } = 0.5;

    /// <summary>After a Redis failure, how long the limiter stays on its fallback before it tries Redis again.</summary>
    public TimeSpan RedisRetryInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Requests without a valid key, per client address and replica: past this, 429 instead of 401.</summary>
    public FailedAuthenticationOptions FailedAuthentication { get; set; } = new();

    /// <summary>How replicas spend shared limits without a Redis round trip per request.</summary>
    public RateLimitLeaseOptions Leases { get; set; } = new();

    internal sealed class Validator : IValidateOptions<RateLimitOptions>
    {
        public ValidateOptionsResult Validate(string? name, RateLimitOptions options)
        {
            var failures = new List<string>();
            options.Default.Validate($"{SectionName}:Default", failures);
            options.Leases.Validate($"{SectionName}:Leases", failures);
            foreach (var (operation, policy) in options.Operations)
            {
                if (DataForgeOperation.Find(operation) is null)
                {
                    failures.Add($"{SectionName}:Operations:{operation} names no DataForge operation.");
                }

                policy.Validate($"{SectionName}:Operations:{operation}", failures);
            }

            if (options.LocalShare is <= 0 or > 1)
            {
                failures.Add($"{SectionName}:LocalShare must be more than 0 and at most 1.");
            }

            if (options.RedisRetryInterval <= TimeSpan.Zero)
            {
                failures.Add($"{SectionName}:RedisRetryInterval must be more than zero.");
            }

            if (options.FailedAuthentication.Enabled)
            {
                new RateLimitPolicyOptions { PermitsPerSecond = options.FailedAuthentication.PermitsPerSecond, Burst = options.FailedAuthentication.Burst }
                    .Validate($"{SectionName}:FailedAuthentication", failures);
            }

            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }
    }
}

/// <summary>
/// A bucket per client address (as the ingress vouches for it) for requests without a valid key: thousands of
/// bad-key requests a second from one address get 429, not 401 each with its audit record. Valid keys never touch it.
/// </summary>
public sealed class FailedAuthenticationOptions
{
    /// <summary>Whether failed authentications are limited at all.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Failed authentications per second an address may make, sustained.</summary>
    public double PermitsPerSecond { get; set; } = 5;

    /// <summary>Failed authentications an address may make at once.</summary>
    public int Burst { get; set; } = 50;
}

/// <summary>
/// Leases of shared permits: a replica takes a few permits of a caller's buckets from Redis in one atomic step and
/// spends them locally, so the hot path rarely waits on Redis, and the sum admitted by all replicas never exceeds a
/// limit. The next lease is taken while a quarter of the last is left. Permits leased but not spent are returned
/// with the next lease, or lost when a replica stops or Redis fails (it then under-admits by at most
/// <see cref="MaxPermits"/> per caller and operation until the bucket refills).
/// </summary>
public sealed class RateLimitLeaseOptions
{
    /// <summary>Lease permits; off: every request asks Redis.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Most permits one lease takes (a lease starts at one and doubles while they are all spent in time). Big enough
    /// that a busy caller's next lease arrives before the last is spent: at 16, on a saturated core the Redis answer
    /// waited behind the requests queued before it, most requests waited for their lease, and Redis cost a busy
    /// replica a sixth of its CPU (bench/README.md). Limits people set are mostly smaller: a lease is never more than
    /// a tenth of the smallest bucket.
    /// </summary>
    public int MaxPermits { get; set; } = 256;

    /// <summary>How long leased permits may be spent; then they go back with the next lease.</summary>
    public TimeSpan Duration { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Buckets smaller than this stay exact per request (source-pull's 10, say); a lease is also never more than a
    /// tenth of the smallest bucket.
    /// </summary>
    public int MinBurst { get; set; } = 20;

    /// <summary>Limits slower than this many permits a second stay exact per request (source-pull's 1/s, say): a lease would hold them for long.</summary>
    public double MinPermitsPerSecond { get; set; } = 10;

    internal void Validate(string key, List<string> failures)
    {
        if (MaxPermits is < 1 or > 1000)
        {
            failures.Add($"{key}:MaxPermits must be from 1 to 1000.");
        }

        if (Duration <= TimeSpan.Zero || Duration > TimeSpan.FromSeconds(10))
        {
            failures.Add($"{key}:Duration must be more than zero and at most 00:00:10.");
        }

        if (MinBurst < 2)
        {
            failures.Add($"{key}:MinBurst must be at least 2.");
        }

        if (MinPermitsPerSecond < 0)
        {
            failures.Add($"{key}:MinPermitsPerSecond must not be negative.");
        }
    }
}
