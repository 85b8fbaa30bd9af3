using System.Net;
using System.Text.Json;

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

    /// <summary>A counter of every replica running now (<paramref name="meter"/>'s <paramref name="instrument"/>), summed.</summary>
    public ReplicaCounter Counter(string meter, string instrument) => new(Gateways, meter, instrument);

    /// <summary>
    /// Sends <paramref name="requests"/> requests, round robin over <paramref name="callers"/>, all at once or at most
    /// <paramref name="maxConcurrent"/> at a time (a load within the caller's share of the DataForge concurrency cap,
    /// whose excess is rightly 503); their statuses in order.
    /// </summary>
    public static async Task<HttpStatusCode[]> SendAsync(List<HttpClient> callers, int requests, int? maxConcurrent = null)
    {
        using var slots = new SemaphoreSlim(maxConcurrent ?? requests);
        return await Task.WhenAll(Enumerable.Range(0, requests).Select(async i =>
        {
            await slots.WaitAsync();
            try
            {
                using var response = await callers[i % callers.Count].GetAsync("/external/sources?projectId=1");
                return response.StatusCode;
            }
            finally
            {
                slots.Release();
            }
        }));
    }

    /// <summary>
    /// Waits until every replica's readiness says <paramref name="status"/>; <paramref name="meanwhile"/> runs
    /// before each look (traffic, a clock step), for states that only change on use.
    /// </summary>
    public async Task ReadinessIsAsync(string status, Func<Task>? meanwhile = null)
    {
        string? last = null;
        await Eventually.HoldsAsync(
            async () =>
            {
                if (meanwhile is not null)
                {
                    await meanwhile();
                }

                foreach (var gateway in Gateways)
                {
                    using var management = new HttpClient { BaseAddress = gateway.ManagementAddress };
                    using var response = await management.GetAsync("/health/ready");
                    last = await response.Content.ReadAsStringAsync();
                    if (JsonDocument.Parse(last).RootElement.GetProperty("status").GetString() != status)
                    {
                        return false;
                    }
                }

                return true;
            },
            () => $"readiness {status} on every replica (last seen: {last})");
    }

    /// <summary>Stops one replica (its secret scan included), as a pod that goes away; the others go on.</summary>
    public async Task StopAsync(int index)
    {
        var gateway = Gateways[index];
        Gateways.RemoveAt(index);
        await gateway.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var gateway in Gateways)
        {
            await gateway.DisposeAsync();
        }
    }
}
