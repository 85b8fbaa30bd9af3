using DataForgeGateway.Primitives;
using DataForgeGateway.Api;
using DataForgeGateway.Settings;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Yarp.ReverseProxy.Configuration;

namespace DataForgeGateway.Routing;

/// <summary>Registers and maps the YARP proxy for the four DataForge operations.</summary>
public static class RoutingExtensions
{
    public static IHostApplicationBuilder AddDataForgeRoutes(this IHostApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<GatewayOptions, GatewayOptions.Validator>(GatewayOptions.SectionName);
        builder.Services.AddValidatedOptions<RequestOptions, RequestOptions.Validator>(RequestOptions.SectionName);
        builder.Services.AddSingleton<IProxyConfigProvider, DataForgeProxyConfigProvider>();
        builder.Services.AddReverseProxy().AddTransforms<RequestHygieneTransformProvider>();

        // YARP registers ASP.NET Core authorization for routes that name a policy, and WebApplication then puts
        // an authorization step in front of every request. No route here names one (callers and permissions are
        // checked by CallerPermissionMiddleware), so that step would only cost time: without a handler provider
        // it is not added. Should a route ever name a policy, ASP.NET Core refuses to run it (500) rather than let
        // it through unchecked.
        builder.Services.RemoveAll<Microsoft.AspNetCore.Authorization.IAuthorizationHandlerProvider>();
        return builder;
    }

    /// <summary>Checks parameters, body and the caller's project and source permissions before forwarding.</summary>
    public static IReverseProxyApplicationBuilder UseRequestValidation(this IReverseProxyApplicationBuilder proxy)
    {
        proxy.UseMiddleware<RequestValidationMiddleware>();
        return proxy;
    }

    /// <summary>
    /// Forwards the four operations through <paramref name="proxy"/>'s steps; every other path or method is left
    /// to the 404/405 problem responses.
    /// </summary>
    public static IEndpointRouteBuilder MapDataForgeRoutes(this IEndpointRouteBuilder app, Action<IReverseProxyApplicationBuilder> proxy)
    {
        app.MapReverseProxy(pipeline =>
        {
            proxy(pipeline);
            pipeline.UseLoadBalancing();
        })
        .ConfigureEndpoints(static (endpoint, route) =>
        {
            // Parsed once per route: every stage reads the typed route from the endpoint's metadata.
            if (DataForgeRoute.FromMetadata(route.Metadata) is { } dataForge)
            {
                endpoint.WithMetadata(dataForge);
            }
        });
        return app;
    }
}
