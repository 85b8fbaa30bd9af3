using Microsoft.Extensions.DependencyInjection.Extensions;
using OpenTelemetry.Metrics;

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

        builder.Services.AddOptions<RedisOptions>().BindConfiguration(RedisOptions.SectionName)
            .Validate(
                options => !options.Enabled || TryParse(options),
                $"{RedisOptions.SectionName}:ConnectionString is not a valid StackExchange.Redis connection string (host:port,password=...) nor a redis:// URI.")
            .Validate(
                options => options.InstanceName.IndexOfAny(['{', '}']) < 0,
                $"{RedisOptions.SectionName}:InstanceName must not contain '{{' or '}}': the gateway's keys carry hash tags of their own (one per caller), which a tag in the prefix would override, putting every key of a Redis Cluster in one slot.")
            .Validate(
                options => options.OperationTimeout > TimeSpan.Zero && options.OperationTimeout <= TimeSpan.FromSeconds(30),
                $"{RedisOptions.SectionName}:OperationTimeout must be more than zero and at most 00:00:30.")
            .ValidateOnStart();
        builder.Services.AddSingleton<RedisConnection>();
        builder.Services.AddRedisMetrics();
        builder.Services.AddHostedService<RedisWarmup>();
        return builder;
    }

    /// <summary>Redis failures and connection state, counted whether or not Redis is configured (limits report their fallback).</summary>
    public static IServiceCollection AddRedisMetrics(this IServiceCollection services)
    {
        services.TryAddSingleton<RedisMetrics>();
        return services.ConfigureOpenTelemetryMeterProvider(metrics => metrics.AddMeter(RedisMetrics.MeterName));
    }

    private static bool TryParse(RedisOptions options)
    {
        try
        {
            return options.Parse().EndPoints.Count > 0;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
