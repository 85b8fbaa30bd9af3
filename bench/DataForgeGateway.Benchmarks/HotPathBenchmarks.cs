using BenchmarkDotNet.Attributes;
using DataForgeGateway.Audit;
using DataForgeGateway.Callers;
using DataForgeGateway.Primitives;
using DataForgeGateway.RateLimiting;
using DataForgeGateway.Settings;
using DataForgeGateway.Tokens;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DataForgeGateway.Benchmarks;

/// <summary>What the gateway does for every request besides forwarding it: key, token, limit, audit.</summary>
[MemoryDiagnoser]
[ShortRunJob]
public class HotPathBenchmarks
{
    private ServiceProvider _services = null!;
    private CallerDirectory _callers = null!;
    private AccessTokenProvider _tokens = null!;
    private LocalRateLimiter _local = null!;
    private RateLimitService _limits = null!;
    private AuditWriter _audit = null!;
    private GatewayMetrics _metrics = null!;
    private BucketLimit[] _buckets = null!;
    private HttpRequestMessage _request = null!;
    private string _key = null!;
    private readonly LastPresentedKey _connection = new();
    private long _now;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        var (keyId, key) = ApiKeyFormat.New();
        _key = key;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Gateway:DefaultEnvironment"] = "stage",
            ["Gateway:Environments:stage:BaseUrl"] = "http://127.0.0.1:1",
            ["Gateway:Environments:stage:Auth0:TokenUrl"] = "http://127.0.0.1:1/oauth/token",
            ["Gateway:Environments:stage:Auth0:ClientId"] = "c",
            ["Gateway:Environments:stage:Auth0:ClientSecret"] = "s",
            ["Gateway:Environments:stage:Auth0:Audience"] = "a",
            ["Gateway:Callers:billing-svc:Keys:0:Id"] = keyId,
            ["Gateway:Callers:billing-svc:Keys:0:Sha256"] = KeyDigest.Compute(key).ToString(),
            ["Gateway:RateLimits:Default:PermitsPerSecond"] = "1000000000",
            ["Gateway:RateLimits:Default:Burst"] = "1000000",
        }).Build();
        var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddLogging(logging => logging.ClearProviders())
            .AddMetrics()
            .AddSingleton(TimeProvider.System)
            .AddLiveOptions();
        services.AddOptions<CallersOptions>().BindConfiguration(CallersOptions.SectionName);
        services.AddOptions<GatewayOptions>().BindConfiguration(GatewayOptions.SectionName);
        services.AddOptions<TokenOptions>().BindConfiguration(TokenOptions.SectionName);
        services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.SectionName);
        services.AddOptions<AuditOptions>().BindConfiguration(AuditOptions.SectionName);
        services.AddSingleton<CallerDirectory>().AddSingleton<LocalRateLimiter>().AddSingleton<DataForgeGateway.Redis.RedisMetrics>().AddSingleton<RateLimitMetrics>().AddSingleton<RateLimitService>()
            .AddSingleton(new AuditOutput(Stream.Null)).AddSingleton<AuditWriter>().AddSingleton<GatewayMetrics>().AddSingleton<TokenMetrics>()
            .AddSingleton<ITokenStore, LocalTokenStore>().AddSingleton<Auth0TokenClient>().AddSingleton<AccessTokenProvider>().AddSingleton(new TokenJitter())
            .AddHttpClient(TokenExtensions.HttpClientName).ConfigurePrimaryHttpMessageHandler(() => new CannedTokenEndpoint());
        _services = services.BuildServiceProvider();
        _callers = _services.GetRequiredService<CallerDirectory>();
        _tokens = _services.GetRequiredService<AccessTokenProvider>();
        _local = _services.GetRequiredService<LocalRateLimiter>();
        _limits = _services.GetRequiredService<RateLimitService>();
        _audit = _services.GetRequiredService<AuditWriter>();
        _metrics = _services.GetRequiredService<GatewayMetrics>();
        _buckets = [BucketLimit.From("caller", 1_000_000_000, 1_000_000)];
        _request = new HttpRequestMessage(HttpMethod.Get, "http://127.0.0.1:1/external/sources");

        // A token in the in-process cache, as in steady state: fetched once from the canned endpoint.
        await _audit.StartAsync(CancellationToken.None);
        _decision = await _limits.DecideAsync("billing-svc", "sources");
        if (!(await _tokens.GetAsync("stage", CancellationToken.None)).Succeeded)
        {
            throw new InvalidOperationException("The benchmark could not get its token.");
        }
        _now = TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds() * 1000;
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _audit.StopAsync(CancellationToken.None);
        await _services.DisposeAsync();
        _request.Dispose();
    }

    [Benchmark(Description = "key lookup and check, a new connection's first request (SHA-256)")]
    public bool KeyCheck() => _callers.Check(_key, connection: null, DateTimeOffset.UtcNow, out _) == DataForgeGateway.Callers.KeyCheck.Valid;

    [Benchmark(Description = "key-in-path search, the usual source-pull path (route words skipped, digits: no hash)")]
    public bool KeyInPathOfAnId() => DataForgeGateway.Routing.CanonicalPathMiddleware.HoldsKey("/external/source-pull/19643", _callers, "stage");

    [Benchmark(Description = "key-in-path search, a name filter (free text; hashed only where some key is configured by its hash alone)")]
    public bool KeyInPathOfANameFilter() => DataForgeGateway.Routing.CanonicalPathMiddleware.HoldsKey("/external/sources-filtered-by-name/demo_customers", _callers, "stage");

    [Benchmark(Description = "key lookup and check, the same key again on a kept-alive connection")]
    public bool KeyCheckSameConnection() =>
        _callers.Check(_key, _connection, DateTimeOffset.UtcNow, out _) == DataForgeGateway.Callers.KeyCheck.Valid;

    [Benchmark(Description = "token cache hit and header injection")]
    public bool TokenInjection()
    {
        var token = _tokens.GetAsync("stage", CancellationToken.None).Result;
        var headers = _request.Headers;
        headers.Remove("Authorization");
        return headers.TryAddWithoutValidation("Authorization", token.Token!.AuthorizationHeader);
    }

    [Benchmark(Description = "rate-limit decision (local bucket)")]
    public bool LocalBucket()
    {
        Span<BucketState> states = stackalloc BucketState[1];
        _local.Decide("billing-svc", _buckets, _now++, states);
        return states[0].Admitted;
    }

    [Benchmark(Description = "rate-limit decision (service, no Redis)")]
    public bool RateLimitService() => _limits.DecideAsync("billing-svc", "sources").Result.Admitted;

    private static readonly System.Diagnostics.ActivityContext _trace = new(
        System.Diagnostics.ActivityTraceId.CreateRandom(), System.Diagnostics.ActivitySpanId.CreateRandom(), System.Diagnostics.ActivityTraceFlags.None);

    private RateLimitDecision? _decision;

    [Benchmark(Description = "audit record and request metrics")]
    public void AuditRecord()
    {
        var record = new AuditRecord
        {
            Time = DateTimeOffset.UtcNow,
            Outcome = "forwarded",
            Caller = "billing-svc",
            KeyId = "k3x9q2m7v4b1",
            Environment = "stage",
            Operation = "sources",
            Method = "GET",
            Path = "/external/sources",
            ProjectId = "1",
            Status = 200,
            UpstreamStatus = 200,
            DurationMs = 1.5,
            TokenSource = "memory",
            RateLimitDecision = _decision,
            ClientIp = System.Net.IPAddress.Loopback,
            Trace = _trace,
        };
        _metrics.Record(record);
        _audit.Write(record);
    }
}

/// <summary>The token endpoint, answering one token: the benchmark's token comes the way every token does.</summary>
internal sealed class CannedTokenEndpoint : HttpMessageHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        Task.FromResult(new HttpResponseMessage(System.Net.HttpStatusCode.OK)
        {
            Content = new StringContent("{\"access_token\":\"eyJ.benchmark.token\",\"expires_in\":86400}", System.Text.Encoding.UTF8, "application/json"),
        });
}
