using System.Diagnostics;
using System.Net;
using System.Text.Json;
using DataForgeGateway.Tests.Infrastructure;

namespace DataForgeGateway.Tests.Hosting;

/// <summary>
/// The local deployment of scripts/run-local.sh: Redis, the sandbox and three gateway processes on loopback ports.
/// Requests spread over the instances share one token and one rate limit, and an instance stopped with SIGTERM
/// finishes what it has in flight and leaves its audit records complete.
/// </summary>
[Collection(SerialTests.Name)]
public sealed class LocalDeploymentTests
{
    private const string DemoKey = "dfgw_sandboxdemo_DemoKeyForTheLocalSandboxOnly0003EPo7R";

    [Fact]
    public async Task Three_instances_share_one_token_and_one_rate_limit()
    {
        await using var deployment = await LocalDeployment.StartAsync(3, "--Gateway:RateLimits:Default:Burst=10 --Gateway:RateLimits:Default:PermitsPerSecond=0.001");

        // Distinct projects: identical concurrent reads would share one DataForge call, and each admitted one is to reach it.
        var statuses = await Task.WhenAll(Enumerable.Range(0, 60).Select(async i =>
        {
            using var response = await deployment.Caller(i % 3).GetAsync($"/external/sources?projectId={i + 1}");
            return response.StatusCode;
        }));

        Assert.Equal(10, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(50, statuses.Count(s => s == HttpStatusCode.TooManyRequests));
        var stats = await deployment.SandboxStatsAsync();
        Assert.Equal(1, stats.GetProperty("tokens_issued").GetInt64());
        Assert.Equal(10, stats.GetProperty("api_requests").GetInt64());
    }

    [Fact]
    public async Task An_instance_stopped_with_SIGTERM_under_load_finishes_its_requests_and_its_audit()
    {
        await using var deployment = await LocalDeployment.StartAsync(2, "");
        await deployment.SetApiDelayAsync(TimeSpan.FromSeconds(2));

        // Distinct projects: identical concurrent reads would share one DataForge call, and all twenty are to be in flight.
        var inFlight = Enumerable.Range(0, 20).Select(i => deployment.Caller(0).GetAsync($"/external/sources?projectId={i + 1}")).ToList();
        await Eventually.HoldsAsync(async () => (await deployment.SandboxStatsAsync()).GetProperty("api_requests").GetInt64() == 20, "all twenty are at DataForge");
        var stopped = deployment.Terminate(0);

        var responses = await Task.WhenAll(inFlight);
        Assert.All(responses, response => Assert.Equal(HttpStatusCode.OK, response.StatusCode));
        await stopped.WaitForExitAsync();
        Assert.Contains("Application is shutting down", deployment.Log(0));

        var audit = deployment.AuditRecords(0);
        Assert.Equal(20, audit.Count(r => r.GetProperty("outcome").GetString() == "forwarded"));

        // The other instance goes on serving.
        await deployment.SetApiDelayAsync(null);
        using var after = await deployment.Caller(1).GetAsync("/external/sources?projectId=1");
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    [Fact]
    public async Task A_bad_setting_is_shown_by_the_script_itself_as_the_gateway_exits_and_the_script_fails()
    {
        var (exitCode, _, errors) = await LocalDeployment.RunRefusedAsync("--Gateway:Tokens:RequestTimeout=ten");

        Assert.Equal(78, exitCode);
        Assert.Contains("Configuration error: Gateway:Tokens:RequestTimeout cannot be read as TimeSpan.", errors, StringComparison.Ordinal);
        Assert.DoesNotContain("did not come up", errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_READMEs_Python_example_runs_as_pasted_against_the_local_deployment()
    {
        await using var deployment = await LocalDeployment.StartAsync(1, "");
        var readme = await File.ReadAllTextAsync(Path.Combine(ConfigurationExampleTests.RepositoryRoot(), "README.md"));
        var start = readme.IndexOf("```python\n", StringComparison.Ordinal) + "```python\n".Length;
        var example = Path.Combine(Path.GetTempPath(), $"dfgw-readme-{Guid.NewGuid():N}.py");
        await File.WriteAllTextAsync(example, readme[start..readme.IndexOf("```", start, StringComparison.Ordinal)]);

        // As the script's banner says to run it: only the address differs here (the test's own free port).
        var python = new ProcessStartInfo("python3", [example]) { RedirectStandardOutput = true, RedirectStandardError = true };
        python.Environment["DATAFORGE_GATEWAY_URL"] = deployment.Caller(0).BaseAddress!.ToString().TrimEnd('/');
        using var run = Process.Start(python)!;
        var output = await run.StandardOutput.ReadToEndAsync();
        var errors = await run.StandardError.ReadToEndAsync();
        await run.WaitForExitAsync();
        File.Delete(example);

        Assert.True(run.ExitCode == 0, errors);
        Assert.Contains("demo_customers", output, StringComparison.Ordinal);
        Assert.Contains("DATAFORGE_GATEWAY_URL=", deployment.Banner, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_READMEs_workload_example_runs_as_pasted_with_the_token_line_the_script_prints()
    {
        await using var deployment = await LocalDeployment.StartAsync(1, "");
        var readme = await File.ReadAllTextAsync(Path.Combine(ConfigurationExampleTests.RepositoryRoot(), "README.md"));
        var workload = readme.IndexOf("**A workload caller**", StringComparison.Ordinal);
        var start = readme.IndexOf("```python\n", workload, StringComparison.Ordinal) + "```python\n".Length;
        var example = Path.Combine(Path.GetTempPath(), $"dfgw-readme-workload-{Guid.NewGuid():N}.py");
        await File.WriteAllTextAsync(example, readme[start..readme.IndexOf("```", start, StringComparison.Ordinal)]);
        var mint = Assert.Single(deployment.Banner.Split('\n'), line => line.TrimStart().StartsWith("export DATAFORGE_WORKLOAD_TOKEN=", StringComparison.Ordinal)).Trim();

        // The banner's line as a newcomer pastes it, then the example; only the gateway's address is the test's own.
        var shell = new ProcessStartInfo("bash", ["-c", $"{mint} && python3 {example}"]) { RedirectStandardOutput = true, RedirectStandardError = true };
        shell.Environment["DATAFORGE_GATEWAY_URL"] = deployment.Caller(0).BaseAddress!.ToString().TrimEnd('/');
        using var run = Process.Start(shell)!;
        var output = await run.StandardOutput.ReadToEndAsync();
        var errors = await run.StandardError.ReadToEndAsync();
        await run.WaitForExitAsync();
        File.Delete(example);

        Assert.True(run.ExitCode == 0, errors);
        Assert.Contains("demo_customers", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_second_copy_on_the_same_ports_refuses_to_start_naming_the_port()
    {
        await using var deployment = await LocalDeployment.StartAsync(instances: 1, gatewayArgs: "");

        var (exitCode, banner, errors) = await deployment.RunAgainAsync();

        Assert.Equal(1, exitCode);
        Assert.Contains("is already in use", errors);
        Assert.DoesNotContain("is running", banner);
        Assert.Contains("gateway 0: proxy http://127.0.0.1:", deployment.Banner);
    }

    /// <summary>scripts/run-local.sh, run on free ports with what the test build already built.</summary>
    private sealed class LocalDeployment : IAsyncDisposable
    {
        private readonly Process _script;
        private readonly int _gatewayPort;
        private readonly int _sandboxPort;
        private readonly string _logs;
        private readonly List<HttpClient> _callers = [];

        private LocalDeployment(Process script, int gatewayPort, int sandboxPort, string logs, ProcessStartInfo start)
        {
            _script = script;
            _gatewayPort = gatewayPort;
            _sandboxPort = sandboxPort;
            _logs = logs;
            Start = start;
        }

        /// <summary>What the script printed up to "Press Ctrl+C".</summary>
        public string Banner { get; private set; } = "";

        private ProcessStartInfo Start { get; }

        /// <summary>The same script with the same ports and settings, while this one runs.</summary>
        public async Task<(int ExitCode, string Output, string Errors)> RunAgainAsync()
        {
            using var again = Process.Start(Start)!;
            var output = again.StandardOutput.ReadToEndAsync();
            var errors = again.StandardError.ReadToEndAsync();
            await again.WaitForExitAsync();
            return (again.ExitCode, await output, await errors);
        }

        /// <summary>The script with a gateway setting it refuses: what it prints, and how it ends, once it has.</summary>
        public static async Task<(int ExitCode, string Output, string Errors)> RunRefusedAsync(string gatewayArgs)
        {
            var (start, _, _, _) = StartInfo(1, gatewayArgs);
            using var script = Process.Start(start)!;
            var output = script.StandardOutput.ReadToEndAsync();
            var errors = script.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            await script.WaitForExitAsync(timeout.Token);
            return (script.ExitCode, await output, await errors);
        }

        public static async Task<LocalDeployment> StartAsync(int instances, string gatewayArgs)
        {
            var (start, gatewayPort, sandboxPort, logs) = StartInfo(instances, gatewayArgs);
            return await WaitForBannerAsync(Process.Start(start)!, gatewayPort, sandboxPort, logs, start);
        }

        private static (ProcessStartInfo Start, int GatewayPort, int SandboxPort, string Logs) StartInfo(int instances, string gatewayArgs)
        {
            var root = ConfigurationExampleTests.RepositoryRoot();
            var configuration = typeof(Program).Assembly.Location.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
            var gatewayPort = FreePortRange(instances * 2);
            var sandboxPort = FreePort.Next();
            var logs = Directory.CreateTempSubdirectory("dfgw-local-").FullName;
            var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = root };
            foreach (var argument in new[] { Path.Combine(root, "scripts", "run-local.sh"), "--instances", instances.ToString(System.Globalization.CultureInfo.InvariantCulture), "--redis", "--no-build" })
            {
                start.ArgumentList.Add(argument);
            }

            start.Environment["CONFIGURATION"] = configuration;
            start.Environment["GATEWAY_PORT"] = gatewayPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
            start.Environment["SANDBOX_PORT"] = sandboxPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
            start.Environment["REDIS_PORT"] = FreePort.Next().ToString(System.Globalization.CultureInfo.InvariantCulture);
            start.Environment["LOG_DIR"] = logs;
            start.Environment["GATEWAY_ARGS"] = gatewayArgs;
            return (start, gatewayPort, sandboxPort, logs);
        }

        private static async Task<LocalDeployment> WaitForBannerAsync(Process script, int gatewayPort, int sandboxPort, string logs, ProcessStartInfo start)
        {
            var deployment = new LocalDeployment(script, gatewayPort, sandboxPort, logs, start);
            var banner = new System.Text.StringBuilder();
            while (await script.StandardOutput.ReadLineAsync() is { } line)
            {
                banner.AppendLine(line);
                if (line.StartsWith("Press Ctrl+C", StringComparison.Ordinal))
                {
                    deployment.Banner = banner.ToString();
                    return deployment;
                }
            }

            throw new Xunit.Sdk.XunitException($"run-local.sh ended before the deployment was up: {await script.StandardError.ReadToEndAsync()}");
        }

        public HttpClient Caller(int instance)
        {
            lock (_callers)
            {
                while (_callers.Count <= instance)
                {
                    var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_gatewayPort + (2 * _callers.Count)}") };
                    client.DefaultRequestHeaders.Add("X-Api-Key", DemoKey);
                    _callers.Add(client);
                }

                return _callers[instance];
            }
        }

        public async Task<JsonElement> SandboxStatsAsync()
        {
            using var client = new HttpClient();
            return JsonDocument.Parse(await client.GetStringAsync(new Uri($"http://127.0.0.1:{_sandboxPort}/_sandbox/stats"))).RootElement.Clone();
        }

        public async Task SetApiDelayAsync(TimeSpan? delay)
        {
            using var client = new HttpClient();
            var query = delay is { } d ? $"?apiDelayMs={(int)d.TotalMilliseconds}" : "";
            using var response = await client.PutAsync(new Uri($"http://127.0.0.1:{_sandboxPort}/_sandbox/switches{query}"), null);
            response.EnsureSuccessStatusCode();
        }

        /// <summary>Sends SIGTERM to one gateway process, as Kubernetes does when it stops a pod.</summary>
        public Process Terminate(int instance)
        {
            var pid = int.Parse(File.ReadAllText(Path.Combine(_logs, $"gateway-{instance}.pid")).Trim(), System.Globalization.CultureInfo.InvariantCulture);
            var process = Process.GetProcessById(pid);
            using var kill = Process.Start("kill", ["-TERM", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
            kill.WaitForExit();
            return process;
        }

        public string Log(int instance) => File.ReadAllText(Path.Combine(_logs, $"gateway-{instance}.log"));

        /// <summary>The audit records one instance wrote to its console log.</summary>
        public List<JsonElement> AuditRecords(int instance) =>
            File.ReadAllLines(Path.Combine(_logs, $"gateway-{instance}.log"))
                .Select(line => line.Trim())
                .Where(line => line.StartsWith("{\"time\"", StringComparison.Ordinal))
                .Select(line => JsonDocument.Parse(line).RootElement.Clone())
                .ToList();

        public async ValueTask DisposeAsync()
        {
            _callers.ForEach(c => c.Dispose());
            using (var kill = Process.Start("kill", ["-TERM", _script.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!)
            {
                await kill.WaitForExitAsync();
            }

            await _script.WaitForExitAsync();
            _script.Dispose();
            Directory.Delete(_logs, recursive: true);
        }

        private static int FreePortRange(int count)
        {
            for (var attempt = 0; attempt < 50; attempt++)
            {
                var first = FreePort.Next();
                if (first + count < FreePort.EphemeralStart && Enumerable.Range(first, count).All(FreePort.IsFree))
                {
                    return first;
                }
            }

            throw new InvalidOperationException("no free range of ports");
        }
    }
}
