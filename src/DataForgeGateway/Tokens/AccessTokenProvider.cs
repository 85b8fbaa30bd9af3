using System.Collections.Concurrent;
using DataForgeGateway.Primitives;
using DataForgeGateway.Settings;

namespace DataForgeGateway.Tokens;

/// <summary>
/// The token for an environment. A request is served from the in-process copy while it is usable (no I/O, no
/// allocation). Otherwise one request per replica renews it through the <see cref="ITokenStore"/> (Redis, then
/// Auth0, one replica at a time) while the others wait at the slot's gate. A background refresh renews the token
/// before any request needs it; failures back off with jitter so Auth0 is never hammered. How each trigger behaves
/// is one table (<see cref="TriggerRule"/>).
/// </summary>
internal sealed partial class AccessTokenProvider
{
    private readonly ConcurrentDictionary<string, TokenSlot> _slots = new(StringComparer.Ordinal);
    private readonly LiveOptions<GatewayOptions> _gateway;
    private readonly LiveOptions<TokenOptions> _options;
    private readonly ITokenStore _store;
    private readonly Auth0TokenClient _auth0;
    private readonly TokenMetrics _metrics;
    private readonly TimeProvider _clock;
    private readonly TokenJitter _jitter;
    private readonly StorageKeys _keys;
    private readonly ILogger<AccessTokenProvider> _logger;
    private Dictionary<string, Auth0Options> _auth0Settings;

    public AccessTokenProvider(
        LiveOptions<GatewayOptions> gateway,
        LiveOptions<TokenOptions> options,
        ITokenStore store,
        Auth0TokenClient auth0,
        TokenMetrics metrics,
        TimeProvider clock,
        TokenJitter jitter,
        StorageKeys keys,
        ILogger<AccessTokenProvider> logger)
    {
        (_gateway, _options, _store, _auth0, _metrics, _clock, _jitter, _keys, _logger) = (gateway, options, store, auth0, metrics, clock, jitter, keys, logger);

        // Slots for the configured environments up front: their gauges exist before the first request. Invalid
        // options create none here: start-up validation then stops the gateway with its one line naming the key.
        _auth0Settings = [];
        try
        {
            foreach (var environment in gateway.Current.Environments.Keys)
            {
                SlotFor(environment);
            }

            _auth0Settings = Auth0SettingsOf(gateway.Current);
        }
        catch (Microsoft.Extensions.Options.OptionsValidationException)
        {
        }

        gateway.Changed += OnGatewayChanged;
    }

    /// <summary>The token to send now. Completes synchronously, allocating nothing, whenever the in-process copy is usable.</summary>
    public ValueTask<TokenResult> GetAsync(string environment, CancellationToken cancellationToken)
    {
        var slot = SlotFor(environment);
        var state = slot.State;
        if (state.Token is { } token && token.IsUsableAt(_clock.GetUtcNow()))
        {
            _metrics.CacheHit(environment, TokenSource.Memory);
            return ValueTask.FromResult(state.Served!);
        }

        return new ValueTask<TokenResult>(AcquireAsync(environment, slot, Trigger.Expired, rejected: null, cancellationToken));
    }

    /// <summary>
    /// DataForge refused <paramref name="rejected"/>: drop it if it is still the current token and get another.
    /// A burst of refusals of one token causes one renewal. A token that had served requests was revoked and is
    /// renewed at once; while DataForge refuses tokens it never accepted (a wrong audience), renewals back off.
    /// </summary>
    public Task<TokenResult> RenewAsync(string environment, AccessToken rejected, CancellationToken cancellationToken) =>
        AcquireAsync(environment, SlotFor(environment), Trigger.Rejected, rejected, cancellationToken);

    /// <summary>The background refresh: renews the token once it is past its refresh point.</summary>
    public Task<TokenResult> RefreshAsync(string environment, CancellationToken cancellationToken) =>
        AcquireAsync(environment, SlotFor(environment), Trigger.Background, rejected: null, cancellationToken);

    /// <summary>When the background refresh should next look at this environment.</summary>
    public DateTimeOffset NextRefreshAt(string environment)
    {
        var state = SlotFor(environment).State;
        return state.Token is null || state.Failures > 0 ? state.NextAttemptAt : state.RefreshAt;
    }

    /// <summary>
    /// Whether this replica can serve the environment: a usable token; none because something passing may clear
    /// (Auth0 down, slow, rate limiting); or none because it cannot work as configured (Auth0 refuses the
    /// credentials, or DataForge refuses even fresh tokens). Read without I/O.
    /// </summary>
    public TokenReadiness ReadinessOf(string environment) => SlotFor(environment).State.Readiness(_clock.GetUtcNow());

    /// <summary>Cancelled when the background refresh of <paramref name="environment"/> should look again at once.</summary>
    public CancellationToken Nudges(string environment) => SlotFor(environment).Nudges;

    /// <summary>The replica's current token for an environment, usable or not, without fetching one.</summary>
    public AccessToken? Peek(string environment) => _slots.TryGetValue(environment, out var slot) ? slot.State.Token : null;

    private static Dictionary<string, Auth0Options> Auth0SettingsOf(GatewayOptions options) =>
        options.Environments.ToDictionary(pair => pair.Key, pair => pair.Value.Auth0, StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// An environment whose Auth0 settings changed (a fixed secret, another audience) is tried again at once: its
    /// back-off belonged to the old settings. A token got for other parameters than the new ones is dropped; one got
    /// with the old secret stays good.
    /// </summary>
    private void OnGatewayChanged(GatewayOptions options)
    {
        var before = _auth0Settings;
        _auth0Settings = Auth0SettingsOf(options);
        foreach (var (environment, settings) in _auth0Settings)
        {
            if (before.TryGetValue(environment, out var old) && !Auth0Options.SameSettings(old, settings))
            {
                _ = ResetAsync(environment, dropToken: TokenCacheKey.For(old) != TokenCacheKey.For(settings));
            }
        }
    }

    private async Task ResetAsync(string environment, bool dropToken)
    {
        var slot = SlotFor(environment);
        await slot.Gate.WaitAsync();
        try
        {
            var state = slot.State;
            slot.State = dropToken ? SlotState.Empty : state with { Failures = 0, NextAttemptAt = DateTimeOffset.MinValue, LastFailure = null, Refusals = 0 };
        }
        finally
        {
            slot.Gate.Release();
        }

        Log.SettingsChanged(_logger, environment);
        slot.Nudge();
    }

    private TokenSlot SlotFor(string environment) => _slots.GetOrAdd(environment, static (name, metrics) =>
    {
        var slot = new TokenSlot();
        metrics.Track(name, () => slot.State.Token?.ExpiresAt);
        return slot;
    }, _metrics);

    private async Task<TokenResult> AcquireAsync(string environment, TokenSlot slot, Trigger trigger, AccessToken? rejected, CancellationToken cancellationToken)
    {
        await slot.Gate.WaitAsync(cancellationToken);
        try
        {
            var state = slot.State;
            var current = state.Token;
            if (current is not null && rejected is not null && (ReferenceEquals(current, rejected) || current.Value == rejected.Value))
            {
                current.MarkRefused();
            }

            // Whoever held the gate before us may have done the work already.
            var now = _clock.GetUtcNow();
            if (current is not null && TriggerRule.For(trigger).StillGood(state, current, now))
            {
                return state.Served!;
            }

            if (current is { Refused: true })
            {
                // A token that served requests and is then refused was revoked: renew at once. One DataForge never
                // accepted, right after a renewal for the same reason, says it refuses even fresh tokens (a wrong
                // audience, say): renewing on every request would only spend Auth0's quota, so renewals back off.
                var brakeUntil = state.AdoptedAt + _options.Current.ExponentialDelay(state.Refusals);
                if (!current.Accepted && state.Refusals > 0 && now < brakeUntil)
                {
                    return TokenResult.Failed(
                        TokenFailure.Rejected, $"DataForge refuses new tokens of environment '{environment}'; the next renewal waits.", brakeUntil - now);
                }

                rejected ??= current;
                trigger = trigger == Trigger.Background ? trigger : Trigger.Rejected;
            }

            var rule = TriggerRule.For(trigger);
            if (now < state.NextAttemptAt && state.LastFailure is { } failure)
            {
                // Backing off: a burst of requests during an outage does not become a burst at Auth0.
                return rule.KeepsUsableToken && current is not null && current.IsUsableAt(now) ? state.Served! : failure.WithRetryAfter(state.NextAttemptAt - now);
            }

            return await RenewAsync(environment, slot, rule, rejected, cancellationToken);
        }
        finally
        {
            slot.Gate.Release();
        }
    }

    private async Task<TokenResult> RenewAsync(string environment, TokenSlot slot, TriggerRule rule, AccessToken? rejected, CancellationToken cancellationToken)
    {
        var settings = _gateway.Current.Environments[environment].Auth0;
        var options = _options.Current;
        var scope = new TokenScope(environment, TokenCacheKey.For(settings), _keys.For(settings), options.ExpirySafetyMargin);
        var current = slot.State.Token;

        // A token is worth taking from another replica if it is usable, not the one DataForge refused, and, when
        // the rule asks for it, newer than ours.
        bool Acceptable(AccessToken candidate) =>
            candidate.IsUsableAt(_clock.GetUtcNow())
            && candidate.Value != rejected?.Value
            && (!rule.WantsNewer || current is null || candidate.ExpiresAt > current.ExpiresAt);

        var result = await _store.AcquireAsync(scope, Acceptable, () => FetchAsync(environment, slot, settings, scope, rule, cancellationToken), cancellationToken);
        if (result.Succeeded)
        {
            return Adopt(environment, slot, result, rule);
        }

        // This replica's own failure carries the back-off it computed; another replica's is backed off from anew.
        var delay = result.Source == TokenSource.Auth0 && result.RetryAfter is { } computed ? computed : Backoff(slot, result);
        return Failed(environment, slot, rule, result, delay);
    }

    /// <summary>Asks Auth0; a failure comes back with the back-off this replica will keep, for the store to announce.</summary>
    private async Task<TokenResult> FetchAsync(string environment, TokenSlot slot, Auth0Options settings, TokenScope scope, TriggerRule rule, CancellationToken cancellationToken)
    {
        using var activity = TokenMetrics.StartTokenRequest(environment, rule.Name);
        var result = await _auth0.RequestAsync(environment, settings, scope.SafetyMargin, rule.FollowsCancellation ? cancellationToken : CancellationToken.None);
        _metrics.TokenRequested(environment, result, activity);
        if (result.Succeeded)
        {
            return result;
        }

        return result.WithRetryAfter(Backoff(slot, result));
    }

    /// <summary>Backs off after a failure; a trigger that keeps a usable token is answered with it meanwhile.</summary>
    private TokenResult Failed(string environment, TokenSlot slot, TriggerRule rule, TokenResult failure, TimeSpan delay)
    {
        var state = slot.State;
        var now = _clock.GetUtcNow();
        var failed = failure.WithRetryAfter(delay);
        slot.State = state with { Failures = state.Failures + 1, NextAttemptAt = now + delay, LastFailure = failed };
        Log.TokenUnavailable(_logger, environment, failure.Failure, state.Failures + 1, delay);
        return rule.KeepsUsableToken && state.Token is { } current && current.IsUsableAt(now) ? state.Served! : failed;
    }

    private TokenResult Adopt(string environment, TokenSlot slot, TokenResult result, TriggerRule rule)
    {
        var token = result.Token!;
        var state = slot.State;
        if (ReferenceEquals(state.Token, token))
        {
            return state.Served!;
        }

        var options = _options.Current;
        var lifetime = token.ExpiresAt - token.IssuedAt;
        var share = options.RefreshAfter + (((_jitter.Next() * 2) - 1) * options.RefreshJitter);
        var replaced = state.Token;
        var refusals = replaced is { Refused: true } ? (replaced.Accepted ? 1 : state.Refusals + 1) : 0;
        var refreshAt = token.IssuedAt + (lifetime * share);
        token.Origin = result.Source;
        slot.State = new SlotState(token, TokenResult.Success(token, TokenSource.Memory), refreshAt, _clock.GetUtcNow(), 0, DateTimeOffset.MinValue, null, refusals);
        if (result.Source == TokenSource.Redis)
        {
            _metrics.CacheHit(environment, TokenSource.Redis);
        }

        if (replaced is not null)
        {
            _metrics.Refreshed(environment, rule.Name);
        }

        Log.TokenAdopted(_logger, environment, result.Source, token.ExpiresAt, refreshAt);
        return result;
    }

    private TimeSpan Backoff(TokenSlot slot, TokenResult failure) =>
        _options.Current.Backoff(slot.State.Failures + 1, failure.RetryAfter, slot.State.WithoutToken(failure, _clock.GetUtcNow()), _jitter.Next());

    private static partial class Log
    {
        [LoggerMessage(3, LogLevel.Information, "Auth0 settings of environment {Environment} changed: its back-off is reset and a token is fetched at once if one is needed")]
        public static partial void SettingsChanged(ILogger logger, string environment);

        [LoggerMessage(1, LogLevel.Information, "Token for environment {Environment} from {Source}, expiring {ExpiresAt:O}, refresh due {RefreshAt:O}")]
        public static partial void TokenAdopted(ILogger logger, string environment, TokenSource source, DateTimeOffset expiresAt, DateTimeOffset refreshAt);

        [LoggerMessage(2, LogLevel.Warning, "No token for environment {Environment} ({Failure}, failure {Failures} in a row); next attempt in {Delay}")]
        public static partial void TokenUnavailable(ILogger logger, string environment, TokenFailure failure, int failures, TimeSpan delay);
    }
}
