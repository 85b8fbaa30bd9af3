using DataForgeGateway.Callers;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Yarp.ReverseProxy.Configuration;

namespace DataForgeGateway.Routing;

/// <summary>
/// Turns <see cref="GatewayOptions"/> into YARP routes and clusters: the four DataForge operations, each with its
/// exact method and path template, on one cluster per environment. Nothing else is routed.
/// </summary>
internal sealed class DataForgeProxyConfigProvider(IOptions<GatewayOptions> options) : IProxyConfigProvider
{
    private readonly Lazy<IProxyConfig> _config = new(() => TryBuild(options));

    public IProxyConfig GetConfig() => _config.Value;

    /// <summary>
    /// YARP may ask before start-up validation has run. Invalid options give no routes here, and the validator
    /// then stops start-up with its one line naming the key, rather than YARP with a stack trace.
    /// </summary>
    private static IProxyConfig TryBuild(IOptions<GatewayOptions> options)
    {
        try
        {
            return Build(options.Value);
        }
        catch (OptionsValidationException)
        {
            return new StaticProxyConfig([], []);
        }
    }

    internal static IProxyConfig Build(GatewayOptions options)
    {
        var environment = options.DefaultEnvironment;
        var clusterId = $"dataforge-{environment}";
        var routes = DataForgeOperation.All.Select(operation => new RouteConfig
        {
            RouteId = $"{environment}/{operation.Name}",
            ClusterId = clusterId,
            AuthorizationPolicy = CallerPolicies.DataForgeCaller,
            Match = new RouteMatch { Path = operation.PathTemplate, Methods = [operation.Method] },
            Metadata = new Dictionary<string, string>
            {
                [RouteMetadata.Environment] = environment,
                [RouteMetadata.Operation] = operation.Name,
            },
        }).ToList();

        var clusters = new List<ClusterConfig>
        {
            new()
            {
                ClusterId = clusterId,
                Destinations = new Dictionary<string, DestinationConfig>
                {
                    [environment] = new() { Address = options.Environments[environment].BaseUrl },
                },
            },
        };

        return new StaticProxyConfig(routes, clusters);
    }

    private sealed class StaticProxyConfig(IReadOnlyList<RouteConfig> routes, IReadOnlyList<ClusterConfig> clusters) : IProxyConfig
    {
        public IReadOnlyList<RouteConfig> Routes { get; } = routes;

        public IReadOnlyList<ClusterConfig> Clusters { get; } = clusters;

        public IChangeToken ChangeToken { get; } = new CancellationChangeToken(CancellationToken.None);
    }
}
