using System.IO.Pipelines;
using DataForgeGateway.Redis;
using StackExchange.Redis;

namespace DataForgeGateway.UnitTests.Redis;

/// <summary>
/// What counts as "Redis failed, go on without it": the client's own exceptions, and the pipe error it lets through
/// when a connection is torn down mid-read (seen as 500s in the Redis-stall test). A bug of the gateway's own is not.
/// </summary>
public sealed class RedisFailureTests
{
    [Fact]
    public void The_pipe_error_of_a_connection_torn_down_mid_read_is_a_Redis_failure()
    {
        var pipe = new Pipe();
        pipe.Reader.Complete();
        var error = Assert.Throws<InvalidOperationException>(() => pipe.Reader.AdvanceTo(default(SequencePosition)));

        Assert.True(RedisConnection.IsFailure(error));
    }

    [Fact]
    public void The_clients_own_errors_are_Redis_failures_and_the_gateways_are_not()
    {
        Assert.True(RedisConnection.IsFailure(new RedisTimeoutException("timeout", CommandStatus.Sent)));
        Assert.True(RedisConnection.IsFailure(new RedisConnectionException(ConnectionFailureType.SocketFailure, "down")));
        Assert.True(RedisConnection.IsFailure(new TimeoutException()));

        var ours = Assert.Throws<InvalidOperationException>(() => new List<int>().First());
        Assert.False(RedisConnection.IsFailure(ours));
        Assert.False(RedisConnection.IsFailure(new ArgumentException("not Redis")));
    }

    [Fact]
    public void A_cancelled_call_is_a_Redis_failure_unless_the_caller_gave_up()
    {
        using var gaveUp = new CancellationTokenSource();
        gaveUp.Cancel();

        Assert.True(RedisConnection.IsFailure(new OperationCanceledException()));
        Assert.True(RedisConnection.IsFailure(new TaskCanceledException(), CancellationToken.None));
        Assert.False(RedisConnection.IsFailure(new OperationCanceledException(gaveUp.Token), gaveUp.Token));
    }
}
