namespace DataForgeGateway.Redis;

/// <summary>
/// Connects to Redis while the gateway starts (bounded by the connection string's <c>connectTimeout</c>), so the
/// first requests find the shared caches and limits ready rather than falling back. A Redis that is down does not
/// stop start-up: the connection keeps retrying in the background.
/// </summary>
internal sealed class RedisWarmup(RedisConnection redis) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken) => await redis.GetAsync().WaitAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
