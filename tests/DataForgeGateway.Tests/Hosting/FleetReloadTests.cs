using System.Net;
using System.Text.Json;
using DataForgeGateway.Tests.Infrastructure;

namespace DataForgeGateway.Tests.Hosting;

/// <summary>
/// Replicas that mount one Secret get every change to it at once. A bad one is refused by each of them, which keep
/// serving on the last good configuration, stay alive and Ready, and take the next good change as usual.
/// </summary>
public sealed class FleetReloadTests : IAsyncLifetime
{
    private const string Caller = "fleet-svc";
    private static readonly string OldKey = "fleet-old-key-" + Guid.NewGuid().ToString("N");
    private static readonly string NewKey = "fleet-new-key-" + Guid.NewGuid().ToString("N");
    private SandboxHost _sandbox = null!;

    public async Task InitializeAsync() => _sandbox = await SandboxHost.StartAsync();

    public async Task DisposeAsync() => await _sandbox.DisposeAsync();

    /// <summary>Bad changes in sequence, each on top of the one before (nobody fixed the last): what the Secret holds, and a word of the refusal it must get.</summary>
    private static IEnumerable<(string Fault, Action<Dictionary<string, string>> Change, string Refusal)> Faults =>
    [
        ("a malformed key hash", files => files[$"Gateway__Callers__{Caller}__Keys__0__Sha256"] = "not-64-hex-digits", $"Gateway:Callers:{Caller}:Keys:0:Sha256 must be"),
        ("the client secret removed", files => files.Remove("Gateway__Environments__stage__Auth0__ClientSecret"), "Gateway:Environments:stage:Auth0:ClientSecret is required"),
        ("an invalid BaseUrl", files => files["Gateway__Environments__stage__BaseUrl"] = "not a url", "Gateway:Environments:stage:BaseUrl is required and must be"),
        ("a typo'd key", files => files["Gateway__Environments__stage__Auth0__ClientSecrt"] = SandboxHost.ClientSecret, "Gateway:Environments:stage:Auth0:ClientSecrt is not a setting the gateway knows: did you mean Gateway:Environments:stage:Auth0:ClientSecret?"),
    ];

    [Theory]
    [InlineData("kubelet symlink swaps")]
    [InlineData("files written in place")]
    public async Task Bad_changes_to_a_shared_Secret_are_refused_by_every_replica_which_stay_up_and_fail_no_request(string how)
    {
        var files = Files(OldKey);
        using ISecretFolder secret = how.StartsWith("kubelet", StringComparison.Ordinal) ? new KubernetesSecretVolume(files) : new PlainSecretFolder(files);
        var replicas = new List<GatewayProcess>();
        try
        {
            for (var i = 0; i < 2; i++)
            {
                replicas.Add(await GatewayProcess.StartAsync(
                    _sandbox,
                    new Dictionary<string, string>
                    {
                        ["Gateway:SecretsDirectory"] = secret.Path,
                        ["Gateway:SecretsPollInterval"] = "00:00:00.200",
                        ["Gateway:RateLimits:Default:PermitsPerSecond"] = "100000",
                        ["Gateway:RateLimits:Default:Burst"] = "100000",
                    },
                    without: ["Gateway:Environments:stage:Auth0:ClientSecret", "Gateway:Environments:stage:BaseUrl", $"Gateway:Callers:{GatewayHost.CallerName}:Keys:0:Sha256"]));
            }

            foreach (var replica in replicas)
            {
                await Eventually.HoldsAsync(async () => (await ReadinessAsync(replica)).Status == HttpStatusCode.OK, "every replica is Ready");
            }

            using var load = new Load(replicas, OldKey);
            foreach (var (fault, change, refusal) in Faults)
            {
                change(files);
                secret.Update(files);
                foreach (var replica in replicas)
                {
                    await Eventually.HoldsAsync(async () => (await ReadinessAsync(replica)).Failures.Any(f => f.Contains(refusal, StringComparison.Ordinal)), $"{fault} is refused and shown in readiness");
                }

                // Several looks later, not one request after the log line: a replica that was going to exit has.
                foreach (var replica in replicas)
                {
                    var looks = (await ReadinessAsync(replica)).Looks;
                    await Eventually.HoldsAsync(async () => (await ReadinessAsync(replica)).Looks >= looks + 5, "five more looks at the Secret");
                    Assert.False(replica.HasExited, $"a replica exited after {fault}: {replica.Output}");
                    Assert.Equal(HttpStatusCode.OK, (await ReadinessAsync(replica)).Status);
                }
            }

            var (sent, failed) = await load.StopAsync();
            Assert.True(sent > 0, "the load reached the replicas");
            Assert.True(failed.Count == 0, $"{failed.Count} of {sent} requests failed across the bad changes: {string.Join(", ", failed.Distinct())}");
            foreach (var replica in replicas)
            {
                Assert.Equal(Faults.Count(), Lines(replica, "Configuration change refused"));
                await Eventually.HoldsAsync(async () => Value(await MetricsAsync(replica), "dataforge_gateway_configuration_refused") == 1, "the refusal gauge is 1");
                Assert.DoesNotContain(SandboxHost.ClientSecret, replica.Output, StringComparison.Ordinal);
            }

            // The fix: a valid Secret with a rotated key. Every replica applies it as usual.
            secret.Update(Files(NewKey));
            foreach (var replica in replicas)
            {
                await Eventually.HoldsAsync(async () => await StatusAsync(replica, NewKey) == HttpStatusCode.OK, "the new key works");
                Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(replica, OldKey));
                var readiness = await ReadinessAsync(replica);
                Assert.Equal(HttpStatusCode.OK, readiness.Status);
                Assert.Empty(readiness.Failures);
                await Eventually.HoldsAsync(async () => Value(await MetricsAsync(replica), "dataforge_gateway_configuration_refused") == 0, "the refusal gauge is back at 0");
                Assert.Equal(Faults.Count(), Value(await MetricsAsync(replica), "dataforge_gateway_configuration_reloads_total", "outcome=\"refused\""));
                Assert.False(replica.HasExited);
            }
        }
        finally
        {
            foreach (var replica in replicas)
            {
                await replica.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task An_appsettings_file_that_no_longer_parses_is_refused_and_the_fixed_one_is_applied_without_a_restart()
    {
        var root = Directory.CreateTempSubdirectory("dfgw-content-root-");
        var appsettings = Path.Combine(root.FullName, "appsettings.json");
        await File.WriteAllTextAsync(appsettings, """{ "Gateway": { "SecretsPollInterval": "00:00:00.200" } }""");
        try
        {
            await using var replica = await GatewayProcess.StartAsync(_sandbox, new Dictionary<string, string> { ["contentRoot"] = root.FullName });
            Assert.Equal(HttpStatusCode.OK, await StatusAsync(replica, GatewayHost.CallerKey));

            await File.WriteAllTextAsync(appsettings, """{ "Gateway": { "SecretsPollInterval": "00:00:00.200", """);
            await Eventually.HoldsAsync(async () => (await ReadinessAsync(replica)).Failures.Any(f => f.Contains("appsettings.json", StringComparison.Ordinal)), "the broken file is refused");
            var looks = (await ReadinessAsync(replica)).Looks;
            await Eventually.HoldsAsync(async () => (await ReadinessAsync(replica)).Looks >= looks + 5, "five more looks");
            Assert.False(replica.HasExited, replica.Output);
            Assert.Equal(HttpStatusCode.OK, await StatusAsync(replica, GatewayHost.CallerKey));

            await File.WriteAllTextAsync(appsettings, $$"""{ "Gateway": { "SecretsPollInterval": "00:00:00.200", "Callers": { "json-svc": { "Keys": [ { "Sha256": "{{GatewayHost.Sha256(NewKey)}}" } ] } } } }""");
            await Eventually.HoldsAsync(async () => await StatusAsync(replica, NewKey) == HttpStatusCode.OK, "the fixed file is applied: its new caller's key works");
            Assert.Empty((await ReadinessAsync(replica)).Failures);
            Assert.Equal(HttpStatusCode.OK, await StatusAsync(replica, GatewayHost.CallerKey));
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    private Dictionary<string, string> Files(string key) => new()
    {
        ["Gateway__Environments__stage__Auth0__ClientSecret"] = SandboxHost.ClientSecret,
        ["Gateway__Callers__" + Caller + "__Keys__0__Sha256"] = GatewayHost.Sha256(key),
        ["Gateway__Environments__stage__BaseUrl"] = _sandbox.BaseUrl,
    };

    private static int Lines(GatewayProcess replica, string text) =>
        replica.Output.Split('\n').Count(line => line.Contains(text, StringComparison.Ordinal));

    private static async Task<HttpStatusCode> StatusAsync(GatewayProcess replica, string key)
    {
        using var client = new HttpClient { BaseAddress = replica.ProxyAddress };
        client.DefaultRequestHeaders.Add("X-Api-Key", key);
        using var response = await client.GetAsync("/external/sources?projectId=1");
        return response.StatusCode;
    }

    /// <summary>The value of the one series of <paramref name="metric"/> whose labels hold <paramref name="label"/>, from a Prometheus scrape.</summary>
    private static double? Value(string scrape, string metric, string label = "") =>
        scrape.Split('\n')
            .Where(line => line.StartsWith(metric + "{", StringComparison.Ordinal) && line.Contains(label, StringComparison.Ordinal))
            .Select(line => (double?)double.Parse(line[(line.LastIndexOf('}') + 1)..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture))
            .SingleOrDefault();

    private static async Task<string> MetricsAsync(GatewayProcess replica)
    {
        using var management = new HttpClient { BaseAddress = replica.ManagementAddress };
        return await management.GetStringAsync("/metrics");
    }

    private static async Task<(HttpStatusCode Status, long Looks, List<string> Failures)> ReadinessAsync(GatewayProcess replica)
    {
        using var management = new HttpClient { BaseAddress = replica.ManagementAddress };
        using var response = await management.GetAsync("/health/ready");
        var entries = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("entries");
        var data = entries.GetProperty("configuration").GetProperty("data");
        var failures = data.TryGetProperty("failures", out var list) ? list.EnumerateArray().Select(f => f.GetString()!).ToList() : [];
        return (response.StatusCode, data.GetProperty("looks").GetInt64(), failures);
    }

    /// <summary>Requests to every replica, a few at a time, until stopped; every status that is not 200 is kept.</summary>
    private sealed class Load : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly List<HttpClient> _clients;
        private readonly Task<(int, List<string>)> _running;

        public Load(List<GatewayProcess> replicas, string key)
        {
            _clients = [.. replicas.Select(replica =>
            {
                var client = new HttpClient { BaseAddress = replica.ProxyAddress };
                client.DefaultRequestHeaders.Add("X-Api-Key", key);
                return client;
            })];
            _running = RunAsync();
        }

        public async Task<(int Sent, List<string> Failed)> StopAsync()
        {
            await _stop.CancelAsync();
            return await _running;
        }

        public void Dispose()
        {
            _stop.Cancel();
            _stop.Dispose();
            foreach (var client in _clients)
            {
                client.Dispose();
            }
        }

        private async Task<(int, List<string>)> RunAsync()
        {
            var failed = new List<string>();
            var sent = 0;
            var workers = Enumerable.Range(0, 4).Select(async worker =>
            {
                for (var i = worker; !_stop.IsCancellationRequested; i++)
                {
                    string? failure;
                    try
                    {
                        using var response = await _clients[i % _clients.Count].GetAsync("/external/sources?projectId=1");
                        failure = response.StatusCode == HttpStatusCode.OK ? null : ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
                    }
                    catch (HttpRequestException e)
                    {
                        failure = e.HttpRequestError.ToString();
                    }

                    lock (failed)
                    {
                        sent++;
                        if (failure is not null)
                        {
                            failed.Add(failure);
                        }
                    }
                }
            });
            await Task.WhenAll(workers);
            return (sent, failed);
        }
    }
}
