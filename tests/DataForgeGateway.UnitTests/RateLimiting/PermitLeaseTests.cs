using DataForgeGateway.RateLimiting;

namespace DataForgeGateway.UnitTests.RateLimiting;

/// <summary>One replica's lease of a bucket set: when it asks Redis, how much, and what it answers meanwhile.</summary>
public sealed class PermitLeaseTests
{
    private static readonly BucketStates Granted = BucketStates.From([new(true, 100, 0, 1_000_000)]);
    private static readonly BucketStates Refused = BucketStates.From([new(false, 0, 2_000_000, 5_000_000)]);

    [Fact]
    public void A_steady_caller_never_waits_Redis_is_asked_once_per_many_permits_and_no_more_than_the_most_is_ever_held()
    {
        const int max = 16;
        var lease = new PermitLeases.Lease();
        var wants = new List<int>();
        var outcomes = new List<PermitLeases.Outcome>();
        var held = 0;
        for (long now = 0; now < 2000; now++)
        {
            var outcome = lease.TryTake(now, max, out _, out var request, out _);
            outcomes.Add(outcome);
            if (outcome is PermitLeases.Outcome.Admitted or PermitLeases.Outcome.AdmittedAndRefill)
            {
                held--;
            }

            if (outcome is PermitLeases.Outcome.Lease or PermitLeases.Outcome.AdmittedAndRefill)
            {
                // What this replica holds and asks for together never exceeds the most: the bound on under-admission.
                Assert.InRange(held + request.Want, 1, max);
                wants.Add(request.Want);
                lease.Leased(request, request.Want, Granted, 1, now, now + 1000);   // Redis answers at once
                held += request.Want - (request.ForThisRequest ? 1 : 0);
            }
        }

        Assert.Equal(PermitLeases.Outcome.Lease, outcomes[0]);
        Assert.Equal(1, wants[0]);
        Assert.All(wants.Skip(5), want => Assert.InRange(want, max - (max / 4), max));  // grown: a dozen or more at a time
        Assert.DoesNotContain(outcomes.Skip(10), o => o is PermitLeases.Outcome.Lease or PermitLeases.Outcome.Wait);
        Assert.InRange(wants.Count, 2000 / max, 2000 / (max - (max / 4)) + 10);       // a Redis call per 12 or so
    }

    [Fact]
    public void While_the_next_lease_is_on_its_way_requests_spend_the_permits_in_hand_and_only_then_wait_for_it()
    {
        var lease = new PermitLeases.Lease();
        lease.TryTake(0, 4, out _, out var first, out _);
        lease.Leased(first, 1, Granted, 1, 0, 1000);
        lease.TryTake(1, 4, out _, out var second, out _);           // spent in time: 2
        lease.Leased(second, 2, Granted, 1, 1, 1000);                // one for it, one in hand

        Assert.Equal(PermitLeases.Outcome.AdmittedAndRefill, lease.TryTake(2, 4, out _, out var refill, out _));
        Assert.False(refill.ForThisRequest);
        Assert.Equal(PermitLeases.Outcome.Wait, lease.TryTake(3, 4, out _, out _, out var pending));
        Assert.False(pending.IsCompleted);

        lease.Leased(refill, refill.Want, Granted, 1, 4, 1000);
        Assert.True(pending.IsCompleted);
        for (var i = 0; i < refill.Want; i++)
        {
            Assert.NotEqual(PermitLeases.Outcome.Wait, lease.TryTake(5, 4, out _, out var next, out _));
            if (next.Completion is not null)
            {
                lease.Leased(next, 0, Refused, 1, 5, 1000);           // a refill Redis refuses: the permits in hand stay good
            }
        }

        Assert.Equal(PermitLeases.Outcome.Refused, lease.TryTake(6, 4, out var states, out _, out _));
        Assert.False(states[0].Admitted);
    }

    [Fact]
    public void Unspent_permits_of_an_expired_lease_go_back_with_the_next_and_it_shrinks()
    {
        var lease = new PermitLeases.Lease();
        lease.TryTake(0, 8, out _, out var first, out _);
        lease.Leased(first, 1, Granted, 1, 0, 100);
        lease.TryTake(50, 8, out _, out var second, out _);          // spent in time: doubles to 2
        lease.Leased(second, 2, Granted, 1, 50, 150);
        Assert.Equal(PermitLeases.Outcome.AdmittedAndRefill, lease.TryTake(60, 8, out _, out var third, out _));
        lease.Leased(third, third.Want, Granted, 1, 61, 161);        // running low: doubles to 4, all four in hand

        // The four left when it expires are given back, and the next lease is halved.
        Assert.Equal(PermitLeases.Outcome.Lease, lease.TryTake(500, 8, out _, out var fourth, out _));
        Assert.Equal(4, fourth.Returned);
        Assert.Equal(2, fourth.Want);
    }

    [Fact]
    public void A_refused_lease_refuses_without_asking_until_its_retry_after_shrinking_the_wait()
    {
        var lease = new PermitLeases.Lease();
        lease.TryTake(0, 8, out _, out var request, out _);
        lease.Leased(request, 0, Refused, 1, 0, 1000);

        Assert.Equal(PermitLeases.Outcome.Refused, lease.TryTake(500_000, 8, out var states, out _, out _));
        Assert.Equal(1_500_000, states[0].RetryAfterMicros);
        Assert.Equal(PermitLeases.Outcome.Lease, lease.TryTake(2_000_000, 8, out _, out _, out _));
    }

    [Fact]
    public void While_one_request_leases_the_others_wait_for_it_rather_than_ask_Redis_too()
    {
        var lease = new PermitLeases.Lease();
        lease.TryTake(0, 8, out _, out var request, out _);

        Assert.Equal(PermitLeases.Outcome.Wait, lease.TryTake(0, 8, out _, out _, out var pending));
        Assert.False(pending.IsCompleted);
        lease.Leased(request, 1, Granted, 1, 0, 1000);
        Assert.True(pending.IsCompleted);
    }

    [Fact]
    public void After_a_Redis_failure_the_permits_in_hand_are_dropped_and_never_given_back_to_a_Redis_that_did_not_grant_them()
    {
        var lease = new PermitLeases.Lease();
        lease.TryTake(0, 8, out _, out var first, out _, generation: 0);
        lease.Leased(first, 1, Granted, 1, 0, 1000);
        lease.TryTake(1, 8, out _, out var second, out _, generation: 0);
        lease.Leased(second, 2, Granted, 1, 1, 1000);                          // one in hand
        lease.TryTake(2, 8, out _, out var refill, out _, generation: 0);       // spends it, refills ahead

        // Redis fails (and may come back empty) before the refill's answer is in.
        Assert.Equal(PermitLeases.Outcome.Wait, lease.TryTake(3, 8, out _, out _, out _, generation: 1));
        lease.Leased(refill, refill.Want, Granted, 1, 4, 1000);
        Assert.Equal(PermitLeases.Outcome.Lease, lease.TryTake(5, 8, out _, out var next, out _, generation: 1));
        Assert.Equal(0, next.Returned);
    }

    [Fact]
    public void A_failed_lease_lets_the_next_request_try_again()
    {
        var lease = new PermitLeases.Lease();
        lease.TryTake(0, 8, out _, out var request, out _);
        lease.Failed(request);

        Assert.Equal(PermitLeases.Outcome.Lease, lease.TryTake(1, 8, out _, out _, out _));
    }
}
