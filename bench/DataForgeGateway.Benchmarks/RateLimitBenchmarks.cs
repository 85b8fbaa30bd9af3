using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using DataForgeGateway.Callers;
using DataForgeGateway.Primitives;
using DataForgeGateway.RateLimiting;
using DataForgeGateway.Redis;
using DataForgeGateway.Settings;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DataForgeGateway.Benchmarks;

/// <summary>
/// The rate-limit decision as the gateway takes it in production: the limiter service with Redis, a high-rate
/// caller whose permits are leased (one Redis call per lease, the rest from memory). A real <c>redis-server</c> on
/// a free loopback port, started by the benchmark; the Redis calls are part of what is measured, amortised over
/// the lease.
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class RateLimitBenchmarks
{
    private Process? _redis;
    private ServiceProvider _shared = null!;
    private ServiceProvider _local = null!;
    private RateLimitService _sharedLimits = null!;
    private RateLimitService _localLimits = null!;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        var port = FreePort();
        _redis = Process.Start(new ProcessStartInfo("redis-server", ["--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        {
            RedirectStandardOutput = true,
        }) ?? throw new InvalidOperationException("redis-server did not start (apt-get install -y redis-server).");
        _shared = Services($"127.0.0.1:{port}");
        _local = Services(null);
        _sharedLimits = _shared.GetRequiredService<RateLimitService>();
        _localLimits = _local.GetRequiredService<RateLimitService>();

        // Redis answers once it has started: the first decisions wait for it, then leases are sized up in steady state.
        for (var attempt = 0; ; attempt++)
        {
            var decision = await _sharedLimits.DecideAsync("billing-svc", "sources");
            if (decision.Source == DecisionSource.Shared)
            {
                break;
            }

            if (attempt > 100)
            {
                throw new InvalidOperationException("Redis did not answer the limiter.");
            }

            await Task.Delay(100);
        }

        for (var i = 0; i < 1000; i++)
        {
            await _sharedLimits.DecideAsync("billing-svc", "sources");
        }
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _shared.DisposeAsync();
        await _local.DisposeAsync();
        _redis?.Kill();
        _redis?.Dispose();
    }

    /// <summary>Back to back, nothing done between decisions: faster than Redis answers, so each lease is waited for.</summary>
    [Benchmark(Description = "rate-limit decision (service, Redis, leased permits, back to back)")]
    public async Task<bool> Shared() => (await _sharedLimits.DecideAsync("billing-svc", "sources")).Admitted;

    /// <summary>
    /// 32 callers at once, each spending 50 µs of CPU per request besides its decision (about what the gateway spends
    /// on a request): the lease is refilled ahead while its permits last, so decisions rarely wait for Redis. The
    /// time per operation is mostly that work; the allocations are the decision's and the Redis calls' share.
    /// </summary>
    [Benchmark(Description = "rate-limit decision (service, Redis, leased permits, 32 callers doing a request's work)", OperationsPerInvoke = Concurrency * PerCaller)]
    public async Task SharedConcurrent()
    {
        var callers = new Task[Concurrency];
        for (var i = 0; i < callers.Length; i++)
        {
            callers[i] = Caller();
        }

        await Task.WhenAll(callers);

        async Task Caller()
        {
            await Task.Yield();
            for (var i = 0; i < PerCaller; i++)
            {
                await _sharedLimits.DecideAsync("billing-svc", "sources");
                var until = Stopwatch.GetTimestamp() + (Stopwatch.Frequency / 20_000);
                while (Stopwatch.GetTimestamp() < until)
                {
                }
            }
        }
    }

    private const int Concurrency = 32;
    private const int PerCaller = 64;

    [Benchmark(Description = "rate-limit decision (service, no Redis: one replica)")]
    public bool Local() => _localLimits.DecideAsync("billing-svc", "sources").Result.Admitted;

    private static ServiceProvider Services(string? redis)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Gateway:Redis:ConnectionString"] = redis ?? "",
            ["Gateway:RateLimits:Default:PermitsPerSecond"] = "1000000000",
            ["Gateway:RateLimits:Default:Burst"] = "1000000",
            ["Gateway:RateLimits:Operations:sources:PermitsPerSecond"] = "1000000000",
            ["Gateway:RateLimits:Operations:sources:Burst"] = "1000000",
        }).Build();
        var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddLogging(logging => logging.ClearProviders())
            .AddMetrics()
            .AddSingleton(TimeProvider.System)
            .AddLiveOptions();
        services.AddOptions<CallersOptions>().BindConfiguration(CallersOptions.SectionName);
        services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.SectionName);
        services.AddOptions<RedisOptions>().BindConfiguration(RedisOptions.SectionName);
        services.AddSingleton<LocalRateLimiter>().AddSingleton<RedisMetrics>().AddSingleton<RateLimitMetrics>();
        if (redis is null)
        {
            services.AddSingleton<RateLimitService>();
        }
        else
        {
            services.AddSingleton<RedisConnection>().AddSingleton<RedisRateLimiter>()
                .AddSingleton(provider => ActivatorUtilities.CreateInstance<RateLimitService>(provider, provider.GetRequiredService<RedisRateLimiter>()));
        }

        return services.BuildServiceProvider();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
