using DataForgeGateway.Answers;
using DataForgeGateway.Primitives;
using DataForgeGateway.Redis;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace DataForgeGateway.SharedReads;

/// <summary>Registers the sharing of identical reads: in-flight per replica; the optional cache through Redis when configured.</summary>
public static class SharedReadExtensions
{
    public static IHostApplicationBuilder AddSharedReads(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddValidatedOptions<SharedReadOptions, SharedReadOptions.Validator>(SharedReadOptions.SectionName);
        services.TryAddSingleton(TimeProvider.System);
        services.AddAnswerProtection();
        services.AddFeatureMetrics<SharedReadMetrics>(SharedReadMetrics.MeterName);
        if (builder.IsRedisConfigured())
        {
            builder.AddSharedRedis();
            services.AddSingleton<ISharedAnswerCache, RedisAnswerCache>();
        }
        else
        {
            services.AddSingleton<ISharedAnswerCache, InProcessAnswerCache>();
        }

        return builder;
    }

    /// <summary>Concurrent identical reads share one DataForge call (and, if configured, a short cache).</summary>
    public static IReverseProxyApplicationBuilder UseSharedReads(this IReverseProxyApplicationBuilder proxy)
    {
        proxy.UseMiddleware<SharedReadMiddleware>();
        return proxy;
    }
}
