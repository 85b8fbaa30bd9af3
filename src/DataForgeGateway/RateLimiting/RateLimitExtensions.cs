using DataForgeGateway.Primitives;
using DataForgeGateway.Settings;
using DataForgeGateway.Redis;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace DataForgeGateway.RateLimiting;

/// <summary>Registers per-caller rate limits (shared through Redis when configured) and the cap on requests in flight to DataForge.</summary>
public static class RateLimitExtensions
{
    public static IHostApplicationBuilder AddRateLimits(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddValidatedOptions<RateLimitOptions, RateLimitOptions.Validator>(RateLimitOptions.SectionName);
        services.AddSingleton<LocalRateLimiter>();
        services.AddSingleton<RateLimitPolicies>();
        services.AddSingleton<RedisBreaker>();
        services.AddFeatureMetrics<RateLimitMetrics>(RateLimitMetrics.MeterName);
        services.AddRedisMetrics();
        if (builder.IsRedisConfigured())
        {
            builder.AddSharedRedis();
            services.AddSingleton<RedisRateLimiter>();
            services.AddSingleton(provider => ActivatorUtilities.CreateInstance<RateLimitService>(provider, provider.GetRequiredService<RedisRateLimiter>()));
        }
        else
        {
            services.AddSingleton<RateLimitService>();
        }

        services.AddSingleton<UpstreamConcurrencyLimits>();
        services.AddHealthChecks().AddCheck<RateLimitHealthCheck>("rate-limits", HealthStatus.Degraded, ["ready"]);
        return builder;
    }

    /// <summary>The caller's limits: 429 with <c>Retry-After</c> when over, <c>RateLimit</c> headers when not.</summary>
    public static IReverseProxyApplicationBuilder UseRateLimits(this IReverseProxyApplicationBuilder proxy)
    {
        proxy.UseMiddleware<RateLimitMiddleware>();
        return proxy;
    }

    /// <summary>At most so many requests in flight to each environment, with a bounded queue; 503 beyond it.</summary>
    public static IReverseProxyApplicationBuilder UseUpstreamConcurrencyCap(this IReverseProxyApplicationBuilder proxy)
    {
        proxy.UseMiddleware<UpstreamConcurrencyMiddleware>();
        return proxy;
    }
}

/// <summary>Degraded while rate limits are enforced without Redis: callers are served, but each replica limits on its own.</summary>
internal sealed class RateLimitHealthCheck(RateLimitService limits) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(limits.InFallback
            ? new HealthCheckResult(context.Registration.FailureStatus, "Redis is unavailable: rate limits are on their configured fallback.")
            : HealthCheckResult.Healthy());
}
