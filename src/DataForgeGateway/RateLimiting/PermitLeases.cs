using System.Runtime.CompilerServices;
using DataForgeGateway.Settings;

namespace DataForgeGateway.RateLimiting;

/// <summary>
/// This replica's leases of shared permits, one per caller and operation (bucket set). A request takes a permit of
/// the lease in memory. When the lease runs low, the request that finds it so starts the next lease from Redis in
/// the background and goes on with its own permit, so a steady caller's requests never wait for Redis; only when
/// none is left (the first request, after a pause, or faster than Redis answers) does one request lease while the
/// others of that set wait for it, so a burst never becomes a burst of Redis calls. A lease Redis refused is kept
/// too, until its retry-after: refused requests do not ask Redis either. Unspent permits of an expired lease are
/// given back with the next one.
/// </summary>
/// <remarks>
/// Never over-admits: every permit spent was taken from the shared bucket first. Under-admits by at most the
/// permits leased and not yet spent or returned: per replica and bucket set, never more than
/// <see cref="RateLimitLeaseOptions.MaxPermits"/> (and never more than a tenth of the smallest bucket), the
/// permits in hand and those being leased together. After a Redis failure (<c>generation</c>) the permits in hand
/// are dropped, neither spent nor given back: a Redis that restarted did not grant them, and giving them back would
/// add to its fresh bucket.
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
        private int _generation;
        private Task? _pending;

        /// <summary>
        /// Takes a permit if the lease has one (admitted; with <see cref="Outcome.AdmittedAndRefill"/> the caller
        /// also starts the next lease, <paramref name="lease"/>, without waiting for it), or says the lease was
        /// refused and until when (refused); otherwise either hands the caller the job of leasing for itself
        /// (<paramref name="lease"/> set) or the lease another request is taking (await, try again). A lease handed
        /// out must end in <see cref="Leased"/> or <see cref="Failed"/>.
        /// </summary>
        public Outcome TryTake(long now, int maxPermits, out BucketStates states, out LeaseRequest lease, out Task pending, int generation = 0)
        {
            lease = default;
            pending = Task.CompletedTask;
            lock (_gate)
            {
                if (generation != _generation)
                {
                    // Redis failed since these permits were leased: drop them (and any refusal it gave).
                    _generation = generation;
                    _remaining = 0;
                    _expiresAt = 0;
                    _refusedUntil = 0;
                }

                states = _states;
                if (_remaining > 0 && now < _expiresAt)
                {
                    _remaining--;
                    states = WithRemaining(_states, _count, _remaining);

                    // Running low in time: demand is up. The next lease (at most what keeps the permits in hand
                    // and in flight within the most) is taken now, while these permits last.
                    if (_pending is null && _remaining <= _size / 4 && now >= _refusedUntil && _remaining < maxPermits)
                    {
                        _size = Math.Min(maxPermits, _size * 2);
                        lease = Begin(Math.Min(_size, maxPermits - _remaining), returned: 0, forThisRequest: false);
                        return Outcome.AdmittedAndRefill;
                    }

                    return Outcome.Admitted;
                }

                if (now < _refusedUntil)
                {
                    states = Shift(_states, _count, now, _refusedUntil);
                    return Outcome.Refused;
                }

                if (_pending is { } other)
                {
                    pending = other;
                    return Outcome.Wait;
                }

                // None left. Sized by what was spent: all of the last lease in time doubles the next, most of it
                // left when it expired halves it; what is left of it goes back.
                if (_remaining == 0 && now < _expiresAt)
                {
                    _size = Math.Min(maxPermits, _size * 2);
                }
                else if (_remaining > _size / 2)
                {
                    _size = Math.Max(1, _size / 2);
                }

                lease = Begin(Math.Min(_size, maxPermits), returned: _remaining, forThisRequest: true);
                _remaining = 0;
                return Outcome.Lease;
            }
        }

        /// <summary>
        /// Redis granted <paramref name="granted"/> permits (one of them for the request that leased, if it leased for
        /// itself), valid until <paramref name="expiresAt"/> with those still in hand. What the leasing request gets.
        /// </summary>
        public BucketStates Leased(LeaseRequest request, int granted, in BucketStates states, int count, long now, long expiresAt)
        {
            BucketStates answer;
            lock (_gate)
            {
                _pending = null;
                _states = states;
                _count = count;
                var kept = request.Generation == _generation
                    ? granted
                    : Math.Min(granted, request.ForThisRequest ? 1 : 0);   // asked before a Redis failure: keep none but the asker's own
                if (granted > 0)
                {
                    _remaining += kept - (request.ForThisRequest ? 1 : 0);
                    _expiresAt = expiresAt;
                    _refusedUntil = 0;
                    answer = WithRemaining(states, count, _remaining);
                }
                else
                {
                    // Refused: the permits still in hand stay good until they expire; after them, refusals.
                    _refusedUntil = now + MaxRetryAfter(states, count);
                    answer = states;
                }
            }

            request.Completion.TrySetResult();
            return answer;
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

        private LeaseRequest Begin(int want, int returned, bool forThisRequest)
        {
            var completion = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _pending = completion.Task;
            return new LeaseRequest(want, returned, forThisRequest, _generation, completion);
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
        /// <summary>A permit of the lease: admitted.</summary>
        Admitted,

        /// <summary>A permit of the lease, and the lease is low: start the next one, without waiting for it.</summary>
        AdmittedAndRefill,

        /// <summary>Redis refused the last lease and its retry-after holds: refused.</summary>
        Refused,

        /// <summary>None left: lease, for this request and the next ones, and wait for it.</summary>
        Lease,

        /// <summary>None left and another request is leasing: wait for it, then try again.</summary>
        Wait,
    }

    /// <summary>A lease to ask Redis for: how many permits, how many unspent ones to give back, and whether one is for the request asking.</summary>
    internal readonly record struct LeaseRequest(int Want, int Returned, bool ForThisRequest, int Generation, TaskCompletionSource Completion);
}
