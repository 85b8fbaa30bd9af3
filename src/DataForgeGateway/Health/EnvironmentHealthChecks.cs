using DataForgeGateway.Primitives;
using DataForgeGateway.Settings;
using DataForgeGateway.Tokens;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace DataForgeGateway.Health;

/// <summary>
/// Whether this replica holds a token it may send for the environment: Healthy (Ready) with one, Unhealthy (not Ready)
/// without: every request would get 503, and a rollout must not replace working pods with such a one. The background
/// refresh looks in Redis (a peer's token) and asks Auth0 meanwhile; this reads the cache only: a probe never asks
/// Auth0 for anything.
/// </summary>
internal sealed class TokenHealthCheck(string environment, AccessTokenProvider tokens, TimeProvider clock) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var token = tokens.Peek(environment);
        var now = clock.GetUtcNow();
        var data = new Dictionary<string, object>();
        if (token is not null)
        {
            data["expires_in_seconds"] = Math.Max(0, (long)(token.ExpiresAt - now).TotalSeconds);
        }

        return Task.FromResult(tokens.ReadinessOf(environment) switch
        {
            TokenReadiness.Usable => HealthCheckResult.Healthy($"A token for '{environment}' is cached.", data),

            // Not ready: this replica cannot serve as configured, and a rollout with a broken Secret must stop here.
            TokenReadiness.Refused => HealthCheckResult.Unhealthy($"No token for '{environment}', and none will come as configured: Auth0 refuses the credentials or DataForge refuses the tokens (check client id, secret and audience).", data: data),

            // Not ready either: no token from memory, Redis or Auth0 yet (Auth0 down or slow, or the replica just started).
            _ => HealthCheckResult.Unhealthy($"No usable token for '{environment}' yet: requests get 503 until one comes from Redis or Auth0.", data: data),
        });
    }
}

/// <summary>
/// Whether DataForge answers at all (any HTTP status will do). The answer is kept for a while, so that probes of
/// many replicas do not become traffic of their own.
/// </summary>
internal sealed class DataForgeReachabilityCheck(string environment, LiveOptions<GatewayOptions> gateway, IHttpClientFactory clients, TimeProvider clock) : IHealthCheck, IDisposable
{
    public const string HttpClientName = "dataforge-health";
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(30);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private (DateTimeOffset At, HealthCheckResult Result)? _last;

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (_last is { } last && clock.GetUtcNow() - last.At < CacheFor)
        {
            return last.Result;
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_last is { } fresh && clock.GetUtcNow() - fresh.At < CacheFor)
            {
                return fresh.Result;
            }

            var result = await ProbeAsync(context, cancellationToken);
            _last = (clock.GetUtcNow(), result);
            return result;
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();

    private async Task<HealthCheckResult> ProbeAsync(HealthCheckContext context, CancellationToken cancellationToken)
    {
        if (!gateway.Current.Environments.TryGetValue(environment, out var settings))
        {
            return HealthCheckResult.Healthy($"'{environment}' is no longer configured.");
        }

        try
        {
            using var response = await clients.CreateClient(HttpClientName).GetAsync(settings.BaseUrl, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            return HealthCheckResult.Healthy($"DataForge '{environment}' answers ({(int)response.StatusCode}).");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"DataForge '{environment}' does not answer ({e.GetType().Name}).");
        }
    }
}
