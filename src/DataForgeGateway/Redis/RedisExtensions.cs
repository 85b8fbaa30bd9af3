using DataForgeGateway.Primitives;

namespace DataForgeGateway.Redis;

/// <summary>Registers the shared Redis connection, when one is configured.</summary>
public static class RedisExtensions
{
    /// <summary>Whether <c>Gateway:Redis:ConnectionString</c> is set: decided once, at start-up.</summary>
    public static bool IsRedisConfigured(this IHostApplicationBuilder builder) =>
        !string.IsNullOrWhiteSpace(builder.Configuration[$"{RedisOptions.SectionName}:{nameof(RedisOptions.ConnectionString)}"]);

    public static IHostApplicationBuilder AddSharedRedis(this IHostApplicationBuilder builder)
    {
        if (builder.Services.Any(service => service.ServiceType == typeof(RedisConnection)))
        {
            return builder;
        }

        builder.Services.AddValidatedOptions<RedisOptions, RedisOptions.Validator>(RedisOptions.SectionName);
        builder.Services.AddSingleton<RedisConnection>();
        builder.Services.AddRedisMetrics();
        builder.Services.AddHostedService<RedisWarmup>();
        return builder;
    }

    /// <summary>Redis failures and connection state, counted whether or not Redis is configured (limits report their fallback).</summary>
    public static IServiceCollection AddRedisMetrics(this IServiceCollection services)
    {
        return services.AddFeatureMetrics<RedisMetrics>(RedisMetrics.MeterName);
    }
}
