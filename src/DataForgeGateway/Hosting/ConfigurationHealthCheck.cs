using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace DataForgeGateway.Hosting;

/// <summary>
/// Readiness data on configuration changes. A refused change leaves the replica Ready (Degraded): it serves on the last
/// good configuration, and a bad Secret shared by every replica must not take them all out of the Service at once.
/// </summary>
internal sealed class ConfigurationHealthCheck(ConfigurationReloads reloads) : IHealthCheck
{
    public const string Name = "configuration";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var data = new Dictionary<string, object> { ["looks"] = reloads.Looks };
        if (reloads.Pending is not { } refusal)
        {
            return Task.FromResult(HealthCheckResult.Healthy("Serving the newest configuration.", data));
        }

        data["refused_at"] = refusal.At.ToString("O", System.Globalization.CultureInfo.InvariantCulture);
        data["failures"] = refusal.Failures;
        return Task.FromResult(new HealthCheckResult(
            context.Registration.FailureStatus,
            $"The newest configuration change was refused ({refusal.Failures.Count} wrong); serving on the last good one.",
            data: data));
    }
}
