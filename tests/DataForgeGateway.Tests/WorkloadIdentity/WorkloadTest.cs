using DataForgeGateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace DataForgeGateway.Tests.WorkloadIdentity;

/// <summary>
/// A sandbox whose workload issuer is trusted by a gateway, and a caller that is a workload of it. The sandbox mints
/// on the real clock (tokens are checked against it); the gateway's own clock, which paces its key fetches, is a
/// fake one that starts now and moves only when a test moves it.
/// </summary>
public abstract class WorkloadTest : IAsyncLifetime
{
    public const string Audience = "dataforge-gateway";
    public const string Subject = "system:serviceaccount:billing:billing-svc";
    public const string OtherSubject = "system:serviceaccount:reporting:reporting-svc";

    protected SandboxHost Sandbox { get; private set; } = null!;

    protected GatewayHost Gateway { get; private set; } = null!;

    protected FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    /// <summary>The issuer URL, as the sandbox's tokens carry it.</summary>
    protected string IssuerUrl => Sandbox.BaseUrl;

    /// <summary>Settings of the test class's own, on top of <see cref="WorkloadSettings"/>.</summary>
    protected virtual Dictionary<string, string?> Settings => [];

    /// <summary>The sandbox's issuer as <c>cluster</c>, and billing-svc (which also has its key) as the workload <see cref="Subject"/>.</summary>
    public static Dictionary<string, string?> WorkloadSettings(SandboxHost sandbox) => new(StringComparer.OrdinalIgnoreCase)
    {
        ["Gateway:WorkloadIdentity:Issuers:cluster:Issuer"] = sandbox.BaseUrl,
        ["Gateway:WorkloadIdentity:Issuers:cluster:Audience"] = Audience,
        ["Gateway:WorkloadIdentity:Issuers:cluster:RequireHttps"] = "false",
        [$"Gateway:Callers:{GatewayHost.CallerName}:Workloads:0:Issuer"] = "cluster",
        [$"Gateway:Callers:{GatewayHost.CallerName}:Workloads:0:Subject"] = Subject,
    };

    public async Task InitializeAsync()
    {
        Sandbox = await SandboxHost.StartAsync();
        var settings = WorkloadSettings(Sandbox);
        foreach (var (key, value) in Settings)
        {
            settings[key] = value;
        }

        Gateway = new GatewayHost(Sandbox, settings, services => services.AddSingleton<TimeProvider>(Clock));
    }

    public async Task DisposeAsync()
    {
        await Gateway.DisposeAsync();
        await Sandbox.DisposeAsync();
    }

    /// <summary>A token of the sandbox's issuer for <paramref name="subject"/>, for the gateway's audience unless told otherwise.</summary>
    protected string Mint(string subject = Subject, string audience = Audience, TimeSpan? lifetime = null, DateTimeOffset? notBefore = null) =>
        Sandbox.Workloads.Mint(IssuerUrl, subject, audience, lifetime, notBefore);

    /// <summary>A client of the proxy port that sends <paramref name="token"/> as its bearer token and no key.</summary>
    protected HttpClient CreateWorkload(string token)
    {
        var client = Gateway.CreateCaller(apiKey: null);
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Bearer " + token);
        return client;
    }
}
