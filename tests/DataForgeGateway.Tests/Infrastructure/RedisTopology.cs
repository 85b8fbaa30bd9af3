using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace DataForgeGateway.Tests.Infrastructure;

/// <summary>One redis-server process of a topology: a cluster node, a master or replica, a sentinel.</summary>
public sealed class RedisNode : IAsyncDisposable
{
    private readonly string _directory;
    private readonly string[] _arguments;
    private Process? _process;

    private RedisNode(int port, string directory, string[] arguments)
    {
        Port = port;
        _directory = directory;
        _arguments = arguments;
    }

    public int Port { get; }

    public string Endpoint => $"127.0.0.1:{Port}";

    /// <summary>Starts redis-server on a free port in a folder of its own with <paramref name="arguments"/> (a config file first, if any).</summary>
    public static async Task<RedisNode> StartAsync(string root, Func<int, string[]> arguments, bool clusterBus = false)
    {
        var port = clusterBus ? FreePort.NextWithClusterBus() : FreePort.Next();
        var directory = Path.Combine(root, port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Directory.CreateDirectory(directory);
        var node = new RedisNode(port, directory, arguments(port));
        await node.StartAgainAsync();
        return node;
    }

    /// <summary>(Re)starts the process with its folder as it was left (a cluster node keeps its nodes.conf).</summary>
    public async Task StartAgainAsync()
    {
        var start = new ProcessStartInfo("redis-server") { WorkingDirectory = _directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in _arguments)
        {
            start.ArgumentList.Add(argument);
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start (apt-get install -y redis-server).");
        var output = new StringBuilder();
        _process.OutputDataReceived += (_, line) => { lock (output) { output.AppendLine(line.Data); } };
        _process.ErrorDataReceived += (_, line) => { lock (output) { output.AppendLine(line.Data); } };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var process = _process;
        await Eventually.HoldsAsync(
            () => process.HasExited
                ? throw new InvalidOperationException($"redis-server on {Port} exited: {output}")
                : Command("PING").StartsWith("+PONG", StringComparison.Ordinal),
            $"redis-server on {Port} answers PING");
    }

    /// <summary>Kills the process, as a crashed node or a lost machine would end.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
    }

    /// <summary>One command in RESP, its reply's first line (or the whole bulk reply); empty if the node does not answer.</summary>
    public string Command(params string[] parts)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect("127.0.0.1", Port);
            var stream = client.GetStream();
            var request = new StringBuilder().Append(System.Globalization.CultureInfo.InvariantCulture, $"*{parts.Length}\r\n");
            foreach (var part in parts)
            {
                request.Append(System.Globalization.CultureInfo.InvariantCulture, $"${Encoding.UTF8.GetByteCount(part)}\r\n{part}\r\n");
            }

            stream.Write(Encoding.UTF8.GetBytes(request.ToString()));
            stream.ReadTimeout = 2000;
            var buffer = new byte[64 * 1024];
            var read = stream.Read(buffer);
            return Encoding.UTF8.GetString(buffer, 0, read);
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            return "";
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process?.Dispose();
    }
}

/// <summary>A real Redis Cluster of three masters (no replicas), made with redis-cli --cluster create.</summary>
public sealed class RedisCluster : IAsyncDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("dfgw-cluster-");

    public List<RedisNode> Nodes { get; } = [];

    /// <summary>Every node, as StackExchange.Redis is given a cluster.</summary>
    public string ConnectionString => string.Join(',', Nodes.Select(n => n.Endpoint));

    public static async Task<RedisCluster> StartAsync()
    {
        var cluster = new RedisCluster();
        for (var i = 0; i < 3; i++)
        {
            cluster.Nodes.Add(await RedisNode.StartAsync(
                cluster._root.FullName,
                port =>
                [
                    "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--protected-mode", "no",
                    "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000",
                    "--save", "", "--appendonly", "no",
                ],
                clusterBus: true));
        }

        var create = new ProcessStartInfo("redis-cli") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "--cluster", "create" }.Concat(cluster.Nodes.Select(n => n.Endpoint)).Concat(["--cluster-replicas", "0", "--cluster-yes"]))
        {
            create.ArgumentList.Add(argument);
        }

        using (var process = Process.Start(create)!)
        {
            var output = await process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync();
            Assert.True(process.ExitCode == 0, output);
        }

        await Eventually.HoldsAsync(() => cluster.Nodes.All(n => n.Command("CLUSTER", "INFO").Contains("cluster_state:ok", StringComparison.Ordinal)), "the cluster is ok on every node");
        return cluster;
    }

    /// <summary>Moves <paramref name="slots"/> slots from the first node to the second, as an operator rebalancing would.</summary>
    public async Task<string> ReshardAsync(int slots)
    {
        var ids = Nodes.Select(n => n.Command("CLUSTER", "MYID").Split("\r\n")[1]).ToList();
        var reshard = new ProcessStartInfo("redis-cli") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "--cluster", "reshard", Nodes[0].Endpoint, "--cluster-from", ids[0], "--cluster-to", ids[1], "--cluster-slots", slots.ToString(System.Globalization.CultureInfo.InvariantCulture), "--cluster-yes" })
        {
            reshard.ArgumentList.Add(argument);
        }

        using var process = Process.Start(reshard)!;
        var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return output;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in Nodes)
        {
            await node.DisposeAsync();
        }

        _root.Delete(recursive: true);
    }
}

/// <summary>A master, a replica of it and three sentinels watching them (quorum 2), as a Sentinel deployment runs.</summary>
public sealed class RedisSentinelGroup : IAsyncDisposable
{
    public const string ServiceName = "gateway-redis";

    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("dfgw-sentinel-");

    public RedisNode Master { get; private set; } = null!;

    public RedisNode Replica { get; private set; } = null!;

    public List<RedisNode> Sentinels { get; } = [];

    /// <summary>The sentinels and the service name, as StackExchange.Redis reads a Sentinel connection string.</summary>
    public string ConnectionString => string.Join(',', Sentinels.Select(s => s.Endpoint)) + $",serviceName={ServiceName}";

    public static async Task<RedisSentinelGroup> StartAsync()
    {
        var group = new RedisSentinelGroup();
        string[] Data(int port) => ["--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--protected-mode", "no", "--save", "", "--appendonly", "no"];
        group.Master = await RedisNode.StartAsync(group._root.FullName, Data);
        group.Replica = await RedisNode.StartAsync(group._root.FullName, port => [.. Data(port), "--replicaof", "127.0.0.1", group.Master.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        for (var i = 0; i < 3; i++)
        {
            group.Sentinels.Add(await RedisNode.StartAsync(group._root.FullName, port =>
            {
                var config = Path.Combine(group._root.FullName, $"sentinel-{port}.conf");
                File.WriteAllText(config, $"""
                    port {port}
                    bind 127.0.0.1
                    protected-mode no
                    sentinel monitor {ServiceName} 127.0.0.1 {group.Master.Port} 2
                    sentinel down-after-milliseconds {ServiceName} 1000
                    sentinel failover-timeout {ServiceName} 5000
                    sentinel parallel-syncs {ServiceName} 1
                    """);
                return [config, "--sentinel"];
            }));
        }

        await Eventually.HoldsAsync(() => group.Master.Command("INFO", "replication").Contains("connected_slaves:1", StringComparison.Ordinal), "the replica follows the master");
        await Eventually.HoldsAsync(() => group.Sentinels.All(s => s.Command("SENTINEL", "SENTINELS", ServiceName).StartsWith("*2", StringComparison.Ordinal)), "the sentinels know each other");
        return group;
    }

    /// <summary>The port of the master the sentinels name now.</summary>
    public int? MasterPort()
    {
        var reply = Sentinels[0].Command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", ServiceName).Split("\r\n");
        return reply.Length > 4 && int.TryParse(reply[4], out var port) ? port : null;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in Sentinels.Append(Replica).Append(Master))
        {
            await node.DisposeAsync();
        }

        _root.Delete(recursive: true);
    }
}
