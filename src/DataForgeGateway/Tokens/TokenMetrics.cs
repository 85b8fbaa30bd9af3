using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using DataForgeGateway.Primitives;

namespace DataForgeGateway.Tokens;

/// <summary>Where a request's token came from.</summary>
public enum TokenSource
{
    /// <summary>The replica's own copy: no I/O.</summary>
    Memory,

    /// <summary>The copy every replica shares.</summary>
    Redis,

    /// <summary>A new token from the token endpoint.</summary>
    Auth0,
}

/// <summary>
/// The token path's metrics and the span around each token request. Tags carry the environment and outcomes,
/// never a token, a secret or a client id.
/// </summary>
public sealed class TokenMetrics : FeatureMetrics
{
    public const string MeterName = "DataForgeGateway.Tokens";
    public static readonly ActivitySource ActivitySource = new(MeterName);

    private readonly Counter<long> _requests;
    private readonly Counter<long> _cacheHits;
    private readonly Counter<long> _refreshes;
    private readonly Counter<long> _echoes;
    private readonly ConcurrentDictionary<string, Func<DateTimeOffset?>> _expiries = new(StringComparer.Ordinal);

    public TokenMetrics(IMeterFactory meters, TimeProvider clock)
        : base(meters, MeterName)
    {
        _requests = Meter.CreateCounter<long>("dataforge_gateway.token.requests", "{request}", "Token requests sent to the token endpoint, by environment and outcome.");
        _cacheHits = Meter.CreateCounter<long>("dataforge_gateway.token.cache_hits", "{hit}", "Tokens served from a cache, by layer (memory, redis).");
        _refreshes = Meter.CreateCounter<long>("dataforge_gateway.token.refreshes", "{refresh}", "Token renewals, by trigger (background, expired, rejected).");
        _echoes = Meter.CreateCounter<long>("dataforge_gateway.token.echoed", "{response}", "DataForge responses that echoed the gateway's token (masked before they reached the caller), by environment.");
        Meter.CreateObservableGauge(
            "dataforge_gateway.token.remaining_lifetime",
            () => _expiries.Select(e => (Environment: e.Key, ExpiresAt: e.Value()))
                .Where(e => e.ExpiresAt is not null)
                .Select(e => new Measurement<double>((e.ExpiresAt!.Value - clock.GetUtcNow()).TotalSeconds, Tag("environment", e.Environment))),
            "s",
            "Seconds until the replica's current token expires, by environment.");
    }

    /// <summary>The span around one token request to Auth0 (none when nothing listens).</summary>
    public static Activity? StartTokenRequest(string environment, string trigger)
    {
        var activity = ActivitySource.StartActivity("auth0 token request", ActivityKind.Client);
        activity?.SetTag("dataforge.environment", environment);
        activity?.SetTag("dataforge.token.trigger", trigger);
        return activity;
    }

    /// <summary>Counts a token request by its outcome, and marks its span with it.</summary>
    public void TokenRequested(string environment, TokenResult result, Activity? activity)
    {
        var outcome = result.Succeeded ? "success" : result.Failure.ToString().ToLowerInvariant();
        _requests.Add(1, Tag("environment", environment), Tag("outcome", outcome));
        activity?.SetTag("dataforge.token.outcome", outcome);
        if (!result.Succeeded)
        {
            activity?.SetStatus(ActivityStatusCode.Error, outcome);
        }
    }

    public void CacheHit(string environment, TokenSource layer) =>
        _cacheHits.Add(1, Tag("environment", environment), Tag("layer", layer == TokenSource.Memory ? "memory" : "redis"));

    public void Refreshed(string environment, string trigger) =>
        _refreshes.Add(1, Tag("environment", environment), Tag("trigger", trigger));

    public void Echoed(string environment) => _echoes.Add(1, Tag("environment", environment));

    /// <summary>Reports the remaining lifetime of this environment's current token from now on.</summary>
    public void Track(string environment, Func<DateTimeOffset?> expiresAt)
    {
        if (_expiries.TryAdd(environment, expiresAt))
        {
            // Counters of a known label set start at zero: a healthy dashboard shows no renewal as 0, not "No data".
            foreach (var trigger in TriggerRule.Names)
            {
                _refreshes.Add(0, Tag("environment", environment), Tag("trigger", trigger));
            }
        }

        _expiries[environment] = expiresAt;
    }
}
