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
    public string PolicyHeader { get; } = Policy(Limits);

    /// <summary>Only the buckets with a local share: what the fallback applies while Redis is unavailable.</summary>
    public BucketLimit[] LocalShareLimits { get; } = [.. LocalLimits.Where((_, i) => Modes[i] == RedisFailureMode.LocalShare)];

    /// <summary>The <c>RateLimit-Policy</c> header value on the fallback: the buckets with a local share.</summary>
    public string LocalSharePolicyHeader => field ??= Policy(LocalShareLimits);

    /// <summary>Whether any bucket refuses every request while Redis is unavailable.</summary>
    public bool AnyClosed { get; } = Modes.Contains(RedisFailureMode.Closed);

    /// <summary>The smallest bucket: leases are sized by it.</summary>
    public int MinBurst { get; } = Limits.Min(l => l.Burst);

    /// <summary>The slowest bucket's rate, in permits per second: slow limits stay exact.</summary>
    public double MinPermitsPerSecond { get; } = Limits.Min(l => 1_000_000.0 / l.IntervalMicros);

    /// <summary>A <c>RateLimit-Policy</c> header value: each bucket's quota and window.</summary>
    public static string Policy(BucketLimit[] limits) => string.Join(", ", limits.Select(l => $"\"{l.Name}\";q={l.Burst};w={l.WindowSeconds}"));
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

/// <summary>
/// What the limiter decided about one request, and what the caller is told. A value, states inline: deciding
/// allocates nothing (the bucket sets and limits it refers to are resolved once per caller and operation).
/// </summary>
internal readonly struct RateLimitDecision
{
    /// <summary>The most buckets one request is checked against: the caller's and its operation's.</summary>
    public const int MaxBuckets = BucketStates.Capacity;

    private readonly BucketStates _states;
    private readonly long _closedRetryAfterMicros;

    public RateLimitDecision(DecisionSource source, BucketSet buckets, BucketLimit[] applied, in BucketStates states)
    {
        Source = source;
        Buckets = buckets;
        Applied = applied;
        _states = states;
        Admitted = states.AllAdmitted(applied.Length);
    }

    private RateLimitDecision(BucketSet buckets, long retryAfterMicros)
    {
        Source = DecisionSource.ClosedFallback;
        Buckets = buckets;
        Applied = [];
        _closedRetryAfterMicros = retryAfterMicros;
    }

    /// <summary>Refused because Redis is unavailable and the policy fails closed; Redis is tried again after <paramref name="retryAfterMicros"/>.</summary>
    public static RateLimitDecision Closed(BucketSet buckets, long retryAfterMicros) => new(buckets, retryAfterMicros);

    public bool Admitted { get; }

    public DecisionSource Source { get; }

    public BucketSet Buckets { get; }

    /// <summary>The buckets actually applied: all of the set, or those with a local share on the fallback.</summary>
    public BucketLimit[] Applied { get; }

    /// <summary>What the <paramref name="index"/>-th bucket applied said.</summary>
    public BucketState State(int index) => _states[index];

    /// <summary>How long a refused caller should wait, in whole seconds (at least one).</summary>
    public int RetryAfterSeconds
    {
        get
        {
            var micros = _closedRetryAfterMicros;
            for (var i = 0; i < Applied.Length; i++)
            {
                if (!_states[i].Admitted)
                {
                    micros = Math.Max(micros, _states[i].RetryAfterMicros);
                }
            }

            return (int)Math.Max(1, Math.Ceiling(micros / 1_000_000.0));
        }
    }

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
                header.AppendFormatted(_states[i].Remaining);
                header.AppendLiteral(";t=");
                header.AppendFormatted((long)Math.Ceiling(_states[i].ResetMicros / 1_000_000.0));
            }

            return header.ToStringAndClear();
        }
    }

    /// <summary>The <c>RateLimit-Policy</c> header value for the buckets actually applied.</summary>
    public string PolicyHeader =>
        ReferenceEquals(Applied, Buckets.Limits) ? Buckets.PolicyHeader
        : ReferenceEquals(Applied, Buckets.LocalShareLimits) ? Buckets.LocalSharePolicyHeader
        : BucketSet.Policy(Applied);

    /// <summary>The least quota left in any bucket applied (<see cref="long.MaxValue"/> when none was).</summary>
    public long MinRemaining
    {
        get
        {
            var min = long.MaxValue;
            for (var i = 0; i < Applied.Length; i++)
            {
                min = Math.Min(min, _states[i].Remaining);
            }

            return min;
        }
    }

    /// <summary>Which bucket refused, for the problem's detail and the metric.</summary>
    public string? RefusedBy
    {
        get
        {
            for (var i = 0; i < Applied.Length; i++)
            {
                if (!_states[i].Admitted)
                {
                    return Applied[i].Name;
                }
            }

            return null;
        }
    }
}

/// <summary>The states of a request's buckets, held inline (a value, no array).</summary>
[InlineArray(Capacity)]
internal struct BucketStates
{
    public const int Capacity = 2;

    private BucketState _first;

    /// <summary>The states of <paramref name="states"/> (at most <see cref="Capacity"/>).</summary>
    public static BucketStates From(ReadOnlySpan<BucketState> states)
    {
        var result = default(BucketStates);
        states.CopyTo(result);
        return result;
    }

    /// <summary>Every one of the first <paramref name="count"/> buckets admits the request.</summary>
    public readonly bool AllAdmitted(int count)
    {
        for (var i = 0; i < count; i++)
        {
            if (!this[i].Admitted)
            {
                return false;
            }
        }

        return true;
    }
}
