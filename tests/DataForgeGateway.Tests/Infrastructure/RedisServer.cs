using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Testcontainers.Redis;

namespace DataForgeGateway.Tests.Infrastructure;

/// <summary>
/// A real Redis for a test: a Testcontainers container where a Docker engine answers, otherwise a
/// <c>redis-server</c> from the machine on a free loopback port. Never a mock.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private const string Image = "redis:7.4.2-alpine";

    private readonly RedisContainer? _container;
    private readonly int _port;
    private Process? _process;

    private RedisServer(RedisContainer? container, int port)
    {
        _container = container;
        _port = port;
    }

    /// <summary>Where to connect; unchanged by <see cref="StopAsync"/> and <see cref="StartAgainAsync"/>.</summary>
    public string ConnectionString => _container?.GetConnectionString() ?? $"127.0.0.1:{_port}";

    public static async Task<RedisServer> StartAsync()
    {
        if (await TryStartContainerAsync() is { } container)
        {
            return new RedisServer(container, 0);
        }

        var server = new RedisServer(null, FreePort.Next());
        await server.StartAgainAsync();
        return server;
    }

    /// <summary>Stops Redis, as an outage would; the port stays the same for <see cref="StartAgainAsync"/>.</summary>
    public async Task StopAsync()
    {
        if (_container is not null)
        {
            await _container.StopAsync();
            return;
        }

        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
    }

    /// <summary>Starts Redis (again) on the same port, empty, and waits until it answers PING.</summary>
    public async Task StartAgainAsync()
    {
        if (_container is not null)
        {
            await _container.StartAsync();
            return;
        }

        var executable = FindRedisServer() ?? throw new InvalidOperationException(
            "No Docker engine and no redis-server on this machine: install one (apt-get install -y redis-server).");
        _process = Process.Start(new ProcessStartInfo(executable)
        {
            ArgumentList = { "--port", _port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "no" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        _process.OutputDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginErrorReadLine();
        await WaitForPingAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process?.Dispose();
        if (_container is not null)
        {
            await _container.DisposeAsync();
        }
    }

    private static async Task<RedisContainer?> TryStartContainerAsync()
    {
        if (Environment.GetEnvironmentVariable("DOCKER_HOST") is null && !File.Exists("/var/run/docker.sock"))
        {
            return null;
        }

        var container = new RedisBuilder(Image).Build();
        try
        {
            await container.StartAsync();
            return container;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A socket with no engine behind it: fall back to a local redis-server.
            await container.DisposeAsync();
            return null;
        }
    }

    private static string? FindRedisServer() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
            .Append("/usr/bin").Append("/usr/local/bin")
            .Select(directory => Path.Combine(directory, "redis-server"))
            .FirstOrDefault(File.Exists);

    private async Task WaitForPingAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        using var poll = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync("127.0.0.1", _port);
                var stream = client.GetStream();
                await stream.WriteAsync("PING\r\n"u8.ToArray());
                var buffer = new byte[16];
                var read = await stream.ReadAsync(buffer);
                if (Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal))
                {
                    return;
                }
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && _process is { HasExited: false })
            {
            }

            if (DateTime.UtcNow >= deadline || _process is { HasExited: true })
            {
                throw new InvalidOperationException($"redis-server on port {_port} did not answer PING.");
            }

            await poll.WaitForNextTickAsync();
        }
    }
}
