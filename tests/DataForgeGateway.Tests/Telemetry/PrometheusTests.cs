using System.Text.Json;
using DataForgeGateway.Tests.Hosting;
using DataForgeGateway.Tests.Infrastructure;

namespace DataForgeGateway.Tests.Telemetry;

/// <summary>
/// The shipped alert rules and dashboard against a real Prometheus scraping real replicas: quiet in a healthy run,
/// every dashboard query answering (zeros included), and the right alert pending within a minute of each fault it is
/// for, the faults in sequence, each leaving its state to the next (DataForge failing, a refused configuration change,
/// Redis gone, then Auth0 refusing a replica started into that). promtool's unit tests (<see cref="AlertRuleTests"/>)
/// cover the rules' thresholds and the series that only a cluster has (kube-state-metrics). The replicas are
/// processes of their own, as pods are: gateways hosted in one test process would share observable instruments of
/// the same meter name, and one replica's /metrics would show another's gauges.
/// </summary>
[Collection(SerialTests.Name)]
public sealed class PrometheusTests : IAsyncLifetime
{
    private static readonly string Config = Path.Combine(ConfigurationExampleTests.RepositoryRoot(), "config");
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    private SandboxHost _sandbox = null!;
    private RedisServer _redis = null!;
    private PlainSecretFolder _secrets = null!;
    private readonly List<GatewayProcess> _replicas = [];

    public async Task InitializeAsync()
    {
        _sandbox = await SandboxHost.StartAsync();
        _redis = await RedisServer.StartAsync();
        _secrets = new PlainSecretFolder(GoodSecrets());
    }

    public async Task DisposeAsync()
    {
        foreach (var replica in _replicas)
        {
            await replica.DisposeAsync();
        }

        await _redis.DisposeAsync();
        await _sandbox.DisposeAsync();
        _secrets.Dispose();
    }

    [Fact]
    public async Task The_shipped_rules_stay_quiet_when_healthy_the_dashboard_answers_and_each_fault_raises_its_alert()
    {
        var settings = new Dictionary<string, string>
        {
            ["Gateway:SecretsDirectory"] = _secrets.Path,
            ["Gateway:SecretsPollInterval"] = "00:00:00.200",
            ["Gateway:Redis:OperationTimeout"] = "00:00:00.300",
            ["Gateway:RateLimits:Default:PermitsPerSecond"] = "1000",
            ["Gateway:RateLimits:Default:Burst"] = "1000",
            ["Gateway:Redis:ConnectionString"] = _redis.ConnectionString,
            ["Gateway:Redis:InstanceName"] = $"prometheus-{Guid.NewGuid():N}:",
        };
        string[] fromSecret = ["Gateway:Environments:stage:Auth0:ClientSecret"];
        for (var i = 0; i < 2; i++)
        {
            _replicas.Add(await GatewayProcess.StartAsync(_sandbox, settings, without: fromSecret));
        }

        var callers = _replicas.Select(r => r.CreateCaller()).ToList();
        await using var prometheus = await PrometheusServer.StartAsync(
            new Dictionary<string, int> { ["gateway-0"] = _replicas[0].ManagementPort, ["gateway-1"] = _replicas[1].ManagementPort },
            Path.Combine(Config, "prometheus", "alerts.yaml"));
        using var traffic = new CancellationTokenSource();
        var load = SendUntilAsync(callers, traffic.Token);
        try
        {
            // Healthy: both replicas scraped, every rule evaluated over their series, and no alert pending, look after look.
            await Eventually.HoldsAsync(async () => (await prometheus.QueryAsync("sum(dataforge_gateway_ready)")).SingleOrDefault().Value == 2, "both replicas are scraped and Ready");
            await Eventually.HoldsAsync(async () => (await prometheus.QueryAsync("count(count_over_time(dataforge_gateway_ready[1m]) >= 8)")).SingleOrDefault().Value == 2, "several scrapes of each replica");
            var (rules, unhealthy) = await prometheus.RulesAsync();
            Assert.True(rules >= 10 && unhealthy == 0, $"{rules} rules loaded, {unhealthy} failing to evaluate");
            for (var look = 0; look < 5; look++)
            {
                Assert.Empty((await prometheus.AlertsAsync()).Select(a => $"{a.Name} {a.State}"));
                await Task.Delay(TimeSpan.FromSeconds(1));
            }

            var empty = new List<string>();
            foreach (var query in DashboardQueries())
            {
                if ((await prometheus.QueryAsync(query)).Count == 0)
                {
                    empty.Add(query);
                }
            }

            Assert.True(empty.Count == 0, "dashboard queries without data in a healthy run:\n" + string.Join('\n', empty));

            // DataForge answers 500.
            _sandbox.Switches.ApiStatus = 500;
            await AlertPendsAsync(prometheus, "DataForgeGateway5xxRate");
            _sandbox.Switches.ApiStatus = null;

            // A Secret change that is not valid: refused by both replicas, which serve on.
            _secrets.Update(new Dictionary<string, string>(GoodSecrets()) { ["Gateway__Callers__svc__Keys__0__Sha256"] = "not-a-sha256" });
            await AlertPendsAsync(prometheus, "DataForgeGatewayConfigurationRefused", replicas: 2);
            _secrets.Update(GoodSecrets());

            // Redis goes away and stays away.
            await _redis.StopAsync();
            await AlertPendsAsync(prometheus, "DataForgeGatewayRedisDisconnected", replicas: 2);

            // Then Auth0 refuses the credentials, and a replica starts into that (a rollout): it has no token to serve with.
            _sandbox.Switches.TokenEndpointStatus = 401;
            var late = await GatewayProcess.StartAsync(_sandbox, settings, without: fromSecret);
            _replicas.Add(late);
            await prometheus.AddTargetAsync("gateway-2", late.ManagementPort);
            await AlertPendsAsync(prometheus, "DataForgeGatewayAuth0Failures");
            await AlertPendsAsync(prometheus, "DataForgeGatewayReplicaNotReady");
            Assert.Equal([$"127.0.0.1:{late.ManagementPort}"], (await prometheus.AlertsAsync()).Where(a => a.Name == "DataForgeGatewayReplicaNotReady").Select(a => a.Labels["instance"]));
        }
        finally
        {
            await traffic.CancelAsync();
            await load;
            foreach (var caller in callers)
            {
                caller.Dispose();
            }
        }
    }

    /// <summary>Every query of the shipped dashboard, with its variables set as a user would: this namespace and job, all pods.</summary>
    public static IEnumerable<string> DashboardQueries()
    {
        var dashboard = JsonDocument.Parse(File.ReadAllText(Path.Combine(Config, "grafana", "dataforge-gateway-dashboard.json"))).RootElement;
        return dashboard.GetProperty("panels").EnumerateArray()
            .SelectMany(panel => panel.GetProperty("targets").EnumerateArray())
            .Select(target => target.GetProperty("expr").GetString()!
                .Replace("$namespace", PrometheusServer.Namespace, StringComparison.Ordinal)
                .Replace("$job", PrometheusServer.Job, StringComparison.Ordinal)
                .Replace("$pod", ".*", StringComparison.Ordinal)
                .Replace("$__rate_interval", "30s", StringComparison.Ordinal));
    }

    private static async Task AlertPendsAsync(PrometheusServer prometheus, string alert, int replicas = 1)
    {
        List<(string Name, string State, Dictionary<string, string> Labels)> alerts = [];
        await Eventually.HoldsWithinAsync(Minute, async () => (alerts = await prometheus.AlertsAsync()).Count(a => a.Name == alert) >= replicas, () => $"{alert} pending or firing for {replicas} series (active: {string.Join(", ", alerts.Select(a => $"{a.Name} {a.State}"))})");
    }

    /// <summary>A caller's everyday traffic, to every replica, until cancelled: reads and, now and then, a pull.</summary>
    private static async Task SendUntilAsync(List<HttpClient> callers, CancellationToken stop)
    {
        for (var i = 0; !stop.IsCancellationRequested; i++)
        {
            try
            {
                var caller = callers[i % callers.Count];
                using var response = i % 5 == 4
                    ? await caller.PostAsync($"/external/source-pull/{(i % 2 == 0 ? 19643 : 19709)}", null, stop)
                    : await caller.GetAsync($"/external/sources?projectId={1 + (i % 3)}", stop);
                await Task.Delay(TimeSpan.FromMilliseconds(50), stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (HttpRequestException)
            {
                // A replica that refuses connections now is the fault under test, not a failure of the load.
            }
        }
    }

    private static Dictionary<string, string> GoodSecrets() => new()
    {
        ["Gateway__Environments__stage__Auth0__ClientSecret"] = SandboxHost.ClientSecret,
        ["Gateway__Callers__svc__Keys__0__Sha256"] = GatewayHost.Sha256("prometheus-test-key-" + nameof(PrometheusTests)),
    };
}
