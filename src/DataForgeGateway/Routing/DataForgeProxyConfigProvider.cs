using DataForgeGateway.Api;
using DataForgeGateway.Primitives;
using DataForgeGateway.Settings;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Transforms;

namespace DataForgeGateway.Routing;

/// <summary>
/// Turns <see cref="GatewayOptions"/> into YARP routes and clusters: the four DataForge operations, each with its
/// exact method and path template, under <c>/{environment}/external/...</c> for every environment and under
/// <c>/external/...</c> for the default one; one cluster per environment. Nothing else is routed. A valid
/// configuration change (a new environment, a moved BaseUrl) takes effect without a restart.
/// </summary>
internal sealed class DataForgeProxyConfigProvider : IProxyConfigProvider, IDisposable
{
    private readonly LiveOptions<GatewayOptions> _options;

    // YARP's own provider holds the routes and signals each change; this class only builds what it holds.
    private readonly Lazy<InMemoryConfigProvider> _routes;

    public DataForgeProxyConfigProvider(LiveOptions<GatewayOptions> options)
    {
        _options = options;
        _routes = new(() =>
        {
            var (routes, clusters) = TryBuild();
            return new InMemoryConfigProvider(routes, clusters);
        });
        _options.Changed += Update;
    }

    public IProxyConfig GetConfig() => _routes.Value.GetConfig();

    public void Dispose() => _options.Changed -= Update;

    internal static (IReadOnlyList<RouteConfig> Routes, IReadOnlyList<ClusterConfig> Clusters) Build(GatewayOptions options)
    {
        var routes = new List<RouteConfig>();
        var clusters = new List<ClusterConfig>();
        foreach (var (environment, settings) in options.Environments)
        {
            // One cluster per upstream timeout the environment's operations use: YARP's activity timeout is a
            // cluster setting. Usually that is one cluster; an operation with a timeout of its own gets another.
            var clusterIds = new Dictionary<TimeSpan, string>();
            string ClusterFor(DataForgeOperation operation)
            {
                var timeout = settings.UpstreamTimeoutOf(operation.Name);
                if (!clusterIds.TryGetValue(timeout, out var clusterId))
                {
                    clusterId = timeout == settings.UpstreamTimeout ? $"dataforge-{environment}" : $"dataforge-{environment}-{operation.Name}";
                    clusterIds[timeout] = clusterId;
                    clusters.Add(new ClusterConfig
                    {
                        ClusterId = clusterId,
                        Destinations = new Dictionary<string, DestinationConfig> { [environment] = new() { Address = settings.BaseUrl } },
                        HttpRequest = new Yarp.ReverseProxy.Forwarder.ForwarderRequestConfig { ActivityTimeout = timeout },
                    });
                }

                return clusterId;
            }

            var isDefault = string.Equals(environment, options.DefaultEnvironment, StringComparison.OrdinalIgnoreCase);
            foreach (var operation in DataForgeOperation.All)
            {
                var clusterId = ClusterFor(operation);
                routes.Add(Route(environment, operation, clusterId, $"/{environment}"));
                if (isDefault)
                {
                    routes.Add(Route(environment, operation, clusterId, prefix: ""));
                }
            }
        }

        return (routes, clusters);
    }

    private static RouteConfig Route(string environment, DataForgeOperation operation, string clusterId, string prefix)
    {
        var route = new RouteConfig
        {
            RouteId = $"{(prefix.Length == 0 ? "default" : environment)}/{operation.Name}",
            ClusterId = clusterId,
            Match = new RouteMatch { Path = prefix + operation.PathTemplate, Methods = [operation.Method] },
            Metadata = new DataForgeRoute(environment, operation).ToMetadata(),
        };
        return prefix.Length == 0 ? route : route.WithTransformPathRemovePrefix(prefix);
    }

    private (IReadOnlyList<RouteConfig> Routes, IReadOnlyList<ClusterConfig> Clusters) TryBuild()
    {
        // YARP may ask before start-up validation has run. Invalid options give no routes here, and the validator
        // then stops start-up with its one line naming the key, rather than YARP with a stack trace.
        try
        {
            return Build(_options.Current);
        }
        catch (Microsoft.Extensions.Options.OptionsValidationException)
        {
            return ([], []);
        }
    }

    private void Update(GatewayOptions options)
    {
        var (routes, clusters) = Build(options);
        _routes.Value.Update(routes, clusters);
    }
}
