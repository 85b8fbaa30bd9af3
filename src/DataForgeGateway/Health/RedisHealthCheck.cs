using DataForgeGateway.Redis;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace DataForgeGateway.Health;

/// <summary>
/// Redis answers a PING. Without Redis every replica still serves on its own caches, so a failure is reported
/// with the registration's failure status (Degraded), not as down.
/// </summary>
internal sealed class RedisHealthCheck(RedisConnection connection) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var redis = await connection.GetAsync().WaitAsync(cancellationToken);
            if (!redis.IsConnected)
            {
                return new HealthCheckResult(context.Registration.FailureStatus, $"Redis at {connection.Endpoints} is not connected; tokens are cached per replica.");
            }

            var latency = await redis.GetDatabase().PingAsync().WaitAsync(cancellationToken);
            return HealthCheckResult.Healthy($"PING answered in {latency.TotalMilliseconds:F1} ms.");
        }
        // A probe that ran out of time is an answer too: Redis did not answer in time (not "the caller gave up").
        catch (Exception e) when (RedisConnection.IsFailure(e, CancellationToken.None))
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"Redis did not answer ({connection.Describe(e)}); tokens are cached per replica.");
        }
    }
}
