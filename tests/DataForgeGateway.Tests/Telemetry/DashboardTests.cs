using System.Diagnostics.Metrics;
using System.Text.Json;
using System.Text.RegularExpressions;
using DataForgeGateway.Tests.Hosting;
using DataForgeGateway.Tests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace DataForgeGateway.Tests.Telemetry;

/// <summary>What operators import (collector, dashboard, alerts) parses and refers only to metrics the gateway emits.</summary>
public sealed partial class DashboardTests : GatewayTest
{
    private static readonly string Config = Path.Combine(ConfigurationExampleTests.RepositoryRoot(), "config");

    [Fact]
    public async Task Every_metric_the_dashboard_and_the_alerts_use_is_one_the_gateway_emits()
    {
        var emitted = await EmittedPrometheusNamesAsync();
        var dashboard = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(Config, "grafana", "dataforge-gateway-dashboard.json"))).RootElement;
        var dashboardExpressions = dashboard.GetProperty("panels").EnumerateArray()
            .SelectMany(panel => panel.GetProperty("targets").EnumerateArray())
            .Select(target => target.GetProperty("expr").GetString()!)
            .ToList();
        var alertExpressions = Rules()
            .Select(rule => ((YamlScalarNode)rule["expr"]).Value!)
            .ToList();

        var referenced = dashboardExpressions.Concat(alertExpressions).SelectMany(e => MetricName().Matches(e).Select(m => m.Value)).ToHashSet();

        Assert.True(dashboardExpressions.Count >= 10 && alertExpressions.Count >= 4, "the dashboard and the alerts have their panels and rules");
        Assert.All(referenced, name => Assert.True(emitted.Contains(name), $"{name} is not a metric the gateway emits (it emits: {string.Join(", ", emitted.Order())})"));
        foreach (var needed in new[] { "dataforge_gateway_requests_total", "dataforge_gateway_request_duration_seconds_bucket", "dataforge_gateway_token_requests_total", "dataforge_gateway_ratelimit_refusals_total", "dataforge_gateway_ratelimit_fallback_active" })
        {
            Assert.Contains(needed, referenced);
        }
    }

    [Fact]
    public async Task The_metric_table_of_the_operations_guide_is_what_metrics_serves_names_tags_and_when_series_appear()
    {
        var documented = DocumentedMetrics();
        var instruments = await EmittedPrometheusNamesAsync();

        // What a replica of its own serves after one request (in-process hosts would share observable instruments).
        await using var replica = await GatewayProcess.StartAsync(Sandbox);
        using (var caller = replica.CreateCaller())
        using (var answer = await caller.GetAsync("/external/sources?projectId=1"))
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, answer.StatusCode);
        }

        using var management = new HttpClient { BaseAddress = replica.ManagementAddress };
        var served = Served(await management.GetStringAsync("/metrics"));

        // Every instrument of the gateway is in the table, and nothing else is.
        var families = instruments.Select(name => HistogramPart().Replace(name, "")).ToHashSet(StringComparer.Ordinal);
        Assert.Equal(families.Order(StringComparer.Ordinal), documented.Keys.Order(StringComparer.Ordinal));

        // Every tag served is one the table names; a family said to be there at start is there after one request.
        foreach (var (family, labels) in served.Where(s => s.Key.StartsWith("dataforge_gateway_", StringComparison.Ordinal)))
        {
            Assert.True(documented.TryGetValue(family, out var row), $"{family} is served and not in docs/operations.md");
            Assert.True(labels.IsSubsetOf(row.Tags), $"{family} is served with tags {string.Join(", ", labels)}; the table says {string.Join(", ", row.Tags)}");
        }

        var missing = documented.Where(d => d.Value.Appears == "at start" && !served.ContainsKey(d.Key)).Select(d => d.Key).ToList();
        Assert.True(missing.Count == 0, "said to be there at start, not served: " + string.Join(", ", missing));
        Assert.DoesNotContain("dataforge_gateway_redis_connected", served.Keys); // this gateway has no Redis: not "disconnected"
        Assert.Equal(["caller", "environment", "operation", "outcome", "status_code"], served["dataforge_gateway_requests_total"].Order(StringComparer.Ordinal));
    }

    /// <summary>docs/operations.md's metric table: family, its tags, when its series appear.</summary>
    private static Dictionary<string, (HashSet<string> Tags, string Appears)> DocumentedMetrics()
    {
        var operations = File.ReadAllLines(Path.Combine(ConfigurationExampleTests.RepositoryRoot(), "docs", "operations.md"));
        return operations.Select(line => DocumentedRow().Match(line)).Where(m => m.Success).ToDictionary(
            m => m.Groups["family"].Value,
            m => (Regex.Replace(m.Groups["tags"].Value, @"\([^)]*\)", "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal), m.Groups["appears"].Value.Trim()),
            StringComparer.Ordinal);
    }

    /// <summary>Each family of a Prometheus text exposition with the label names its samples carry (le and otel_scope_* aside).</summary>
    private static Dictionary<string, HashSet<string>> Served(string exposition)
    {
        var served = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (Match sample in ExposedSample().Matches(exposition))
        {
            var family = HistogramPart().Replace(sample.Groups["name"].Value, "");
            var labels = served.TryGetValue(family, out var known) ? known : served[family] = new HashSet<string>(StringComparer.Ordinal);
            labels.UnionWith(Regex.Matches(sample.Groups["labels"].Value, @"(\w+)=""").Select(l => l.Groups[1].Value).Where(l => l != "le" && !l.StartsWith("otel_scope_", StringComparison.Ordinal)));
        }

        return served;
    }

    [GeneratedRegex(@"^\| `(?<family>dataforge_gateway_\w+)`[^|]*\| `[^`]+` \| (?<tags>[^|]*)\| (?<appears>[^|]+) \|$")]
    private static partial Regex DocumentedRow();

    [GeneratedRegex(@"^(?<name>dataforge_gateway_\w+)(\{(?<labels>[^}]*)\})? ", RegexOptions.Multiline)]
    private static partial Regex ExposedSample();

    [GeneratedRegex("_(bucket|sum|count)$")]
    private static partial Regex HistogramPart();

    [Fact]
    public void The_alert_rules_cover_Auth0_failures_expiry_5xx_and_429_surges()
    {
        var alerts = Rules()
            .Select(rule => ((YamlScalarNode)rule["alert"]).Value!).ToList();

        Assert.Contains("DataForgeGatewayAuth0Failures", alerts);
        Assert.Contains("DataForgeGatewayTokenExpiringWithoutRefresh", alerts);
        Assert.Contains("DataForgeGateway5xxRate", alerts);
        Assert.Contains("DataForgeGateway429Surge", alerts);
    }

    [Fact]
    public void The_collector_pipelines_use_only_components_it_defines()
    {
        var collector = Yaml("otel-collector.yaml");
        var defined = new[] { "receivers", "processors", "exporters" }
            .ToDictionary(kind => kind, kind => ((YamlMappingNode)collector[kind]).Children.Keys.Select(k => ((YamlScalarNode)k).Value!).ToHashSet());

        var pipelines = (YamlMappingNode)collector["service"]["pipelines"];
        Assert.Equal(["logs", "metrics", "traces"], pipelines.Children.Keys.Select(k => ((YamlScalarNode)k).Value!).Order());
        foreach (var (_, pipeline) in pipelines.Children)
        {
            foreach (var kind in defined.Keys)
            {
                Assert.All(((YamlSequenceNode)pipeline[kind]).Children, used => Assert.Contains(((YamlScalarNode)used).Value!, defined[kind]));
            }
        }
    }

    private static IEnumerable<YamlNode> Rules() =>
        ((YamlSequenceNode)Yaml("prometheus/alerts.yaml")["groups"]).Children
            .SelectMany(group => ((YamlSequenceNode)group["rules"]).Children);

    private static YamlNode Yaml(string relativePath)
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(Path.Combine(Config, relativePath));
        stream.Load(reader);
        return stream.Documents[0].RootNode;
    }

    /// <summary>The gateway's instruments, named as the collector's Prometheus exporter names them.</summary>
    private async Task<HashSet<string>> EmittedPrometheusNamesAsync()
    {
        using var caller = Gateway.CreateCaller();
        using (await caller.GetAsync("/external/sources?projectId=1"))
        {
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Name.StartsWith("DataForgeGateway", StringComparison.Ordinal))
                {
                    lock (names)
                    {
                        names.UnionWith(PrometheusNames(instrument));
                    }
                }
            },
        };
        listener.Start();
        return names;
    }

    private static IEnumerable<string> PrometheusNames(Instrument instrument)
    {
        var unit = instrument.Unit switch
        {
            "s" => "_seconds",
            "ms" => "_milliseconds",
            "By" => "_bytes",
            _ => "",
        };
        var name = instrument.Name.Replace('.', '_') + unit;
        var type = instrument.GetType().GetGenericTypeDefinition();
        if (type == typeof(Counter<>) || type == typeof(ObservableCounter<>))
        {
            return [name + "_total"];
        }

        return type == typeof(Histogram<>) ? [name + "_bucket", name + "_sum", name + "_count"] : [name];
    }

    [GeneratedRegex("dataforge_gateway_[a-z_]+")]
    private static partial Regex MetricName();
}
