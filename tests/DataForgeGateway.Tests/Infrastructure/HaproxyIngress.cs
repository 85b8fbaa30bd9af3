using System.Diagnostics;

namespace DataForgeGateway.Tests.Infrastructure;

/// <summary>
/// A real ingress in front of a gateway: Debian's <c>haproxy</c> on a free loopback port, in HTTP mode, passing the
/// client's address in <c>X-Forwarded-For</c> as an ingress controller does. Stopped on dispose.
/// </summary>
public sealed class HaproxyIngress : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _config;

    private HaproxyIngress(Process process, string config, int port)
    {
        _process = process;
        _config = config;
        Address = new Uri($"http://127.0.0.1:{port}");
    }

    public Uri Address { get; }

    public static Task<HaproxyIngress> StartAsync(Uri backend) =>
        StartAsync(port => $"""
            defaults
              mode http
              option forwardfor
              timeout connect 2s
              timeout client 10s
              timeout server 10s
            frontend ingress
              bind 127.0.0.1:{port}
              default_backend gateway
            backend gateway
              server gateway {backend.Host}:{backend.Port}

            """);

    /// <summary>
    /// The company ingress in front of several replicas, as an ingress controller follows readiness: each replica
    /// routed to only while its management port's <c>/health/ready</c> answers 200 (checked every 200 ms, out at the
    /// first failure, back after two passes); a connection refused is retried on another replica. It connects to
    /// the replicas from <paramref name="source"/>, the address the gateway is told to trust.
    /// </summary>
    public static Task<HaproxyIngress> StartAsync(IReadOnlyList<(int Proxy, int Management)> replicas, string source) =>
        StartAsync(port => $"""
            defaults
              mode http
              option forwardfor
              option redispatch
              retries 3
              timeout connect 2s
              timeout client 30s
              timeout server 30s
              timeout check 1s
            frontend ingress
              bind 127.0.0.1:{port}
              default_backend gateway
            backend gateway
              balance roundrobin
              source {source}
              option httpchk GET /health/ready
              http-check expect status 200
            {string.Join("\n", replicas.Select((r, i) => $"  server replica{i} 127.0.0.1:{r.Proxy} check port {r.Management} inter 200ms fall 1 rise 2"))}

            """);

    private static async Task<HaproxyIngress> StartAsync(Func<int, string> configFor)
    {
        var port = FreePort.Next();
        var config = Path.Combine(Path.GetTempPath(), $"dfgw-haproxy-{Guid.NewGuid():N}.cfg");
        await File.WriteAllTextAsync(config, configFor(port));
        Process process;
        try
        {
            process = Process.Start(new ProcessStartInfo("haproxy", ["-db", "-f", config]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new Xunit.Sdk.XunitException("haproxy is needed as the real ingress: apt-get install -y haproxy (.ci/run does).");
        }

        var ingress = new HaproxyIngress(process, config, port);
        await Eventually.HoldsAsync(() => process.HasExited ? throw new Xunit.Sdk.XunitException($"haproxy exited while starting: {process.StandardError.ReadToEnd()}") : !FreePort.IsFree(port), "haproxy listens");
        return ingress;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        File.Delete(_config);
    }
}
