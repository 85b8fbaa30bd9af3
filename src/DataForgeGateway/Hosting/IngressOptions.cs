using System.Net;
using Microsoft.Extensions.Options;

namespace DataForgeGateway.Hosting;

/// <summary>The company ingress in front of the gateway: whose <c>X-Forwarded-*</c> headers are believed, and where it mounts the gateway.</summary>
public sealed class IngressOptions
{
    public const string SectionName = "Gateway:Ingress";

    /// <summary>Networks (CIDR, for example <c>10.42.0.0/16</c>) of the ingress; only they may set <c>X-Forwarded-For</c> and <c>-Proto</c>.</summary>
    public List<string> KnownNetworks { get; set; } = [];

    /// <summary>Single addresses of the ingress, besides <see cref="KnownNetworks"/>.</summary>
    public List<string> KnownProxies { get; set; } = [];

    /// <summary>The path the ingress mounts the gateway below (for example <c>/dataforge</c>); empty: the root.</summary>
    public string PathBase { get; set; } = "";

    internal sealed class Validator : IValidateOptions<IngressOptions>
    {
        public ValidateOptionsResult Validate(string? name, IngressOptions options)
        {
            var failures = new List<string>();
            for (var i = 0; i < options.KnownNetworks.Count; i++)
            {
                if (!IPNetwork.TryParse(options.KnownNetworks[i], out _))
                {
                    failures.Add($"{SectionName}:KnownNetworks:{i} must be a network in CIDR form, such as 10.42.0.0/16.");
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
