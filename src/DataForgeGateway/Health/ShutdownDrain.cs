using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace DataForgeGateway.Health;

/// <summary>
/// <c>Gateway:Management:ShutdownDelay</c>: on SIGTERM, before anything stops, readiness turns 503 (the
/// <c>shutdown</c> check) and the gateway keeps serving for the delay, so a load balancer that follows readiness
/// takes it out before it stops accepting; then Kestrel drains requests in flight as usual. Runs in the host's
/// stopping phase (<see cref="IHostedLifecycleService.StoppingAsync"/>), ahead of every service's stop.
/// </summary>
internal sealed partial class ShutdownDrain(IOptions<ManagementOptions> options, ILogger<ShutdownDrain> logger) : IHostedLifecycleService, IHealthCheck
{
    public const string Name = "shutdown";

    private volatile bool _stopping;

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        _stopping = true;
        var delay = options.Value.ShutdownDelay;
        if (delay <= TimeSpan.Zero)
        {
            return;
        }

        Log.Draining(logger, delay);
        try
        {
            await Task.Delay(delay, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // HostOptions:ShutdownTimeout ran out first: stop now.
        }
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(_stopping ? HealthCheckResult.Unhealthy("Stopping: taking no new requests once the shutdown delay is over.") : HealthCheckResult.Healthy());

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Stopping: readiness answers 503 and requests are served for {Delay} more (Gateway:Management:ShutdownDelay), then requests in flight are drained")]
        public static partial void Draining(ILogger logger, TimeSpan delay);
    }
}
