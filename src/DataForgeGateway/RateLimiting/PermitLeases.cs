using System.Runtime.CompilerServices;
using DataForgeGateway.Settings;

namespace DataForgeGateway.RateLimiting;

/// <summary>
/// This replica's leases of shared permits, one per caller and operation (bucket set). A request takes a permit of
/// the lease in memory; when none is left (or the lease expired) one request takes a new lease from Redis while the
/// others of that set wait for it, so a burst never becomes a burst of Redis calls. A lease Redis refused is kept
/// too, until its retry-after: refused requests do not ask Redis either. Unspent permits of an expired lease are
/// given back with the next one.
/// </summary>
/// <remarks>
/// Never over-admits: every permit spent was taken from the shared bucket first. Under-admits by at most the
/// permits leased and not yet spent or returned: per replica and bucket set, at most one lease
/// (<see cref="RateLimitLeaseOptions.MaxPermits"/>, and never more than a tenth of the smallest bucket).
/// </remarks>
internal sealed class PermitLeases
{
    private readonly ConditionalWeakTable<BucketSet, Lease> _leases = [];

    /// <summary>Whether a bucket set is leased, rather than decided in Redis one request at a time.</summary>
    public static bool Applies(BucketSet buckets, RateLimitLeaseOptions options) =>
        options.Enabled && buckets.MinBurst >= options.MinBurst && buckets.MinPermitsPerSecond >= options.MinPermitsPerSecond;

    /// <summary>The most permits one lease of a bucket set takes: the configured most, and never more than a tenth of its smallest bucket.</summary>
    public static int MaxPermits(BucketSet buckets, RateLimitLeaseOptions options) => Math.Max(1, Math.Min(options.MaxPermits, buckets.MinBurst / 10));

    /// <summary>The lease of a bucket set: replaced with the set itself when options change.</summary>
    public Lease For(BucketSet buckets) => _leases.GetValue(buckets, static _ => new Lease());

    /// <summary>One bucket set's lease on this replica. All state is read and written under its lock.</summary>
    internal sealed class Lease
    {
        private readonly Lock _gate = new();
        private int _remaining;
        private long _expiresAt;
        private long _refusedUntil;
        private int _size = 1;
        private BucketStates _states;
        private int _count;
        private Task? _pending;

        /// <summary>
        /// Takes a permit if the lease has one (admitted), or says the lease was refused and until when (refused);
        /// otherwise either hands the caller the job of leasing (<paramref name="lease"/> set: call
        /// <see cref="Leased"/> or <see cref="Failed"/> after) or the lease another request is taking (await, try again).
        /// </summary>
        public Outcome TryTake(long now, int maxPermits, out BucketStates states, out LeaseRequest lease, out Task pending)
        {
            lease = default;
            pending = Task.CompletedTask;
            lock (_gate)
            {
                states = _states;
                if (now < _refusedUntil)
                {
                    states = Shift(_states, _count, now, _refusedUntil);
                    return Outcome.Refused;
                }

                if (_remaining > 0 && now < _expiresAt)
                {
                    _remaining--;
                    states = WithRemaining(_states, _count, _remaining);
                    return Outcome.Admitted;
                }

                if (_pending is { } other)
                {
                    pending = other;
                    return Outcome.Wait;
                }

                // Sized by what was spent: all of the last lease in time doubles the next, most of it left halves it.
                if (_remaining == 0 && now < _expiresAt)
                {
                    _size = Math.Min(maxPermits, _size * 2);
                }
                else if (_remaining > _size / 2)
                {
                    _size = Math.Max(1, _size / 2);
                }

                var completion = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _pending = completion.Task;
                lease = new LeaseRequest(Math.Min(_size, maxPermits), _remaining, completion);
                _remaining = 0;
                return Outcome.Lease;
            }
        }

        /// <summary>Redis granted <paramref name="granted"/> permits (one of them for the request that leased), valid until <paramref name="expiresAt"/>.</summary>
        public BucketStates Leased(LeaseRequest request, int granted, in BucketStates states, int count, long now, long expiresAt)
        {
            lock (_gate)
            {
                _pending = null;
                _states = states;
                _count = count;
                if (granted > 0)
                {
                    _remaining = granted - 1;
                    _expiresAt = expiresAt;
                    _refusedUntil = 0;
                }
                else
                {
                    _remaining = 0;
                    _refusedUntil = now + MaxRetryAfter(states, count);
                }
            }

            request.Completion.TrySetResult();
            return granted > 0 ? WithRemaining(states, count, granted - 1) : states;
        }

        /// <summary>The lease could not be taken (Redis failed): the next request tries again.</summary>
        public void Failed(LeaseRequest request)
        {
            lock (_gate)
            {
                _pending = null;
            }

            request.Completion.TrySetResult();
        }

        /// <summary>The shared remaining quota plus this lease's unspent permits: what the caller could still send at once.</summary>
        private static BucketStates WithRemaining(in BucketStates states, int count, int leased)
        {
            var result = default(BucketStates);
            for (var i = 0; i < count; i++)
            {
                result[i] = states[i] with { Admitted = true, Remaining = states[i].Remaining + leased, RetryAfterMicros = 0 };
            }

            return result;
        }

        /// <summary>A refusal's states as of <paramref name="now"/>: the wait shrinks as time passes.</summary>
        private static BucketStates Shift(in BucketStates states, int count, long now, long refusedUntil)
        {
            var result = default(BucketStates);
            for (var i = 0; i < count; i++)
            {
                result[i] = states[i].RetryAfterMicros > 0 ? states[i] with { RetryAfterMicros = Math.Max(1, refusedUntil - now) } : states[i];
            }

            return result;
        }

        private static long MaxRetryAfter(in BucketStates states, int count)
        {
            var max = 0L;
            for (var i = 0; i < count; i++)
            {
                max = Math.Max(max, states[i].RetryAfterMicros);
            }

            return max;
        }
    }

    /// <summary>What <see cref="Lease.TryTake"/> came to.</summary>
    internal enum Outcome
    {
        Admitted,
        Refused,
        Lease,
        Wait,
    }

    /// <summary>A lease to ask Redis for: how many permits, and how many unspent ones to give back.</summary>
    internal readonly record struct LeaseRequest(int Want, int Returned, TaskCompletionSource Completion);
}
