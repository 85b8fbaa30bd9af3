using DataForgeGateway.Primitives;
using DataForgeGateway.Settings;

namespace DataForgeGateway.Tokens;

/// <summary>
/// Gets each environment's token at start-up and renews it at its refresh point (about 80% of its lifetime,
/// with jitter), so that in steady state no request waits for Auth0. While Auth0 fails it retries on the
/// provider's backoff; the cached token is served meanwhile.
/// </summary>
internal sealed partial class TokenRefreshService(
    AccessTokenProvider tokens,
    LiveOptions<GatewayOptions> gateway,
    TimeProvider clock,
    IHostApplicationLifetime lifetime,
    ILogger<TokenRefreshService> logger) : BackgroundService
{
    /// <summary>Shortest sleep between two looks, so a clock that does not move cannot spin the loop.</summary>
    private static readonly TimeSpan MinimumSleep = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Longest sleep between two looks. A timer counts from when it is set, not from when its length was worked
    /// out: if the clock jumps in between (a suspended VM, a test moving a fake clock), one long sleep would carry
    /// the whole jump past the refresh point. A look before it is due costs nothing.
    /// </summary>
    private static readonly TimeSpan MaximumSleep = TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Not before the ports are bound: a start that fails (a port in use, say) must not have spent an Auth0 token.
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        using (stoppingToken.Register(() => started.TrySetCanceled(stoppingToken)))
        {
            try
            {
                await started.Task;
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }

        await Task.WhenAll(gateway.Current.Environments.Keys.Select(environment => KeepFreshAsync(environment, stoppingToken)));
    }

    private async Task KeepFreshAsync(string environment, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            // Taken before the attempt: a nudge during it (a secret fixed meanwhile) makes the next attempt at once.
            var nudges = tokens.Nudges(environment);
            try
            {
                // A failure is logged and counted by the provider, which also sets when to try again.
                await tokens.RefreshAsync(environment, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                Log.RefreshFailed(logger, environment, e.GetType().Name);
            }

            if (!gateway.Current.Environments.ContainsKey(environment))
            {
                return;
            }

            var sleep = tokens.NextRefreshAt(environment) - clock.GetUtcNow();
            using var wake = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, nudges);
            try
            {
                await Task.Delay(sleep < MinimumSleep ? MinimumSleep : sleep > MaximumSleep ? MaximumSleep : sleep, clock, wake.Token);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
                // Nudged: the environment's Auth0 settings changed.
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Error, "Background token refresh for environment {Environment} failed unexpectedly ({Error}); it will try again")]
        public static partial void RefreshFailed(ILogger logger, string environment, string error);
    }
}
