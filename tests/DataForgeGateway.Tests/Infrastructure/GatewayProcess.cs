using System.Diagnostics;
using System.Text;

namespace DataForgeGateway.Tests.Infrastructure;

/// <summary>
/// The built gateway as an operator starts it: its own process (<c>dotnet DataForgeGateway.dll</c>), settings on the
/// command line, any working directory, stopped with SIGTERM. For what only a real process shows: where it finds
/// its settings, how it drains, what it prints.
/// </summary>
public sealed class GatewayProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private GatewayProcess(Process process, int proxyPort, int managementPort)
    {
        _process = process;
        ProxyPort = proxyPort;
        ManagementPort = managementPort;
        process.OutputDataReceived += (_, line) => Append(line.Data);
        process.ErrorDataReceived += (_, line) => Append(line.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int ProxyPort { get; }

    public int ManagementPort { get; }

    public Uri ProxyAddress => new($"http://127.0.0.1:{ProxyPort}");

    public Uri ManagementAddress => new($"http://127.0.0.1:{ManagementPort}");

    /// <summary>A client of the proxy port that sends the given API key, as <see cref="GatewayHost.CreateCaller"/> does.</summary>
    public HttpClient CreateCaller(string apiKey = GatewayHost.CallerKey) =>
        new() { BaseAddress = ProxyAddress, DefaultRequestHeaders = { { "X-Api-Key", apiKey } } };

    /// <summary>Whether the process has ended (by itself: the tests stop it only through <see cref="StopAsync"/>).</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>Everything it printed so far, standard output and error.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>
    /// Starts the gateway in front of <paramref name="sandbox"/> with <paramref name="settings"/> on top, from
    /// <paramref name="workingDirectory"/>; the sandbox settings named in <paramref name="without"/> are left out
    /// (for values that come from a mounted Secret instead, which the command line would override). A replica
    /// started in another's place takes its <paramref name="ports"/>, as a new pod behind the same endpoint would.
    /// </summary>
    public static async Task<GatewayProcess> StartAsync(SandboxHost sandbox, IDictionary<string, string>? settings = null, string? workingDirectory = null, IEnumerable<string>? without = null, (int Proxy, int Management)? ports = null)
    {
        var proxyPort = ports?.Proxy ?? FreePort.Next();
        var managementPort = ports?.Management ?? FreePort.Next();
        var all = GatewayHost.SandboxSettings(sandbox);
        all["urls"] = $"http://127.0.0.1:{proxyPort}";
        all["Gateway:Management:Url"] = $"http://127.0.0.1:{managementPort}";
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            all[key] = value;
        }

        foreach (var key in without ?? [])
        {
            all.Remove(key);
        }

        var gatewayDll = typeof(Program).Assembly.Location;
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            WorkingDirectory = workingDirectory ?? Path.GetDirectoryName(gatewayDll)!,
        };
        start.ArgumentList.Add(gatewayDll);
        foreach (var (key, value) in all)
        {
            if (value is not null)
            {
                start.ArgumentList.Add($"--{key}={value}");
            }
        }

        var gateway = new GatewayProcess(Process.Start(start)!, proxyPort, managementPort);
        using var probe = new HttpClient();
        await Eventually.HoldsAsync(
            async () =>
            {
                if (gateway._process.HasExited)
                {
                    // Without a timeout, WaitForExit also waits for the redirected output to be read to its end: the
                    // exit can be seen before the last lines (the one that says why) have arrived.
                    gateway._process.WaitForExit();
                    throw new Xunit.Sdk.XunitException($"The gateway exited while starting: {gateway.Output}");
                }

                try
                {
                    using var response = await probe.GetAsync($"http://127.0.0.1:{managementPort}/health/live");
                    return response.IsSuccessStatusCode;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            },
            "the gateway answers on its management port");
        return gateway;
    }

    /// <summary>Sends SIGTERM, as Kubernetes does, and waits for the exit code.</summary>
    public async Task<int> StopAsync()
    {
        if (!_process.HasExited)
        {
            using var kill = Process.Start("kill", ["-s", "TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            await kill.WaitForExitAsync();
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await _process.WaitForExitAsync(timeout.Token);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }
}
