using DataForgeGateway.Primitives;
using System.Net;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace DataForgeGateway.Hosting;

/// <summary>
/// Believes <c>X-Forwarded-For</c> and <c>X-Forwarded-Proto</c> only from the configured ingress (nobody by
/// default, not even loopback), so the client address that audit and rate limits use is the one the ingress
/// vouches for; strips the ingress's path base; and applies the request size limits.
/// </summary>
public static class IngressExtensions
{
    public static IHostApplicationBuilder AddIngress(this WebApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<IngressOptions, IngressOptions.Validator>(IngressOptions.SectionName);
        builder.Services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<IngressOptions>>((forwarded, ingress) =>
        {
            forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            forwarded.KnownProxies.Clear();
            forwarded.KnownIPNetworks.Clear();
            foreach (var network in ingress.Value.KnownNetworks)
            {
                if (System.Net.IPNetwork.TryParse(network, out var parsed))
                {
                    forwarded.KnownIPNetworks.Add(parsed);
                }
            }

            foreach (var proxy in ingress.Value.KnownProxies)
            {
                if (IPAddress.TryParse(proxy, out var parsed))
                {
                    forwarded.KnownProxies.Add(parsed);
                }
            }
        });
        return builder;
    }

    public static WebApplication UseIngress(this WebApplication app)
    {
        // With no proxy listed, ASP.NET Core would believe everyone: so without an ingress configured the
        // forwarded headers are not read at all.
        var ingress = app.Configuration.GetSection(IngressOptions.SectionName).Get<IngressOptions>() ?? new IngressOptions();
        if (ingress.KnownNetworks.Count > 0 || ingress.KnownProxies.Count > 0)
        {
            app.UseForwardedHeaders();
        }

        var pathBase = app.Configuration[$"{IngressOptions.SectionName}:{nameof(IngressOptions.PathBase)}"];
        if (!string.IsNullOrEmpty(pathBase))
        {
            app.UsePathBase(pathBase);
        }

        return app;
    }
}
