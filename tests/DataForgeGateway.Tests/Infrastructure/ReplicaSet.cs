using System.Net;

namespace DataForgeGateway.Tests.Infrastructure;

/// <summary>
/// Gateway replicas started in one test, in front of one sandbox, disposed together (each one's secret scan
/// included); and requests spread over them.
/// </summary>
public sealed class ReplicaSet(SandboxHost sandbox) : IAsyncDisposable
{
    public List<GatewayHost> Gateways { get; } = [];

    /// <summary>Starts <paramref name="count"/> replicas with <paramref name="settings"/>; a caller of each, with the default key.</summary>
    public List<HttpClient> Start(int count, Dictionary<string, string?> settings, Action<Microsoft.Extensions.DependencyInjection.IServiceCollection>? services = null)
    {
        var callers = new List<HttpClient>();
        for (var i = 0; i < count; i++)
        {
            var gateway = new GatewayHost(sandbox, settings, services);
            Gateways.Add(gateway);
            callers.Add(gateway.CreateCaller());
        }

        return callers;
    }

    /// <summary>Sends <paramref name="requests"/> requests at once, round robin over <paramref name="callers"/>; their statuses in order.</summary>
    public static async Task<HttpStatusCode[]> SendAsync(List<HttpClient> callers, int requests) =>
        await Task.WhenAll(Enumerable.Range(0, requests).Select(async i =>
        {
            using var response = await callers[i % callers.Count].GetAsync("/external/sources?projectId=1");
            return response.StatusCode;
        }));

    public async ValueTask DisposeAsync()
    {
        foreach (var gateway in Gateways)
        {
            await gateway.DisposeAsync();
        }
    }
}
