using System.Globalization;
using System.Runtime.CompilerServices;
using DataForgeGateway.Primitives;
using DataForgeGateway.Settings;

namespace DataForgeGateway.RateLimiting;

/// <summary>The buckets that apply to one caller and operation, resolved from configuration once.</summary>
/// <param name="Caller">The caller the buckets belong to.</param>
/// <param name="Limits">The buckets as configured (shared by all replicas through Redis).</param>
/// <param name="LocalLimits">The same buckets at each one's local share, for when Redis is unavailable.</param>
/// <param name="Modes">Per bucket, what to do while Redis is unavailable.</param>
internal sealed record BucketSet(string Caller, BucketLimit[] Limits, BucketLimit[] LocalLimits, RedisFailureMode[] Modes)
{
    /// <summary>The <c>RateLimit-Policy</c> header value: the same for every request of this caller and operation.</summary>
    public string PolicyHeader { get; } = string.Join(", ", Limits.Select(l => $"\"{l.Name}\";q={l.Burst};w={l.WindowSeconds}"));

    /// <summary>The smallest bucket: leases are sized by it.</summary>
    public int MinBurst { get; } = Limits.Min(l => l.Burst);

    /// <summary>The slowest bucket's rate, in permits per second: slow limits stay exact.</summary>
    public double MinPermitsPerSecond { get; } = Limits.Min(l => 1_000_000.0 / l.IntervalMicros);
}

/// <summary>Where a decision was taken.</summary>
internal enum DecisionSource
{
    /// <summary>Redis: one limit for every replica.</summary>
    Shared,

    /// <summary>This replica alone, at its local share, because Redis is unavailable.</summary>
    LocalFallback,

    /// <summary>No limit applied: Redis is unavailable and the policy fails open.</summary>
    OpenFallback,

    /// <summary>Refused: Redis is unavailable and the policy fails closed.</summary>
    ClosedFallback,

    /// <summary>This replica alone, because no Redis is configured (one replica).</summary>
    Local,
}

/// <summary>What the limiter decided about one request, and what the caller is told.</summary>
internal sealed record RateLimitDecision(bool Admitted, DecisionSource Source, BucketSet Buckets, BucketLimit[] Applied, BucketState[] States)
{
    /// <summary>With <see cref="DecisionSource.ClosedFallback"/>: how long until Redis is tried again.</summary>
    public BucketState? ClosedRetryAfter { get; init; }

    /// <summary>How long a refused caller should wait, in whole seconds (at least one).</summary>
    public int RetryAfterSeconds => (int)Math.Max(1, Math.Ceiling(
        States.Where(s => !s.Admitted).Append(ClosedRetryAfter ?? default).Select(s => s.RetryAfterMicros).Max() / 1_000_000.0));

    /// <summary>The <c>RateLimit</c> header value: remaining quota and seconds until each bucket is full again.</summary>
    public string StateHeader
    {
        get
        {
            var header = new DefaultInterpolatedStringHandler(24 * Applied.Length, 3 * Applied.Length, CultureInfo.InvariantCulture);
            for (var i = 0; i < Applied.Length; i++)
            {
                header.AppendLiteral(i == 0 ? "\"" : ", \"");
                header.AppendFormatted(Applied[i].Name);
                header.AppendLiteral("\";r=");
                header.AppendFormatted(States[i].Remaining);
                header.AppendLiteral(";t=");
                header.AppendFormatted((long)Math.Ceiling(States[i].ResetMicros / 1_000_000.0));
            }

            return header.ToStringAndClear();
        }
    }

    /// <summary>Every bucket applied admits the request.</summary>
    public static bool AllAdmitted(BucketState[] states)
    {
        foreach (var state in states)
        {
            if (!state.Admitted)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The <c>RateLimit-Policy</c> header value for the buckets actually applied.</summary>
    public string PolicyHeader => ReferenceEquals(Applied, Buckets.Limits)
        ? Buckets.PolicyHeader
        : string.Join(", ", Applied.Select(l => $"\"{l.Name}\";q={l.Burst};w={l.WindowSeconds}"));

    /// <summary>The least quota left in any bucket applied.</summary>
    public long MinRemaining
    {
        get
        {
            var min = long.MaxValue;
            foreach (var state in States)
            {
                min = Math.Min(min, state.Remaining);
            }

            return min;
        }
    }

    /// <summary>Which bucket refused, for the problem's detail and the metric.</summary>
    public string? RefusedBy => Applied.Where((_, i) => !States[i].Admitted).Select(l => l.Name).FirstOrDefault();
}
