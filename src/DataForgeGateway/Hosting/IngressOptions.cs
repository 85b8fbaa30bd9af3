using System.Net;
using Microsoft.Extensions.Options;

namespace DataForgeGateway.Hosting;

/// <summary>The company ingress in front of the gateway: whose <c>X-Forwarded-*</c> headers are believed, and where it mounts the gateway.</summary>
public sealed class IngressOptions
{
    public const string SectionName = "Gateway:Ingress";

    /// <summary>
    /// Networks (CIDR) that hold the ingress and nothing else, for example an ingress node pool's <c>10.42.250.0/28</c>;
    /// every address in them may set <c>X-Forwarded-For</c> and <c>-Proto</c>. At most /24 (IPv4) or /64 (IPv6) wide
    /// unless <see cref="AllowBroadNetworks"/>: a network where callers run (the pod network) lets them forge their address.
    /// </summary>
    public List<string> KnownNetworks { get; set; } = [];

    /// <summary>The ingress controller's own addresses: the way to trust it and nobody else.</summary>
    public List<string> KnownProxies { get; set; } = [];

    /// <summary>Accept <see cref="KnownNetworks"/> wider than /24 (IPv4) or /64 (IPv6): only where nothing but the ingress runs in them.</summary>
    public bool AllowBroadNetworks { get; set; }

    /// <summary>The path the ingress mounts the gateway below (for example <c>/dataforge</c>); empty: the root.</summary>
    public string PathBase { get; set; } = "";

    internal sealed class Validator : IValidateOptions<IngressOptions>
    {
        public ValidateOptionsResult Validate(string? name, IngressOptions options)
        {
            var failures = new List<string>();
            for (var i = 0; i < options.KnownNetworks.Count; i++)
            {
                if (!IPNetwork.TryParse(options.KnownNetworks[i], out var network))
                {
                    failures.Add($"{SectionName}:KnownNetworks:{i} must be a network in CIDR form, such as 10.42.250.0/28.");
                }
                else if (!options.AllowBroadNetworks && network.PrefixLength < (network.BaseAddress.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? 64 : 24))
                {
                    failures.Add($"{SectionName}:KnownNetworks:{i} is a /{network.PrefixLength}: everyone in it, callers included, could forge X-Forwarded-For. List the ingress controller's addresses in {SectionName}:KnownProxies, or a network of /24 (IPv6 /64) or narrower; set {SectionName}:AllowBroadNetworks to true only if nothing but the ingress runs in it.");
                }
            }

            for (var i = 0; i < options.KnownProxies.Count; i++)
            {
                if (!IPAddress.TryParse(options.KnownProxies[i], out _))
                {
                    failures.Add($"{SectionName}:KnownProxies:{i} must be an IP address.");
                }
            }

            if (options.PathBase.Length > 0 && (!options.PathBase.StartsWith('/') || options.PathBase.EndsWith('/') || CanonicalPath(options.PathBase) is not null))
            {
                failures.Add($"{SectionName}:PathBase must start with '/', not end with one, and be a plain path such as /dataforge.");
            }

            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }

        private static string? CanonicalPath(string path) => Routing.CanonicalPathMiddleware.WhyNotCanonical(path);
    }
}
