using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace DataForgeGateway.Redis;

/// <summary>
/// The one Redis connection of the process, shared by the token cache and health checks. It connects in the
/// background and reconnects by itself: a Redis that is down at start-up does not stop the gateway.
/// </summary>
internal sealed class RedisConnection(IOptions<RedisOptions> options) : IAsyncDisposable
{
    private readonly Lazy<Task<IConnectionMultiplexer>> _connection = new(() => ConnectAsync(options.Value));

    public Task<IConnectionMultiplexer> GetAsync() => _connection.Value;

    /// <summary>
    /// Whether an exception from a Redis call means Redis failed (down, stalled, dropped), so the replica goes on
    /// without it. Besides its own exceptions and timeouts, StackExchange.Redis lets through the pipe's
    /// <see cref="InvalidOperationException"/> when a connection is torn down while a reply is being read (seen
    /// with a stalled server after a run of timeouts).
    /// </summary>
    public static bool IsFailure(Exception e) =>
        e is RedisException or TimeoutException or ObjectDisposedException
        || e is InvalidOperationException { Source: "System.IO.Pipelines" or "Pipelines.Sockets.Unofficial" or "StackExchange.Redis" };

    public async ValueTask DisposeAsync()
    {
        if (_connection.IsValueCreated)
        {
            await (await _connection.Value).DisposeAsync();
        }
    }

    private static async Task<IConnectionMultiplexer> ConnectAsync(RedisOptions options)
    {
        var configuration = ConfigurationOptions.Parse(options.ConnectionString);
        configuration.AbortOnConnectFail = false;

        // While Redis is down, fail at once rather than queue: the caller is served from the in-process cache.
        configuration.BacklogPolicy = BacklogPolicy.FailFast;
        configuration.ClientName ??= "dataforge-gateway";
        if (!options.ConnectionString.Contains("asyncTimeout", StringComparison.OrdinalIgnoreCase))
        {
            configuration.AsyncTimeout = (int)options.OperationTimeout.TotalMilliseconds;
        }

        return await ConnectionMultiplexer.ConnectAsync(configuration);
    }
}
