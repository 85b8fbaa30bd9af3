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

    public static async Task<HaproxyIngress> StartAsync(Uri backend)
    {
        var port = FreePort.Next();
        var config = Path.Combine(Path.GetTempPath(), $"dfgw-haproxy-{Guid.NewGuid():N}.cfg");
        await File.WriteAllTextAsync(config, $"""
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
