namespace DataForgeGateway.Primitives;

/// <summary>One bucket's limit in the units the algorithm works in: microseconds.</summary>
/// <param name="Name">What the policy is called in the <c>RateLimit</c> headers ("caller" or an operation).</param>
/// <param name="IntervalMicros">Time one request costs: one over the rate.</param>
/// <param name="Burst">Bucket size.</param>
internal readonly record struct BucketLimit(string Name, long IntervalMicros, int Burst)
{
    public static BucketLimit From(string name, double permitsPerSecond, int burst, double share = 1)
    {
        var scaledBurst = Math.Max(1, (int)Math.Floor(burst * share));
        return new BucketLimit(name, (long)Math.Ceiling(1_000_000 / (permitsPerSecond * share)), scaledBurst);
    }

    /// <summary>Seconds for an empty bucket to fill: the window the policy's quota applies to.</summary>
    public long WindowSeconds => Math.Max(1, (long)Math.Ceiling(IntervalMicros * (double)Burst / 1_000_000));
}

/// <summary>What one bucket said about one request.</summary>
/// <param name="Admitted">Whether the bucket had room for it.</param>
/// <param name="Remaining">Requests the caller could still make at once.</param>
/// <param name="RetryAfterMicros">When refused: how long until one request would be admitted.</param>
/// <param name="ResetMicros">How long until the bucket is full again.</param>
internal readonly record struct BucketState(bool Admitted, long Remaining, long RetryAfterMicros, long ResetMicros);

/// <summary>
/// The generic cell rate algorithm: a token bucket kept as one number per bucket, the theoretical arrival time
/// (TAT) of the next request. The same arithmetic runs in-process and, as a Lua script, inside Redis.
/// </summary>
internal static class Gcra
{
    /// <summary>Now, in the algorithm's unit: microseconds since the Unix epoch.</summary>
    public static long NowMicros(TimeProvider clock) => (clock.GetUtcNow().UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;

    /// <summary>Decides one request against one bucket; <paramref name="tat"/> is the stored TAT (or null) and becomes the new one.</summary>
    public static BucketState Decide(ref long? tat, long now, BucketLimit limit)
    {
        var current = Math.Max(tat ?? now, now);
        var next = current + limit.IntervalMicros;
        var allowAt = next - (limit.Burst * limit.IntervalMicros);
        if (allowAt > now)
        {
            return new BucketState(false, 0, allowAt - now, current - now);
        }

        tat = next;
        return new BucketState(true, (now - allowAt) / limit.IntervalMicros, 0, next - now);
    }
}
