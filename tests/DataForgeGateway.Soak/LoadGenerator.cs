using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace DataForgeGateway.Soak;

/// <summary>One of the four DataForge operations as a caller sends it.</summary>
internal sealed record Operation(string Name, string Method, string PathAndQuery, string? Body, int Weight)
{
    public static readonly Operation Sources = new("sources", "GET", "/external/sources?projectId=1", null, 4);

    public static readonly IReadOnlyList<Operation> All =
    [
        Sources,
        new("sources-filtered-by-name", "GET", "/external/sources-filtered-by-name/demo?projectId=1", null, 2),
        new("inputs-filtered", "POST", "/external/inputs-filtered", """{"source_id":"19709","limit":"5","effective_filter":"false"}""", 2),
        new("source-pull", "POST", "/external/source-pull/19643", null, 1),
    ];

    public static Operation Pick(Random random)
    {
        var roll = random.Next(All.Sum(o => o.Weight));
        foreach (var operation in All)
        {
            roll -= operation.Weight;
            if (roll < 0)
            {
                return operation;
            }
        }

        return Sources;
    }
}

/// <summary>
/// A steady mixed load over all four operations from several callers, spread over the replicas the simulated load
/// balancer has in rotation. Every request carries a trace id of its own, so its audit record can be found.
/// </summary>
internal sealed class LoadGenerator(Deployment deployment, Observations observations, FaultSchedule faults, int seed)
{
    private int _next;

    /// <summary>Sends one request and checks its answer; returns its status, or null if it got none.</summary>
    public async Task<HttpStatusCode?> SendAsync(Replica replica, string caller, Operation operation, string why, string? key = null, string? idempotencyKey = null)
    {
        var traceId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        using var request = new HttpRequestMessage(new HttpMethod(operation.Method), replica.Url(operation.PathAndQuery));
        if (caller == Deployment.WorkloadCaller)
        {
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + (key ?? await deployment.WorkloadTokenAsync()));
        }
        else
        {
            request.Headers.Add("X-Api-Key", key ?? deployment.KeyOf(caller));
        }

        request.Headers.Add("traceparent", $"00-{traceId}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}-01");
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        if (operation.Body is { } body)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        var what = $"{why}: {caller} {operation.Name} to {replica.Process.Name}";
        var sentAt = DateTime.UtcNow;
        try
        {
            using var response = await deployment.Http.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            observations.Answered(traceId, what, response, text, faults.ActiveSince("dataforge-500", sentAt));
            return response.StatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            observations.Lost(what, e);
            return null;
        }
    }

    public Task RunAsync(int workers, CancellationToken stop) =>
        Task.WhenAll(Enumerable.Range(0, workers).Select(worker => Task.Run(() => WorkAsync(new Random(seed + worker), stop), CancellationToken.None)));

    private async Task WorkAsync(Random random, CancellationToken stop)
    {
        // Every other source-pull carries an Idempotency-Key that this worker sends three times, as a retrying
        // client would, on whichever replica is next: the replays are DataForge's first answers again.
        var worker = random.Next();
        var pulls = 0;
        while (!stop.IsCancellationRequested)
        {
            if (NextInRotation() is { } replica)
            {
                var operation = Operation.Pick(random);
                // A quarter of the load comes from a workload caller with its token, beside the key callers.
                var caller = random.Next(4) == 0 ? Deployment.WorkloadCaller : Deployment.LoadCallers[random.Next(Deployment.LoadCallers.Length)];
                string? idempotencyKey = null;
                if (operation.Name == "source-pull" && pulls++ % 2 == 0)
                {
                    // Keys are per caller: the three sends of one key come from the same caller.
                    var round = (pulls - 1) / 6;
                    idempotencyKey = $"soak-{worker}-{round}";
                    caller = Deployment.LoadCallers[round % Deployment.LoadCallers.Length];
                }

                await SendAsync(replica, caller, operation, "load", idempotencyKey: idempotencyKey);
            }

            try
            {
                await Task.Delay(40, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private Replica? NextInRotation()
    {
        var replicas = deployment.Replicas;
        for (var i = 0; i < replicas.Count; i++)
        {
            var replica = replicas[(int)((uint)Interlocked.Increment(ref _next) % replicas.Count)];
            if (replica.InRotation)
            {
                return replica;
            }
        }

        return null;
    }
}
