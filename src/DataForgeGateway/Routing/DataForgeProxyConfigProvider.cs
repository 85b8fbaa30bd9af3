using DataForgeGateway.Callers;
using DataForgeGateway.Hosting;
using Microsoft.Extensions.Primitives;
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
    private readonly Lock _gate = new();
    private CancellationTokenSource _changed = new();
    private volatile ProxyConfig? _config;

    public DataForgeProxyConfigProvider(LiveOptions<GatewayOptions> options)
    {
        _options = options;
        _options.Changed += Update;
    }

    public IProxyConfig GetConfig()
    {
        if (_config is { } config)
        {
            return config;
        }

        // Under the lock Update takes: a first build must not overwrite a newer one, nor pair with a stale token.
        lock (_gate)
        {
            return _config ??= TryBuild(_changed.Token);
        }
    }

    public void Dispose()
    {
        _options.Changed -= Update;
        _changed.Dispose();
    }

    internal static ProxyConfig Build(GatewayOptions options, CancellationToken changed)
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

        return new ProxyConfig(routes, clusters, new CancellationChangeToken(changed));
    }

    private static RouteConfig Route(string environment, DataForgeOperation operation, string clusterId, string prefix)
    {
        var route = new RouteConfig
        {
            RouteId = $"{(prefix.Length == 0 ? "default" : environment)}/{operation.Name}",
            ClusterId = clusterId,
            Match = new RouteMatch { Path = prefix + operation.PathTemplate, Methods = [operation.Method] },
            Metadata = new Dictionary<string, string>
            {
                [RouteMetadata.Environment] = environment,
                [RouteMetadata.Operation] = operation.Name,
            },
        };
        return prefix.Length == 0 ? route : route.WithTransformPathRemovePrefix(prefix);
    }

    private ProxyConfig TryBuild(CancellationToken changed)
    {
        // YARP may ask before start-up validation has run. Invalid options give no routes here, and the validator
        // then stops start-up with its one line naming the key, rather than YARP with a stack trace.
        try
        {
            return Build(_options.Current, changed);
        }
        catch (Microsoft.Extensions.Options.OptionsValidationException)
        {
            return new ProxyConfig([], [], new CancellationChangeToken(changed));
        }
    }

    private void Update(GatewayOptions options)
    {
        CancellationTokenSource previous;
        lock (_gate)
        {
            previous = _changed;
            _changed = new CancellationTokenSource();
            _config = Build(options, _changed.Token);
        }

        previous.Cancel();
        previous.Dispose();
    }

    internal sealed record ProxyConfig(IReadOnlyList<RouteConfig> Routes, IReadOnlyList<ClusterConfig> Clusters, IChangeToken ChangeToken) : IProxyConfig;
}
