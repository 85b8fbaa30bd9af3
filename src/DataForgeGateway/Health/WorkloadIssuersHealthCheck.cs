using System.Globalization;
using DataForgeGateway.WorkloadIdentity;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace DataForgeGateway.Health;

/// <summary>
/// Each workload issuer's keys: Healthy when every issuer has keys and its last fetch worked; Degraded (still Ready:
/// key callers are served, and no other replica would reach the issuer better) when one has none or its last fetch
/// failed, with each issuer's key count, last fetch and failure in the data.
/// </summary>
internal sealed class WorkloadIssuersHealthCheck(WorkloadTokenValidator workloads) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!workloads.Enabled)
        {
            return Task.FromResult(HealthCheckResult.Healthy("No workload issuer is configured."));
        }

        var data = new Dictionary<string, object>(StringComparer.Ordinal);
        var troubled = new List<string>();
        foreach (var issuer in workloads.Issuers)
        {
            var keys = issuer.Current;
            data[issuer.Name] = new Dictionary<string, object?>
            {
                ["keys"] = keys?.Keys.Count ?? 0,
                ["fetched_at"] = keys?.FetchedAt.ToString("O", CultureInfo.InvariantCulture),
                ["last_failure"] = issuer.LastFailure,
            };
            if (keys is null || issuer.LastFailure is not null)
            {
                troubled.Add(keys is null ? $"{issuer.Name} (no keys: its workloads get 503)" : $"{issuer.Name} (keeps the keys fetched before)");
            }
        }

        return Task.FromResult(troubled.Count == 0
            ? HealthCheckResult.Healthy("Every workload issuer's keys are fetched.", data)
            : HealthCheckResult.Degraded("Workload issuer keys not fetched: " + string.Join(", ", troubled) + ".", data: data));
    }
}
