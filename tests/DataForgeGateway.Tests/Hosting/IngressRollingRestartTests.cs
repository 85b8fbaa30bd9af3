using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using DataForgeGateway.Tests.Infrastructure;

namespace DataForgeGateway.Tests.Hosting;

/// <summary>
/// The company ingress for real: HAProxy (Debian's package) in front of three gateway processes sharing one Redis,
/// routing by each one's <c>/health/ready</c>. A rolling restart under load (each replica in turn sent SIGTERM and
/// replaced by a new process on its ports, as a pod behind the same endpoint) loses no request and leaves exactly
/// one audit record per answer; and only HAProxy is believed about who the client is.
/// </summary>
[Collection(SerialTests.Name)]
public sealed class IngressRollingRestartTests : IAsyncLifetime
{
    private const string Ingress = "127.0.0.2";    // HAProxy connects to the replicas from here: the one trusted address
    private const string Client = "127.0.0.3";     // the callers' own address
    private const string XffKey = "xff-test-key-5d1c9a";
    private static readonly int[] SourceIds = [19643, 19709, 19710, 20001, 20002]; // the sandbox's catalog
    private SandboxHost _sandbox = null!;
    private RedisServer _redis = null!;

    public async Task InitializeAsync()
    {
        _sandbox = await SandboxHost.StartAsync();
        _redis = await RedisServer.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _redis.DisposeAsync();
        await _sandbox.DisposeAsync();
    }

    [Fact]
    public async Task Behind_HAProxy_following_readiness_a_rolling_restart_under_load_loses_no_request_and_only_HAProxy_is_believed_about_the_client()
    {
        var settings = new Dictionary<string, string>
        {
            ["Gateway:Redis:ConnectionString"] = _redis.ConnectionString,
            ["Gateway:Redis:InstanceName"] = $"ingress-{Guid.NewGuid():N}:",
            ["Gateway:Ingress:KnownProxies:0"] = Ingress,
            ["Gateway:Management:ShutdownDelay"] = "00:00:01",   // HAProxy checks every 200 ms: out well within it
            ["HostOptions:ShutdownTimeout"] = "00:00:20",
            ["Gateway:RateLimits:Default:PermitsPerSecond"] = "100000",
            ["Gateway:RateLimits:Default:Burst"] = "100000",
            ["Gateway:RateLimits:Operations:source-pull:PermitsPerSecond"] = "100000",
            ["Gateway:RateLimits:Operations:source-pull:Burst"] = "100000",
            ["Gateway:Callers:xff-svc:Keys:0:Sha256"] = GatewayHost.Sha256(XffKey),
            ["Gateway:Callers:warm-up-svc:Keys:0:Sha256"] = GatewayHost.Sha256(XffKey + "-warm-up"),
        };
        var replicas = new List<GatewayProcess>();
        var stopped = new List<GatewayProcess>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                replicas.Add(await GatewayProcess.StartAsync(_sandbox, settings));
            }

            var ports = replicas.Select(r => (r.ProxyPort, r.ManagementPort)).ToList();
            await using var ingress = await HaproxyIngress.StartAsync(ports, Ingress);
            using (var warmUp = FromClientAddress(ingress.Address, XffKey + "-warm-up"))
            {
                await Eventually.HoldsAsync(async () => await StatusAsync(warmUp, 0) == HttpStatusCode.OK, "the ingress routes to Ready replicas");
            }

            using var caller = FromClientAddress(ingress.Address, GatewayHost.CallerKey);

            using var stop = new CancellationTokenSource();
            var load = Enumerable.Range(0, 4).Select(worker => LoadAsync(caller, worker, stop.Token)).ToList();
            for (var i = 0; i < replicas.Count; i++)
            {
                Assert.Equal(0, await replicas[i].StopAsync());
                stopped.Add(replicas[i]);
                replicas[i] = await GatewayProcess.StartAsync(_sandbox, settings, ports: ports[i]);
                await Eventually.HoldsAsync(async () => await ReadyAsync(replicas[i]), $"replica {i}'s successor is Ready");
                await Task.Delay(TimeSpan.FromSeconds(1)); // HAProxy takes it back after two passed checks
            }

            await stop.CancelAsync();
            var answers = (await Task.WhenAll(load)).SelectMany(a => a).ToList();

            Assert.True(answers.Count >= 100, $"only {answers.Count} requests were sent during the restarts");
            Assert.Empty(answers.Where(a => a != "200").GroupBy(a => a).Select(g => $"{g.Key} x{g.Count()}"));

            // Who the client is: via HAProxy, the address HAProxy saw (a forged X-Forwarded-For is not believed past
            // it); straight to a replica, the connection's own address, whatever the header says.
            using var throughIngress = FromClientAddress(ingress.Address, XffKey);
            using var direct = FromClientAddress(replicas[0].ProxyAddress, XffKey);
            foreach (var client in new[] { throughIngress, direct })
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, "/external/sources?projectId=1") { Headers = { { "X-Forwarded-For", "203.0.113.9" } } };
                using var response = await client.SendAsync(request);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }

            var all = replicas.Concat(stopped).ToList();
            await Eventually.HoldsAsync(() => Audit(all).Count(r => r.Caller == "xff-svc") == 2, "both calls are audited");
            Assert.Equal([Client, Client], Audit(all).Where(r => r.Caller == "xff-svc").Select(r => r.ClientAddress));

            // Nothing lost in the audit either: one record per answer the callers got, across old and new processes.
            await Eventually.HoldsAsync(() => Audit(all).Count(r => r.Caller == GatewayHost.CallerName) == answers.Count, () => $"{Audit(all).Count(r => r.Caller == GatewayHost.CallerName)} audit records for {answers.Count} answers");
            Assert.All(Audit(all).Where(r => r.Caller == GatewayHost.CallerName), r => Assert.Equal(Client, r.ClientAddress));
        }
        finally
        {
            foreach (var replica in replicas.Concat(stopped))
            {
                await replica.DisposeAsync();
            }
        }
    }

    /// <summary>One worker of the load: reads and pulls through the ingress until stopped; each answer's status, or the failure.</summary>
    private static async Task<List<string>> LoadAsync(HttpClient caller, int worker, CancellationToken stop)
    {
        var answers = new List<string>();
        for (var i = 0; !stop.IsCancellationRequested; i++)
        {
            try
            {
                answers.Add(((int)await StatusAsync(caller, (worker * 100_000) + i)).ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
            catch (HttpRequestException e)
            {
                answers.Add($"failed: {e.Message}");
            }
        }

        return answers;
    }

    private static async Task<HttpStatusCode> StatusAsync(HttpClient caller, int i)
    {
        using var response = i % 3 == 2
            ? await caller.PostAsync($"/external/source-pull/{SourceIds[i % SourceIds.Length]}", null)
            : await caller.GetAsync($"/external/sources?projectId={1 + (i % 2)}");
        return response.StatusCode;
    }

    private static async Task<bool> ReadyAsync(GatewayProcess replica)
    {
        using var probe = new HttpClient { BaseAddress = replica.ManagementAddress };
        using var response = await probe.GetAsync("/health/ready");
        return response.IsSuccessStatusCode;
    }

    /// <summary>A client whose connections come from <see cref="Client"/>, another loopback address than the ingress's.</summary>
    private static HttpClient FromClientAddress(Uri address, string key)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(IPAddress.Parse(Client), 0));
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        return new HttpClient(handler) { BaseAddress = address, DefaultRequestHeaders = { { "X-Api-Key", key } } };
    }

    /// <summary>The audit records every process printed (one JSON object a line on standard output).</summary>
    private static List<(string Caller, string ClientAddress)> Audit(IEnumerable<GatewayProcess> processes) =>
        [.. processes.SelectMany(p => p.Output.Split('\n'))
            .Where(line => line.StartsWith('{') && line.Contains("\"client_address\"", StringComparison.Ordinal))
            .Select(line => JsonDocument.Parse(line).RootElement)
            .Where(record => record.TryGetProperty("caller", out _))
            .Select(record => (record.GetProperty("caller").GetString() ?? "", record.GetProperty("client_address").GetString() ?? "")),];
}
