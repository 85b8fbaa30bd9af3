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
