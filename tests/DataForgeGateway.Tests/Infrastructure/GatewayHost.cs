using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace DataForgeGateway.Tests.Infrastructure;

/// <summary>
/// The real gateway (its own Program.cs) on real Kestrel ports: one for the proxy, one for management. Settings
/// are ordinary configuration keys, as an operator would give them.
/// </summary>
public sealed class GatewayHost : WebApplicationFactory<Program>
{
    public const string CallerName = "billing-svc";
    public const string CallerKey = "test-key-billing-5c1d0e9f7a";
    public const string OtherCallerName = "reporting-svc";
    public const string OtherCallerKey = "test-key-reporting-88ab12";

    private readonly Dictionary<string, string?> _settings;
    private readonly Action<IServiceCollection>? _services;
    private bool _started;

    public GatewayHost(SandboxHost sandbox, IDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    {
        ManagementPort = FreePort.Next();
        _settings = new Dictionary<string, string?>(SandboxSettings(sandbox), StringComparer.OrdinalIgnoreCase)
        {
            ["urls"] = "http://127.0.0.1:0",
            ["Gateway:Management:Url"] = $"http://127.0.0.1:{ManagementPort}",
            [$"Gateway:Callers:{OtherCallerName}:Keys:0:Sha256"] = Sha256(OtherCallerKey),

            // Every span recorded, as in a gateway that exports them: the tests read them, and the secret scan covers them.
            // (With no exporter configured the gateway records none; TelemetryTests checks that default.)
            ["OTEL_TRACES_SAMPLER"] = "parentbased_always_on",

            // Limits far above what any test sends; the rate-limit tests set their own.
            ["Gateway:RateLimits:Default:PermitsPerSecond"] = "100000",
            ["Gateway:RateLimits:Default:Burst"] = "100000",
            ["Gateway:RateLimits:Operations:source-pull:PermitsPerSecond"] = "100000",
            ["Gateway:RateLimits:Operations:source-pull:Burst"] = "100000",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            _settings[key] = value;
        }

        _services = services;
        UseKestrel();
    }

    public int ManagementPort { get; }

    /// <summary>A working gateway in front of <paramref name="sandbox"/>: its environment, its tenant, one caller.</summary>
    public static Dictionary<string, string?> SandboxSettings(SandboxHost sandbox) => new(StringComparer.OrdinalIgnoreCase)
    {
        ["Gateway:DefaultEnvironment"] = "stage",
        ["Gateway:Environments:stage:BaseUrl"] = sandbox.BaseUrl,
        ["Gateway:Environments:stage:Auth0:TokenUrl"] = sandbox.TokenUrl,
        ["Gateway:Environments:stage:Auth0:ClientId"] = SandboxHost.ClientId,
        ["Gateway:Environments:stage:Auth0:ClientSecret"] = SandboxHost.ClientSecret,
        ["Gateway:Environments:stage:Auth0:Audience"] = SandboxHost.Audience,
        [$"Gateway:Callers:{CallerName}:Keys:0:Sha256"] = Sha256(CallerKey),
    };

    /// <summary>A second environment, <paramref name="name"/>, in front of <paramref name="sandbox"/>, which the default caller may use too.</summary>
    public static Dictionary<string, string?> SecondEnvironment(SandboxHost sandbox, string name = "prod") => new(StringComparer.OrdinalIgnoreCase)
    {
        [$"Gateway:Environments:{name}:BaseUrl"] = sandbox.BaseUrl,
        [$"Gateway:Environments:{name}:Auth0:TokenUrl"] = sandbox.TokenUrl,
        [$"Gateway:Environments:{name}:Auth0:ClientId"] = SandboxHost.ClientId,
        [$"Gateway:Environments:{name}:Auth0:ClientSecret"] = SandboxHost.ClientSecret,
        [$"Gateway:Environments:{name}:Auth0:Audience"] = SandboxHost.Audience,
        [$"Gateway:Callers:{CallerName}:Environments:0"] = "*",
    };

    public CapturedLogs Logs { get; } = new();

    /// <summary>Every span the gateway's tracer saw (which, the listeners being process-wide, includes other tests').</summary>
    public ExportedCollection<System.Diagnostics.Activity> Spans { get; } = new();

    /// <summary>The gateway's metrics, as of the last flush.</summary>
    public ExportedCollection<OpenTelemetry.Metrics.MetricSnapshot> Metrics { get; } = new();

    /// <summary>Pushes the metrics recorded so far into <see cref="Metrics"/>.</summary>
    public void FlushMetrics() => Services.GetRequiredService<OpenTelemetry.Metrics.MeterProvider>().ForceFlush();

    /// <summary>The proxy's own address, once started.</summary>
    public Uri ProxyAddress
    {
        get
        {
            StartServer();
            var addresses = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
            return new Uri(addresses.First(a => !a.EndsWith($":{ManagementPort}", StringComparison.Ordinal)));
        }
    }

    /// <summary>The management port's address, once started.</summary>
    public Uri ManagementAddress
    {
        get
        {
            StartServer();
            return new Uri($"http://127.0.0.1:{ManagementPort}");
        }
    }

    /// <summary>A client of the proxy port that sends the given API key, or none.</summary>
    public HttpClient CreateCaller(string? apiKey = CallerKey)
    {
        var client = new HttpClient { BaseAddress = ProxyAddress };
        if (apiKey is not null)
        {
            client.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        }

        return client;
    }

    public static string Sha256(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    protected override Microsoft.Extensions.Hosting.IHost CreateHost(Microsoft.Extensions.Hosting.IHostBuilder builder)
    {
        var host = base.CreateHost(builder);
        _started = true;
        return host;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }

        builder.UseEnvironment("Test");
        builder.ConfigureLogging(logging => logging.AddProvider(Logs).SetMinimumLevel(LogLevel.Trace));
        builder.ConfigureTestServices(services => services
            .AddSingleton(new DataForgeGateway.Audit.AuditOutput(Logs.StandardOutput))
            .AddOpenTelemetry()
            .WithTracing(tracing => tracing.AddInMemoryExporter(Spans.Sink))
            .WithMetrics(metrics => metrics.AddInMemoryExporter(Metrics.Sink)));
        if (_services is not null)
        {
            builder.ConfigureTestServices(_services);
        }
    }

    /// <summary>
    /// Before the gateway goes, every log line, span and metric it produced is scanned for secrets: the client
    /// secret, the callers' keys, anything shaped like a gateway key or a JWT. Every test that starts a gateway
    /// checks this, so the whole suite does.
    /// </summary>
    public override async ValueTask DisposeAsync()
    {
        var started = _started;
        if (started)
        {
            FlushMetrics();
        }

        await base.DisposeAsync();
        if (started)
        {
            SecretScan.AssertClean(Logs.Lines, Spans, Metrics);
        }
    }
}
