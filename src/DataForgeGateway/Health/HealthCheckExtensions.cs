using DataForgeGateway.Primitives;
using DataForgeGateway.Redis;
using DataForgeGateway.Settings;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace DataForgeGateway.Health;

/// <summary>
/// Liveness: the process answers, and nothing else (never Auth0, DataForge or Redis: a restart fixes none of them).
/// Readiness: "this replica can serve its callers now": a usable token for every environment (not Ready without one),
/// Redis (Degraded, or not Ready where the rate limits fail closed without it), DataForge answering (Degraded: no other
/// replica would do better), the configuration (Degraded while a change is refused: the last good one serves) and the
/// workload issuers' keys (Degraded while one cannot be fetched: key callers are served all the same).
/// </summary>
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
            checks.AddCheck<RedisHealthCheck>("redis", HealthStatus.Degraded, [ReadyTag], TimeSpan.FromSeconds(2));
        }

        checks.AddCheck<WorkloadIssuersHealthCheck>("workload-issuers", HealthStatus.Degraded, [ReadyTag]);
        builder.Services.AddSingleton<ShutdownDrain>();
        builder.Services.AddHostedService(provider => provider.GetRequiredService<ShutdownDrain>());
        checks.AddCheck<ShutdownDrain>(ShutdownDrain.Name, HealthStatus.Unhealthy, [ReadyTag]);
        builder.Services.AddFeatureMetrics<ReadinessMetrics>(ReadinessMetrics.MeterName);
        builder.Services.AddSingleton<IHealthCheckPublisher>(provider => provider.GetRequiredService<ReadinessMetrics>());
        builder.Services.Configure<HealthCheckPublisherOptions>(options =>
        {
            options.Period = ReadinessMetrics.Period;
            options.Predicate = check => check.Tags.Contains(ReadyTag);
        });
        builder.Services.AddHttpClient(DataForgeReachabilityCheck.HttpClientName, client => client.Timeout = TimeSpan.FromSeconds(3));

        // The environments configured at start-up; one added later is served, but gets its checks at the next restart.
        foreach (var environment in builder.Configuration.GetSection($"{GatewayOptions.SectionName}:Environments").GetChildren().Select(c => c.Key))
        {
            checks.Add(new HealthCheckRegistration(
                $"token:{environment}",
                provider => ActivatorUtilities.CreateInstance<TokenHealthCheck>(provider, environment),
                HealthStatus.Degraded,
                [ReadyTag]));
            checks.Add(new HealthCheckRegistration(
                $"dataforge:{environment}",
                provider => provider.GetRequiredKeyedService<DataForgeReachabilityCheck>(environment),
                HealthStatus.Degraded,
                [ReadyTag],
                TimeSpan.FromSeconds(5)));
            builder.Services.AddKeyedSingleton(environment, (provider, _) => ActivatorUtilities.CreateInstance<DataForgeReachabilityCheck>(provider, environment));
        }

        return builder;
    }
}
