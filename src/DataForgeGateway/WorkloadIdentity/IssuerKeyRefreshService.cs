using DataForgeGateway.Primitives;

namespace DataForgeGateway.WorkloadIdentity;

/// <summary>
/// Fetches every issuer's keys as the gateway starts (not holding start-up up: a request that needs them waits for
/// the fetch) and keeps them fresh: a key file looked at every few seconds, a URL every
/// <see cref="WorkloadIdentityOptions.RefreshInterval"/>. A failed fetch keeps the keys fetched before.
/// </summary>
internal sealed class IssuerKeyRefreshService(WorkloadTokenValidator validator, LiveOptions<WorkloadIdentityOptions> options, TimeProvider clock) : BackgroundService
{
    /// <summary>How often a key file's time stamp is looked at.</summary>
    internal static readonly TimeSpan FileCheckInterval = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            if (validator.Enabled)
            {
                var interval = options.Current.RefreshInterval;
                await Task.WhenAll(validator.Issuers.Select(issuer => issuer.RefreshIfDueAsync(interval)));
            }

            try
            {
                await Task.Delay(FileCheckInterval, clock, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
