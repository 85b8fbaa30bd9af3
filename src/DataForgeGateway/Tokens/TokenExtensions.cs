using DataForgeGateway.Redis;
using Microsoft.Extensions.Caching.StackExchangeRedis;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Transforms.Builder;

namespace DataForgeGateway.Tokens;

/// <summary>Registers the Auth0 token path: fetch, cache in-process and in Redis, inject into forwarded requests.</summary>
public static class TokenExtensions
{
    internal const string HttpClientName = "auth0";

    public static IHostApplicationBuilder AddAuth0Tokens(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<TokenOptions>().BindConfiguration(TokenOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TokenOptions>, TokenOptions.Validator>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddHttpClient(HttpClientName, (provider, client) =>
        {
            client.Timeout = provider.GetRequiredService<IOptionsMonitor<TokenOptions>>().CurrentValue.RequestTimeout;
            client.MaxResponseContentBufferSize = 1024 * 1024;
        });
        services.AddSingleton<Auth0TokenClient>();

        if (builder.IsRedisConfigured())
        {
            builder.AddSharedRedis();
            services.AddStackExchangeRedisCache(_ => { });
            var instanceName = builder.Configuration.GetSection(RedisOptions.SectionName).Get<RedisOptions>()?.InstanceName;
            services.AddOptions<RedisCacheOptions>().Configure<RedisConnection>((cache, connection) =>
            {
                cache.InstanceName = instanceName ?? new RedisOptions().InstanceName;
                cache.ConnectionMultiplexerFactory = connection.GetAsync;
            });
            services.AddSingleton<ISharedTokenStore, DistributedTokenStore>();
        }
        else
        {
            services.AddSingleton<ISharedTokenStore, NoSharedTokenStore>();
        }

        services.AddSingleton<AccessTokenProvider>();
        services.AddSingleton<ITransformProvider, BearerTokenTransformProvider>();
        return builder;
    }
}
