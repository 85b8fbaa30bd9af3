using DataForgeGateway.Primitives;

namespace DataForgeGateway.UnitTests.RateLimiting;

/// <summary>The token-bucket arithmetic, on an explicit clock.</summary>
public sealed class GcraTests
{
    private static readonly BucketLimit FivePerSecondBurstThree = BucketLimit.From("caller", permitsPerSecond: 5, burst: 3);

    [Fact]
    public void A_full_bucket_admits_its_burst_at_once_and_then_refuses()
    {
        long? tat = null;
        var decisions = Enumerable.Range(0, 4).Select(_ => Gcra.Decide(ref tat, 1_000_000, FivePerSecondBurstThree)).ToList();

        Assert.Equal([true, true, true, false], decisions.Select(d => d.Admitted));
        Assert.Equal([2L, 1L, 0L, 0L], decisions.Select(d => d.Remaining));
        Assert.Equal(200_000, decisions[3].RetryAfterMicros); // one interval at five a second
        Assert.Equal(600_000, decisions[2].ResetMicros);      // three intervals until full again
    }

    [Fact]
    public void The_bucket_refills_at_the_rate_and_never_beyond_its_burst()
    {
        long? tat = null;
        for (var i = 0; i < 3; i++)
        {
            Gcra.Decide(ref tat, 0, FivePerSecondBurstThree);
        }

        Assert.False(Gcra.Decide(ref tat, 199_999, FivePerSecondBurstThree).Admitted);
        Assert.True(Gcra.Decide(ref tat, 200_000, FivePerSecondBurstThree).Admitted);

        // A long pause fills the bucket to its burst, not more.
        var later = 10_000_000L;
        Assert.Equal(
            [true, true, true, false],
            Enumerable.Range(0, 4).Select(_ => Gcra.Decide(ref tat, later, FivePerSecondBurstThree).Admitted));
    }

    [Fact]
    public void A_refusal_does_not_charge_the_bucket()
    {
        long? tat = null;
        for (var i = 0; i < 3; i++)
        {
            Gcra.Decide(ref tat, 0, FivePerSecondBurstThree);
        }

        var before = tat;
        Gcra.Decide(ref tat, 100_000, FivePerSecondBurstThree);

        Assert.Equal(before, tat);
    }

    [Theory]
    [InlineData(0.1, 1, 10_000_000, 10)]  // one every ten seconds
    [InlineData(100, 200, 10_000, 2)]     // window of two seconds
    [InlineData(3, 3, 333_334, 2)]        // fractional intervals round up, never admitting more
    public void A_policy_becomes_an_interval_and_a_window(double rate, int burst, long interval, long window)
    {
        var limit = BucketLimit.From("p", rate, burst);

        Assert.Equal(interval, limit.IntervalMicros);
        Assert.Equal(window, limit.WindowSeconds);
    }

    [Fact]
    public void A_local_share_scales_rate_and_burst_but_keeps_at_least_one()
    {
        var half = BucketLimit.From("p", 10, 20, share: 0.5);
        var tiny = BucketLimit.From("p", 1, 1, share: 0.1);

        Assert.Equal((200_000L, 10), (half.IntervalMicros, half.Burst));
        Assert.Equal(1, tiny.Burst);
    }
}
