using System.Security.Cryptography;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using DataForgeGateway.Callers;
using DataForgeGateway.Primitives;
using DataForgeGateway.WorkloadIdentity;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace DataForgeGateway.Benchmarks;

/// <summary>
/// What a workload caller costs a request, beside a key caller (<see cref="HotPathBenchmarks"/>): its token checked
/// the first time (RS256 signature, claims) and again (its hash looked up), then its subject mapped to its caller.
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class WorkloadBenchmarks
{
    private const string Issuer = "https://issuer.bench";
    private const string Subject = "system:serviceaccount:billing:billing-svc";

    private readonly string _folder = Directory.CreateTempSubdirectory("dfgw-bench-jwks-").FullName;
    private ServiceProvider _cached = null!;
    private ServiceProvider _uncached = null!;
    private WorkloadTokenValidator _validator = null!;
    private WorkloadTokenValidator _everyTime = null!;
    private CallerDirectory _callers = null!;
    private string _token = null!;
    private string[] _fresh = null!;
    private readonly LastPresentedToken _connection = new();
    private int _next;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        var key = new RsaSecurityKey(RSA.Create(2048)) { KeyId = "bench-1" };
        var parameters = key.Rsa.ExportParameters(false);
        var jwks = Path.Combine(_folder, "jwks.json");
        await File.WriteAllTextAsync(jwks, JsonSerializer.Serialize(new { keys = new[] { new { kty = "RSA", use = "sig", kid = key.KeyId, n = Base64UrlEncoder.Encode(parameters.Modulus), e = Base64UrlEncoder.Encode(parameters.Exponent) } } }));
        var handler = new JsonWebTokenHandler();
        string Mint() => handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = "dataforge-gateway",
            Expires = DateTime.UtcNow.AddHours(1),
            Claims = new Dictionary<string, object> { ["sub"] = Subject, ["jti"] = Guid.NewGuid().ToString() },
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.RsaSha256),
        });
        _token = Mint();
        _fresh = [.. Enumerable.Range(0, 256).Select(_ => Mint())];

        _cached = Services(jwks, cacheSize: 100_000);
        _uncached = Services(jwks, cacheSize: 0);
        _validator = _cached.GetRequiredService<WorkloadTokenValidator>();
        _everyTime = _uncached.GetRequiredService<WorkloadTokenValidator>();
        _callers = _cached.GetRequiredService<CallerDirectory>();
        if ((await _validator.ValidateAsync(_token, default)).Check != WorkloadTokenCheck.Valid || (await _everyTime.ValidateAsync(_token, default)).Check != WorkloadTokenCheck.Valid)
        {
            throw new InvalidOperationException("The benchmark's token does not validate.");
        }
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _cached.DisposeAsync();
        await _uncached.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    [Benchmark(Description = "workload token, seen before on another connection: its SHA-256, the validated-token cache, the subject's caller")]
    public bool SeenBefore()
    {
        var token = _validator.ValidateAsync(_token, default).Result;
        return _callers.FindWorkload(token.Issuer!, token.Subject!) is not null;
    }

    [Benchmark(Description = "workload token, the same token again on a kept-alive connection: compared, not hashed")]
    public bool SameConnection()
    {
        var token = _validator.ValidateAsync(_token, _connection, default).Result;
        return _callers.FindWorkload(token.Issuer!, token.Subject!) is not null;
    }

    [Benchmark(Description = "workload token, first request: parsed, RS256 signature and claims checked (Microsoft.IdentityModel)")]
    public bool FirstRequest()
    {
        var token = _everyTime.ValidateAsync(_fresh[_next++ & 255], default).Result;
        return token.Check == WorkloadTokenCheck.Valid;
    }

    private static ServiceProvider Services(string jwks, int cacheSize)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Gateway:WorkloadIdentity:Issuers:cluster:Issuer"] = Issuer,
            ["Gateway:WorkloadIdentity:Issuers:cluster:Audience"] = "dataforge-gateway",
            ["Gateway:WorkloadIdentity:Issuers:cluster:JwksFile"] = jwks,
            ["Gateway:WorkloadIdentity:ValidatedTokenCacheSize"] = cacheSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Gateway:Callers:billing-svc:Workloads:0:Issuer"] = "cluster",
            ["Gateway:Callers:billing-svc:Workloads:0:Subject"] = Subject,
        }).Build();
        var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddLogging(logging => logging.ClearProviders())
            .AddSingleton(TimeProvider.System)
            .AddLiveOptions();
        services.AddHttpClient();
        services.AddOptions<WorkloadIdentityOptions>().BindConfiguration(WorkloadIdentityOptions.SectionName);
        services.AddOptions<CallersOptions>().BindConfiguration(CallersOptions.SectionName);
        services.AddSingleton<WorkloadTokenValidator>().AddSingleton<CallerDirectory>();
        return services.BuildServiceProvider();
    }
}
