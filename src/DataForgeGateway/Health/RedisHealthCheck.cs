using DataForgeGateway.Primitives;
using DataForgeGateway.Redis;
using DataForgeGateway.Settings;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace DataForgeGateway.Health;

/// <summary>
/// Redis answers a PING. Without Redis a replica still serves on its own caches, so by default a failure is Degraded
/// (Ready); but where the rate limits fail closed without Redis every request would get 503, and the replica is not
/// Ready (<see cref="RedisOptions.ReadinessWhenDown"/>).
/// </summary>
internal sealed class RedisHealthCheck(RedisConnection connection, LiveOptions<RedisOptions> redis, LiveOptions<RateLimitOptions> limits) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var multiplexer = await connection.GetAsync().WaitAsync(cancellationToken);
            if (!multiplexer.IsConnected)
            {
                return Down($"Redis at {connection.Endpoints} is not connected");
            }

            var latency = await multiplexer.GetDatabase().PingAsync().WaitAsync(cancellationToken);
            return HealthCheckResult.Healthy($"PING answered in {latency.TotalMilliseconds:F1} ms.");
        }
        // A probe that ran out of time is an answer too: Redis did not answer in time (not "the caller gave up").
        catch (Exception e) when (RedisConnection.IsFailure(e, CancellationToken.None))
        {
            return Down($"Redis did not answer ({connection.Describe(e)})");
        }
    }

    private HealthCheckResult Down(string what)
    {
        var notReady = redis.Current.ReadinessWhenDown switch
        {
            RedisReadiness.NotReady => true,
            RedisReadiness.Ready => false,
            _ => limits.Current.OnRedisFailure == RedisFailureMode.Closed,
        };
        return notReady
            ? HealthCheckResult.Unhealthy($"{what}; not ready: requests get 503 rate-limit-unavailable until it answers.")
            : HealthCheckResult.Degraded($"{what}; tokens are cached per replica and rate limits are kept per replica.");
    }
}
