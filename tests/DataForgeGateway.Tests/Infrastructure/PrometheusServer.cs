using System.Diagnostics;
using System.Text.Json;

namespace DataForgeGateway.Tests.Infrastructure;

/// <summary>
/// A real Prometheus server (Debian's <c>prometheus</c> package) on a free loopback port, scraping gateway management
/// ports every second and evaluating the shipped alert rules every second. Each target is labelled as the Prometheus
/// Operator labels a pod (<c>namespace</c>, <c>pod</c>, <c>job</c>), so the dashboard's variables select it. Its
/// storage is a temporary folder, removed on dispose.
/// </summary>
public sealed class PrometheusServer : IAsyncDisposable
{
    public const string Namespace = "dataforge";
    public const string Job = "dataforge-gateway";

    private readonly Process _process;
    private readonly DirectoryInfo _folder;
    private readonly HttpClient _api;
    private readonly Dictionary<string, int> _targets;
    private readonly string _ruleFile;

    private PrometheusServer(Process process, DirectoryInfo folder, int port, Dictionary<string, int> targets, string ruleFile)
    {
        _process = process;
        _folder = folder;
        _targets = targets;
        _ruleFile = ruleFile;
        _api = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
    }

    /// <summary>Starts Prometheus scraping <paramref name="targets"/> (pod name to management port), with <paramref name="ruleFile"/> loaded.</summary>
    public static async Task<PrometheusServer> StartAsync(IReadOnlyDictionary<string, int> targets, string ruleFile)
    {
        var folder = Directory.CreateTempSubdirectory("dfgw-prometheus-");
        var port = FreePort.Next();
        var config = Path.Combine(folder.FullName, "prometheus.yml");
        await File.WriteAllTextAsync(config, Config(targets, ruleFile));
        var start = new ProcessStartInfo("prometheus")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            ArgumentList =
            {
                $"--config.file={config}", $"--storage.tsdb.path={Path.Combine(folder.FullName, "data")}",
                $"--web.listen-address=127.0.0.1:{port}", "--web.enable-lifecycle",
            },
        };
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new Xunit.Sdk.XunitException("prometheus is needed to evaluate the shipped alert rules: apt-get install -y prometheus (.ci/run does).");
        }

        var log = new System.Text.StringBuilder();
        process.ErrorDataReceived += (_, line) => { lock (log) { log.AppendLine(line.Data); } };
        process.OutputDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        var server = new PrometheusServer(process, folder, port, new Dictionary<string, int>(targets), ruleFile);
        await Eventually.HoldsAsync(async () => process.HasExited ? throw new Xunit.Sdk.XunitException($"prometheus exited while starting: {log}") : await server.ReadyAsync(), "Prometheus is ready");
        return server;
    }

    /// <summary>Scrapes one more pod from now on (the configuration rewritten and reloaded, as the Operator does for a new pod).</summary>
    public async Task AddTargetAsync(string pod, int managementPort)
    {
        _targets[pod] = managementPort;
        await File.WriteAllTextAsync(Path.Combine(_folder.FullName, "prometheus.yml"), Config(_targets, _ruleFile));
        using var reloaded = await _api.PostAsync("/-/reload", null);
        reloaded.EnsureSuccessStatusCode();
    }

    private static string Config(IReadOnlyDictionary<string, int> targets, string ruleFile)
    {
        var scrapes = string.Join("\n", targets.Select(t => $$"""
                  - targets: ["127.0.0.1:{{t.Value}}"]
                    labels: { namespace: {{Namespace}}, pod: {{t.Key}} }
            """));
        return $"""
            global:
              scrape_interval: 1s
              scrape_timeout: 900ms
              evaluation_interval: 1s
            rule_files: ["{ruleFile}"]
            scrape_configs:
              - job_name: {Job}
                metrics_path: /metrics
                static_configs:
            {scrapes}

            """;
    }

    /// <summary>The alerts pending or firing now: name and state.</summary>
    public async Task<List<(string Name, string State, Dictionary<string, string> Labels)>> AlertsAsync()
    {
        using var document = JsonDocument.Parse(await _api.GetStringAsync("/api/v1/alerts"));
        return [.. document.RootElement.GetProperty("data").GetProperty("alerts").EnumerateArray().Select(alert => (
            alert.GetProperty("labels").GetProperty("alertname").GetString()!,
            alert.GetProperty("state").GetString()!,
            alert.GetProperty("labels").EnumerateObject().ToDictionary(l => l.Name, l => l.Value.GetString() ?? ""))),];
    }

    /// <summary>An instant query's series, each as its labels and value; an error answer throws with Prometheus's message.</summary>
    public async Task<List<(Dictionary<string, string> Labels, double Value)>> QueryAsync(string expression)
    {
        using var response = await _api.PostAsync("/api/v1/query", new FormUrlEncodedContent([new("query", expression)]));
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        if (document.RootElement.GetProperty("status").GetString() != "success")
        {
            throw new Xunit.Sdk.XunitException($"Prometheus refused {expression}: {document.RootElement.GetProperty("error").GetString()}");
        }

        return [.. document.RootElement.GetProperty("data").GetProperty("result").EnumerateArray().Select(series => (
            series.GetProperty("metric").EnumerateObject().ToDictionary(l => l.Name, l => l.Value.GetString() ?? ""),
            double.Parse(series.GetProperty("value")[1].GetString()!, System.Globalization.CultureInfo.InvariantCulture))),];
    }

    /// <summary>How many rule groups were loaded and evaluated at least once, and how many of their rules are unhealthy.</summary>
    public async Task<(int Rules, int Unhealthy)> RulesAsync()
    {
        using var document = JsonDocument.Parse(await _api.GetStringAsync("/api/v1/rules"));
        var rules = document.RootElement.GetProperty("data").GetProperty("groups").EnumerateArray().SelectMany(g => g.GetProperty("rules").EnumerateArray()).ToList();
        return (rules.Count, rules.Count(r => r.GetProperty("health").GetString() != "ok"));
    }

    public async ValueTask DisposeAsync()
    {
        _api.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        _folder.Delete(recursive: true);
    }

    private async Task<bool> ReadyAsync()
    {
        try
        {
            using var response = await _api.GetAsync("/-/ready");
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }
}
