using DataForgeGateway.RateLimiting;

namespace DataForgeGateway.UnitTests.RateLimiting;

/// <summary>One replica's lease of a bucket set: when it asks Redis, how much, and what it answers meanwhile.</summary>
public sealed class PermitLeaseTests
{
    private static readonly BucketStates Granted = BucketStates.From([new(true, 100, 0, 1_000_000)]);
    private static readonly BucketStates Refused = BucketStates.From([new(false, 0, 2_000_000, 5_000_000)]);

    [Fact]
    public void Leases_double_while_spent_in_time_up_to_the_most_and_permits_are_spent_without_asking()
    {
        var lease = new PermitLeases.Lease();
        var sizes = new List<int>();
        long now = 0;
        for (var round = 0; round < 6; round++)
        {
            Assert.Equal(PermitLeases.Outcome.Lease, lease.TryTake(now, maxPermits: 8, out _, out var request, out _));
            sizes.Add(request.Want);
            lease.Leased(request, request.Want, Granted, 1, now, now + 1000);
            for (var spent = 1; spent < request.Want; spent++)
            {
                Assert.Equal(PermitLeases.Outcome.Admitted, lease.TryTake(now, 8, out _, out _, out _));
            }

            now += 10;
        }

        Assert.Equal([1, 2, 4, 8, 8, 8], sizes);
    }

    [Fact]
    public void Unspent_permits_of_an_expired_lease_go_back_with_the_next_and_it_shrinks()
    {
        var lease = new PermitLeases.Lease();
        lease.TryTake(0, 8, out _, out var first, out _);
        lease.Leased(first, 1, Granted, 1, 0, 100);
        lease.TryTake(50, 8, out _, out var second, out _);          // spent in time: doubles to 2
        lease.Leased(second, 2, Granted, 1, 50, 150);
        Assert.Equal(PermitLeases.Outcome.Admitted, lease.TryTake(60, 8, out _, out _, out _));
        lease.TryTake(61, 8, out _, out var third, out _);           // spent: doubles to 4
        lease.Leased(third, 4, Granted, 1, 61, 161);

        // Three of the four left when it expires: they are given back, and the next lease is halved.
        Assert.Equal(PermitLeases.Outcome.Lease, lease.TryTake(500, 8, out _, out var fourth, out _));
        Assert.Equal(3, fourth.Returned);
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
    public void A_failed_lease_lets_the_next_request_try_again()
    {
        var lease = new PermitLeases.Lease();
        lease.TryTake(0, 8, out _, out var request, out _);
        lease.Failed(request);

        Assert.Equal(PermitLeases.Outcome.Lease, lease.TryTake(1, 8, out _, out _, out _));
    }
}
