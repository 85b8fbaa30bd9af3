using DataForgeGateway.Primitives;
using OpenTelemetry.Trace;
using DataForgeGateway.Redis;
using DataForgeGateway.Settings;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Yarp.ReverseProxy.Transforms.Builder;

namespace DataForgeGateway.Tokens;

/// <summary>Registers the Auth0 token path: fetch, cache in-process and in Redis, refresh, inject, replay on 401.</summary>
public static class TokenExtensions
{
    internal const string HttpClientName = "auth0";

    public static IHostApplicationBuilder AddAuth0Tokens(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddValidatedOptions<TokenOptions, TokenOptions.Validator>(TokenOptions.SectionName);
        services.TryAddSingleton(TimeProvider.System);
        services.AddHttpClient(HttpClientName, (provider, client) =>
        {
            client.Timeout = provider.GetRequiredService<LiveOptions<TokenOptions>>().Current.RequestTimeout;
            client.MaxResponseContentBufferSize = 1024 * 1024;
        })
            // A token fetched during a request carries that request's trace to Auth0, not its caller's baggage.
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { ActivityHeadersPropagator = Primitives.TraceContextOnlyPropagator.Instance });
        services.AddSingleton<Auth0TokenClient>();
        services.AddFeatureMetrics<TokenMetrics>(TokenMetrics.MeterName);
        services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddSource(TokenMetrics.MeterName));

        if (builder.IsRedisConfigured())
        {
            builder.AddSharedRedis();
            services.AddSingleton<RedisTokenCache>();
            services.AddSingleton<ITokenStore, RedisTokenStore>();
        }
        else
        {
            services.AddSingleton<ITokenStore, LocalTokenStore>();
        }

        services.AddSingleton(new TokenJitter());
        services.AddStorageKeys();

        services.AddSingleton<AccessTokenProvider>();
        services.AddHostedService<TokenRefreshService>();
        services.AddSingleton<ITransformProvider, BearerTokenTransformProvider>();
        return builder;
    }

    /// <summary>DataForge answered 401: renew the token (once for a burst) and replay the request once.</summary>
    public static IReverseProxyApplicationBuilder UseTokenReplay(this IReverseProxyApplicationBuilder proxy)
    {
        proxy.UseMiddleware<TokenReplayMiddleware>();
        return proxy;
    }
}
