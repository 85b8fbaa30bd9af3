using DataForgeGateway.Redis;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace DataForgeGateway.Health;

/// <summary>What liveness and readiness check.</summary>
public static class HealthCheckExtensions
{
    public const string LiveTag = "live";
    public const string ReadyTag = "ready";

    public static IHostApplicationBuilder AddGatewayHealthChecks(this IHostApplicationBuilder builder)
    {
        var checks = builder.Services.AddHealthChecks()
            .AddCheck("process", () => HealthCheckResult.Healthy(), tags: [LiveTag, ReadyTag]);

        if (builder.IsRedisConfigured())
        {
            // Without Redis every replica still serves, on its own caches: degraded, not down.
            checks.AddCheck<RedisHealthCheck>("redis", HealthStatus.Degraded, [ReadyTag], TimeSpan.FromSeconds(2));
        }

        return builder;
    }
}
