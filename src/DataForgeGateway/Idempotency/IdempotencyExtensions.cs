using DataForgeGateway.Answers;
using DataForgeGateway.Primitives;
using DataForgeGateway.Redis;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace DataForgeGateway.Idempotency;

/// <summary>Registers <c>Idempotency-Key</c> handling for source-pull: in Redis when configured, else per replica.</summary>
public static class IdempotencyExtensions
{
    public static IHostApplicationBuilder AddIdempotency(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddValidatedOptions<IdempotencyOptions, IdempotencyOptions.Validator>(IdempotencyOptions.SectionName);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<InProcessIdempotencyStore>();
        services.AddAnswerProtection();
        services.AddFeatureMetrics<IdempotencyMetrics>(IdempotencyMetrics.MeterName);
        if (builder.IsRedisConfigured())
        {
            builder.AddSharedRedis();
            services.AddSingleton<IIdempotencyStore, RedisIdempotencyStore>();
        }
        else
        {
            services.AddSingleton<IIdempotencyStore>(provider => provider.GetRequiredService<InProcessIdempotencyStore>());
        }

        return builder;
    }

    /// <summary>A retried source-pull with the same <c>Idempotency-Key</c> gets the first answer again, DataForge not called twice.</summary>
    public static IReverseProxyApplicationBuilder UseIdempotencyKeys(this IReverseProxyApplicationBuilder proxy)
    {
        proxy.UseMiddleware<IdempotencyMiddleware>();
        return proxy;
    }
}
