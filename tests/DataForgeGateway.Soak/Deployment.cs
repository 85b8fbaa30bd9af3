using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace DataForgeGateway.Soak;

/// <summary>
/// What the soak runs: a real Redis, the sandbox (Auth0 and DataForge), a stand-in OTLP collector, and R gateway
/// replicas, all separate processes on loopback ports, sharing one folder of secret files as pods share a mounted
/// Secret. The fault switches are the sandbox's control API and Redis's process; nothing in the gateway is bypassed.
/// </summary>
internal sealed class Deployment : IAsyncDisposable
{
    public const string ClientId = "soak-client";
    public const string Audience = "https://soak.api.dataforgedev.com";
    public static readonly string[] LoadCallers = ["svc-a", "svc-b", "svc-c"];
    public const string ProbeCaller = "probe";

    /// <summary>A caller with no key: a workload whose projected service-account token the sandbox's issuer mints.</summary>
    public const string WorkloadCaller = "svc-w";
    public const string WorkloadSubject = "system:serviceaccount:soak:svc-w";
    public const string WorkloadAudience = "dataforge-gateway";

    private readonly Lock _workloadGate = new();
    private (string Token, DateTime MintedAt)? _workloadToken;

    private readonly SoakOptions _options;
    private readonly Dictionary<string, int> _keyIndex = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _keys = new(StringComparer.Ordinal);
    private readonly Lock _sandboxGate = new();
    private SandboxFaults _sandboxFaults = new();

    private Deployment(SoakOptions options)
    {
        _options = options;
        Directory.CreateDirectory(LogDirectory);
        Directory.CreateDirectory(SecretsDirectory);
        RedisPort = Ports.Next();
        SandboxPort = Ports.Next();
        SinkPort = Ports.Next();
        Replicas = [.. Enumerable.Range(0, options.Replicas).Select(i => new Replica(i, Ports.Next(), Ports.Next()))];
        ClientSecret = NewSecret("client-secret");
        Secrets.Add(ClientSecret);
        Secrets.Add(EncryptionKey);
    }

    public string LogDirectory => Path.Combine(_options.OutputDirectory, "logs");

    public string SecretsDirectory => Path.Combine(_options.OutputDirectory, "secrets");

    public int RedisPort { get; }

    public int SandboxPort { get; }

    public int SinkPort { get; }

    public IReadOnlyList<Replica> Replicas { get; }

    public string ClientSecret { get; private set; }

    public string EncryptionKey { get; } = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    /// <summary>Every secret the run ever used: no output may contain one.</summary>
    public List<string> Secrets { get; } = [];

    public ManagedProcess Redis { get; private set; } = null!;

    public ManagedProcess Sandbox { get; private set; } = null!;

    public ManagedProcess Sink { get; private set; } = null!;

    public HttpClient Http { get; } = new(new SocketsHttpHandler { PooledConnectionIdleTimeout = TimeSpan.FromSeconds(5) }) { Timeout = TimeSpan.FromSeconds(30) };

    public Uri SandboxUrl => new($"http://127.0.0.1:{SandboxPort}");

    /// <summary>Every gateway process the run started, restarts included.</summary>
    public List<ManagedProcess> GatewayProcesses { get; } = [];

    public static async Task<Deployment> StartAsync(SoakOptions options)
    {
        var deployment = new Deployment(options);
        await deployment.StartRedisAsync();
        deployment.Sandbox = ManagedProcess.Start("sandbox", "dotnet", [
            Path.Combine(options.Bin("src/DataForge.Sandbox"), "DataForge.Sandbox.dll"),
            "--urls", $"http://127.0.0.1:{deployment.SandboxPort}",
            "--Sandbox:ClientId", ClientId, "--Sandbox:ClientSecret", deployment.ClientSecret, "--Sandbox:Audience", Audience,
            "--Sandbox:TokenLifetimeSeconds", options.TokenLifetimeSeconds.ToString(CultureInfo.InvariantCulture),
            "--Logging:LogLevel:Default", "Warning",
        ], deployment.LogDirectory);
        deployment.Sink = ManagedProcess.Start("otlp-sink", "dotnet", [
            Path.Combine(options.Bin("bench/OtlpSink"), "OtlpSink.dll"), "--urls", $"http://127.0.0.1:{deployment.SinkPort}",
        ], deployment.LogDirectory);
        await deployment.WaitUntilAsync(new Uri(deployment.SandboxUrl, "/_sandbox/stats"), "the sandbox");
        await deployment.WaitUntilAsync(new Uri($"http://127.0.0.1:{deployment.SinkPort}/stats"), "the OTLP stand-in");

        deployment.WriteSecret("Gateway__Environments__stage__Auth0__ClientSecret", deployment.ClientSecret);
        deployment.WriteSecret("Gateway__Tokens__EncryptionKey", deployment.EncryptionKey);
        foreach (var caller in LoadCallers.Append(ProbeCaller))
        {
            deployment.AddKey(caller);
        }

        await Task.WhenAll(deployment.Replicas.Select(replica => deployment.StartReplicaAsync(replica)));
        return deployment;
    }

    /// <summary>
    /// The workload's token now: minted for ten minutes and replaced after two, as the kubelet refreshes a projected
    /// token well before it expires (and as a pod reads its file again for each call). Every token is a secret of the run.
    /// </summary>
    public async Task<string> WorkloadTokenAsync(bool fresh = false)
    {
        lock (_workloadGate)
        {
            if (!fresh && _workloadToken is { } current && DateTime.UtcNow - current.MintedAt < TimeSpan.FromMinutes(2))
            {
                return current.Token;
            }
        }

        using var response = await Http.PostAsync(new Uri(SandboxUrl, $"/_sandbox/workload-token?subject={Uri.EscapeDataString(WorkloadSubject)}&audience={WorkloadAudience}&lifetimeSeconds=600"), null);
        response.EnsureSuccessStatusCode();
        var token = await response.Content.ReadAsStringAsync();
        lock (_workloadGate)
        {
            Secrets.Add(token);
            _workloadToken = (token, DateTime.UtcNow);
        }

        return token;
    }

    /// <summary>The issuer's signing key rotated (the old one stays published, as a cluster keeps it while its tokens live).</summary>
    public Task RotateIssuerKeyAsync() => SendControlAsync(HttpMethod.Post, "/_sandbox/workload-keys/rotate?withdrawOld=false");

    /// <summary>The key a caller uses now.</summary>
    public string KeyOf(string caller)
    {
        lock (_keys)
        {
            return _keys[caller];
        }
    }

    public async Task StartRedisAsync()
    {
        Redis = ManagedProcess.Start($"redis-{DateTime.UtcNow:HHmmss}", "redis-server", [
            "--port", RedisPort.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "no",
        ], LogDirectory);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, RedisPort);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
    }

    /// <summary>Starts (or starts again) replica <paramref name="replica"/> on its ports and, unless told otherwise, waits until it is ready.</summary>
    public async Task StartReplicaAsync(Replica replica, bool waitUntilReady = true)
    {
        var generation = replica.Generations++;
        var bin = _options.Bin("src/DataForgeGateway");
        var process = ManagedProcess.Start($"gateway-{replica.Index}.{generation}", "dotnet", [
            Path.Combine(bin, "DataForgeGateway.dll"),
            "--contentRoot", bin,
            "--urls", $"http://127.0.0.1:{replica.ProxyPort}",
            "--Gateway:Management:Url", $"http://127.0.0.1:{replica.ManagementPort}",
            "--Gateway:DefaultEnvironment", "stage",
            "--Gateway:Environments:stage:BaseUrl", SandboxUrl.ToString().TrimEnd('/'),
            "--Gateway:Environments:stage:Auth0:TokenUrl", new Uri(SandboxUrl, "/oauth/token").ToString(),
            "--Gateway:Environments:stage:Auth0:ClientId", ClientId,
            "--Gateway:Environments:stage:Auth0:Audience", Audience,
            "--Gateway:Environments:stage:UpstreamTimeout", "00:00:02",
            "--Gateway:SecretsDirectory", SecretsDirectory,
            "--Gateway:SecretsPollInterval", "00:00:01",
            "--Gateway:Redis:ConnectionString", $"127.0.0.1:{RedisPort}",
            "--Gateway:Redis:OperationTimeout", "00:00:00.500",
            "--Gateway:Tokens:RetryInitialDelay", Format(_options.RetryInitialDelay),
            "--Gateway:Tokens:RetryMaxDelay", Format(_options.RetryMaxDelay),
            "--Gateway:Tokens:RequestTimeout", "00:00:02",
            "--Gateway:Tokens:LockTimeout", "00:00:05",
            "--Gateway:Tokens:ExpirySafetyMargin", "00:00:10",
            "--Gateway:RateLimits:Default:PermitsPerSecond", "1000",
            "--Gateway:RateLimits:Default:Burst", "2000",
            "--Gateway:RateLimits:Operations:source-pull:PermitsPerSecond", "20",
            "--Gateway:RateLimits:Operations:source-pull:Burst", "40",
            "--Gateway:RateLimits:RedisRetryInterval", "00:00:02",
            "--Gateway:WorkloadIdentity:Issuers:cluster:Issuer", SandboxUrl.ToString().TrimEnd('/'),
            "--Gateway:WorkloadIdentity:Issuers:cluster:Audience", WorkloadAudience,
            "--Gateway:WorkloadIdentity:Issuers:cluster:RequireHttps", "false",
            $"--Gateway:Callers:{WorkloadCaller}:Workloads:0:Issuer", "cluster",
            $"--Gateway:Callers:{WorkloadCaller}:Workloads:0:Subject", WorkloadSubject,
        ], LogDirectory, new Dictionary<string, string>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = $"http://127.0.0.1:{SinkPort}",
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_SERVICE_NAME"] = "dataforge-gateway",
            ["DOTNET_SHUTDOWNTIMEOUTSECONDS"] = "15",
        }, workingDirectory: _options.OutputDirectory);
        lock (GatewayProcesses)
        {
            GatewayProcesses.Add(process);
        }

        replica.Process = process;
        if (waitUntilReady)
        {
            await WaitUntilAsync(new Uri($"http://127.0.0.1:{replica.ManagementPort}/health/ready"), process.Name, process);
            replica.InRotation = true;
        }
    }

    /// <summary>Sets the sandbox's fault switches: every active sandbox fault at once.</summary>
    public Task ChangeSandboxAsync(Func<SandboxFaults, SandboxFaults> change)
    {
        string query;
        lock (_sandboxGate)
        {
            _sandboxFaults = change(_sandboxFaults);
            query = _sandboxFaults.Query();
        }

        return SendControlAsync(HttpMethod.Put, $"/_sandbox/switches?{query}");
    }

    public Task RevokeTokensAsync() => SendControlAsync(HttpMethod.Post, "/_sandbox/revoke-tokens");

    /// <summary>Bad values in the mounted secret that every replica reads at once: a malformed hash and a typo'd key.</summary>
    public void WriteBadSecrets()
    {
        WriteSecret($"Gateway__Callers__{LoadCallers[0]}__Keys__{_keyIndex.GetValueOrDefault(LoadCallers[0]) + 1}__Sha256", "not-a-sha256-hash");
        WriteSecret("Gateway__Environments__stage__Auth0__ClientSecrt", "soak-typo");
    }

    /// <summary>The bad values of <see cref="WriteBadSecrets"/> taken out again.</summary>
    public void RemoveBadSecrets()
    {
        File.Delete(Path.Combine(SecretsDirectory, $"Gateway__Callers__{LoadCallers[0]}__Keys__{_keyIndex.GetValueOrDefault(LoadCallers[0]) + 1}__Sha256"));
        File.Delete(Path.Combine(SecretsDirectory, "Gateway__Environments__stage__Auth0__ClientSecrt"));
    }

    /// <summary>A client secret Auth0 refuses in the mounted secret (a wrong paste), or the right one back.</summary>
    public void WriteClientSecretFile(bool right)
    {
        var wrong = NewSecret("wrong-client-secret");
        if (!right)
        {
            Secrets.Add(wrong);
        }

        WriteSecret("Gateway__Environments__stage__Auth0__ClientSecret", right ? ClientSecret : wrong);
    }

    /// <summary>The client secret rotated in Auth0 and in the mounted secret, as an operator rotates it.</summary>
    public async Task RotateClientSecretAsync()
    {
        ClientSecret = NewSecret("client-secret");
        Secrets.Add(ClientSecret);
        WriteSecret("Gateway__Environments__stage__Auth0__ClientSecret", ClientSecret);
        await SendControlAsync(HttpMethod.Put, "/_sandbox/client-secret", ClientSecret);
    }

    /// <summary>Adds a new key for <paramref name="caller"/> in a secret file of its own; returns it (not yet in use).</summary>
    public string AddKey(string caller)
    {
        var index = _keyIndex.TryGetValue(caller, out var last) ? last + 1 : 0;
        _keyIndex[caller] = index;
        var key = NewSecret($"key-{caller}");
        Secrets.Add(key);
        WriteSecret($"Gateway__Callers__{caller}__Keys__{index}__Sha256", Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key))));
        lock (_keys)
        {
            _keys.TryAdd(caller, key);
        }

        return key;
    }

    /// <summary>The caller uses <paramref name="key"/> from now on and its previous key file is deleted.</summary>
    public void RetireOldKey(string caller, string key)
    {
        lock (_keys)
        {
            _keys[caller] = key;
        }

        File.Delete(Path.Combine(SecretsDirectory, $"Gateway__Callers__{caller}__Keys__{_keyIndex[caller] - 1}__Sha256"));
    }

    public async Task<(long TokenRequests, long TokensIssued)> SandboxStatsAsync()
    {
        using var stats = System.Text.Json.JsonDocument.Parse(await Http.GetStringAsync(new Uri(SandboxUrl, "/_sandbox/stats")));
        return (stats.RootElement.GetProperty("token_requests").GetInt64(), stats.RootElement.GetProperty("tokens_issued").GetInt64());
    }

    public async ValueTask DisposeAsync()
    {
        await Redis.SignalAsync("CONT");
        foreach (var replica in Replicas)
        {
            await replica.Process.StopAsync(TimeSpan.FromSeconds(20));
        }

        await Sandbox.KillAsync();
        await Sink.KillAsync();
        await Redis.KillAsync();
        Http.Dispose();
    }

    private void WriteSecret(string name, string value)
    {
        // Written beside the folder and moved in: the gateway never reads half a file.
        var temporary = Path.Combine(_options.OutputDirectory, $".{name}.tmp");
        File.WriteAllText(temporary, value);
        File.Move(temporary, Path.Combine(SecretsDirectory, name), overwrite: true);
    }

    private async Task SendControlAsync(HttpMethod method, string path, string? body = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(SandboxUrl, path)) { Content = body is null ? null : new StringContent(body) };
        using var response = await Http.SendAsync(request);
        response.EnsureSuccessStatusCode();
    }

    private async Task WaitUntilAsync(Uri url, string what, ManagedProcess? process = null)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (process is { HasExited: true })
            {
                throw new InvalidOperationException($"{what} exited with {process.ExitCode} while starting; see {process.ErrorPath}.");
            }

            try
            {
                using var response = await Http.GetAsync(url);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(100);
        }

        throw new InvalidOperationException($"{what} did not come up within a minute.");
    }

    private static string NewSecret(string kind) => $"soak-{kind}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12))}";

    private static string Format(TimeSpan value) => value.ToString("c", CultureInfo.InvariantCulture);
}

/// <summary>One gateway replica: fixed ports, a process that may be restarted, and whether the load balancer sends to it.</summary>
internal sealed class Replica(int index, int proxyPort, int managementPort)
{
    private volatile bool _inRotation;

    public int Index { get; } = index;

    public int ProxyPort { get; } = proxyPort;

    public int ManagementPort { get; } = managementPort;

    public ManagedProcess Process { get; set; } = null!;

    /// <summary>Set while the soak itself stops and starts the replica: its exit then is no violation.</summary>
    public bool Restarting { get; set; }

    public int Generations { get; set; }

    public bool InRotation
    {
        get => _inRotation;
        set => _inRotation = value;
    }

    public Uri Url(string pathAndQuery) => new($"http://127.0.0.1:{ProxyPort}{pathAndQuery}");
}

/// <summary>The sandbox's fault switches as the soak has set them.</summary>
internal sealed record SandboxFaults(int? TokenStatus = null, int? TokenDelayMs = null, int? TokenRetryAfterSeconds = null, int? ApiStatus = null, int? ApiDelayMs = null)
{
    public string Query()
    {
        var parts = new List<string>();
        void Add(string name, int? value)
        {
            if (value is { } set)
            {
                parts.Add($"{name}={set.ToString(CultureInfo.InvariantCulture)}");
            }
        }

        Add("tokenStatus", TokenStatus);
        Add("tokenDelayMs", TokenDelayMs);
        Add("tokenRetryAfterSeconds", TokenRetryAfterSeconds);
        Add("apiStatus", ApiStatus);
        Add("apiDelayMs", ApiDelayMs);
        return string.Join('&', parts);
    }
}

/// <summary>Free loopback ports below Linux's ephemeral range, so an outgoing connection never takes one first.</summary>
internal static class Ports
{
    private static readonly HashSet<int> Taken = [];

    public static int Next()
    {
        lock (Taken)
        {
            while (true)
            {
                var port = Random.Shared.Next(20_000, 32_000);
                if (!Taken.Add(port))
                {
                    continue;
                }

                try
                {
                    using var listener = new TcpListener(IPAddress.Loopback, port);
                    listener.Start();
                    return port;
                }
                catch (SocketException)
                {
                }
            }
        }
    }
}
