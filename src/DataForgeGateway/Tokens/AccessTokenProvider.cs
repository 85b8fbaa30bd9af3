using System.Collections.Concurrent;
using System.Diagnostics;
using DataForgeGateway.Primitives;
using DataForgeGateway.Settings;

namespace DataForgeGateway.Tokens;

/// <summary>
/// The token for an environment. A request is served from the in-process copy while it is usable (no I/O, no
/// allocation). Otherwise one request per replica looks in Redis, then takes the Redis lock and asks Auth0 while
/// every other request and replica waits for its answer. A background refresh renews the token before any
/// request needs it; failures back off with jitter so Auth0 is never hammered.
/// </summary>
internal sealed partial class AccessTokenProvider(
    LiveOptions<GatewayOptions> gateway,
    LiveOptions<TokenOptions> tokenOptions,
    ISharedTokenStore shared,
    Auth0TokenClient auth0,
    TokenMetrics metrics,
    TimeProvider clock,
    ILogger<AccessTokenProvider> logger)
{
    private readonly ConcurrentDictionary<string, TokenSlot> _slots = new(StringComparer.Ordinal);

    /// <summary>Why a token is being renewed.</summary>
    internal enum Trigger
    {
        /// <summary>No usable token: a request is waiting.</summary>
        Expired,

        /// <summary>DataForge refused the token a request carried.</summary>
        Rejected,

        /// <summary>The background refresh, before the token is needed.</summary>
        Background,
    }

    /// <summary>The token to send now. Completes synchronously whenever the in-process copy is usable.</summary>
    public ValueTask<AccessToken> GetAsync(string environment, CancellationToken cancellationToken)
    {
        var slot = SlotFor(environment);
        var token = slot.State.Token;
        if (token is not null && token.IsUsableAt(clock.GetUtcNow()))
        {
            metrics.CacheHit(environment, TokenSource.Memory);
            return ValueTask.FromResult(token);
        }

        return new ValueTask<AccessToken>(AcquireAsync(environment, slot, Trigger.Expired, rejected: null, cancellationToken));
    }

    /// <summary>
    /// DataForge refused <paramref name="rejected"/>: drop it if it is still the current token and get another.
    /// A burst of refusals of one token causes one renewal. A token that had served requests was revoked and is
    /// renewed at once; while DataForge refuses tokens it never accepted (a wrong audience), renewals back off.
    /// </summary>
    public Task<AccessToken> RenewAsync(string environment, AccessToken rejected, CancellationToken cancellationToken) =>
        AcquireAsync(environment, SlotFor(environment), Trigger.Rejected, rejected, cancellationToken);

    /// <summary>The background refresh: renews the token once it is past its refresh point.</summary>
    public Task<AccessToken> RefreshAsync(string environment, CancellationToken cancellationToken) =>
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
    public TokenReadiness ReadinessOf(string environment)
    {
        var state = SlotFor(environment).State;
        if (state.Token is { } token && token.IsUsableAt(clock.GetUtcNow()))
        {
            return TokenReadiness.Usable;
        }

        return state.LastFailure?.Failure == TokenFailure.Rejected || state.Token is { Refused: true, Accepted: false } && state.Refusals > 0
            ? TokenReadiness.Refused
            : TokenReadiness.Unavailable;
    }

    /// <summary>The replica's current token for an environment, usable or not, without fetching one.</summary>
    public AccessToken? Peek(string environment) => _slots.TryGetValue(environment, out var slot) ? slot.State.Token : null;

    private TokenSlot SlotFor(string environment) => _slots.GetOrAdd(environment, static (name, metrics) =>
    {
        var slot = new TokenSlot();
        metrics.Track(name, () => slot.State.Token?.ExpiresAt);
        return slot;
    }, metrics);

    private async Task<AccessToken> AcquireAsync(string environment, TokenSlot slot, Trigger trigger, AccessToken? rejected, CancellationToken cancellationToken)
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
            var now = clock.GetUtcNow();
            if (current is not null && !NeedsRenewal(state, current, trigger, now))
            {
                return current;
            }

            if (current is { Refused: true })
            {
                // A token that served requests and is then refused was revoked: renew at once. One DataForge never
                // accepted, right after a renewal for the same reason, says it refuses even fresh tokens (a wrong
                // audience, say): renewing on every request would only spend Auth0's quota, so renewals back off.
                var brakeUntil = state.AdoptedAt + BrakeDelay(state.Refusals);
                if (!current.Accepted && state.Refusals > 0 && now < brakeUntil)
                {
                    throw new TokenRequestException(
                        TokenFailure.Rejected, $"DataForge refuses new tokens of environment '{environment}'; the next renewal waits.", brakeUntil - now);
                }

                rejected ??= current;
                trigger = trigger == Trigger.Background ? trigger : Trigger.Rejected;
            }

            if (now < state.NextAttemptAt && state.LastFailure is { } failure)
            {
                // Backing off: a burst of requests during an outage does not become a burst at Auth0.
                return current is not null && current.IsUsableAt(now) && trigger != Trigger.Rejected
                    ? current
                    : throw failure.WithRetryAfter(state.NextAttemptAt - now);
            }

            return await RenewAsync(environment, slot, current, trigger, rejected, cancellationToken);
        }
        finally
        {
            slot.Gate.Release();
        }
    }

    private static bool NeedsRenewal(SlotState state, AccessToken current, Trigger trigger, DateTimeOffset now) => trigger switch
    {
        Trigger.Background => now >= state.RefreshAt || !current.IsUsableAt(now),
        _ => !current.IsUsableAt(now),
    };

    /// <summary>How long renewals wait after the <paramref name="refusals"/>th refusal in a row of tokens DataForge never accepted.</summary>
    private TimeSpan BrakeDelay(int refusals) => tokenOptions.Current.ExponentialDelay(refusals);

    private async Task<AccessToken> RenewAsync(
        string environment, TokenSlot slot, AccessToken? current, Trigger trigger, AccessToken? rejected, CancellationToken cancellationToken)
    {
        var settings = gateway.Current.Environments[environment].Auth0;
        var options = tokenOptions.Current;
        var scope = new TokenScope(environment, TokenCacheKey.For(settings), TokenProtector.KeyFor(settings, options.EncryptionKey), options.ExpirySafetyMargin);

        // A token is worth taking from another replica if it is usable, not the one DataForge refused, and,
        // for a background refresh, newer than ours.
        bool Acceptable(AccessToken candidate) =>
            candidate.IsUsableAt(clock.GetUtcNow())
            && candidate.Value != rejected?.Value
            && (trigger != Trigger.Background || current is null || candidate.ExpiresAt > current.ExpiresAt);

        if (await shared.GetAsync(scope, cancellationToken) is { } stored && Acceptable(stored))
        {
            return Adopt(environment, slot, stored, TokenSource.Redis, trigger);
        }

        if (await shared.RecentFailureAsync(scope, cancellationToken) is { } backOff)
        {
            // Another replica just failed to get a token: back off with it rather than ask Auth0 again.
            return Failed(environment, slot, current, trigger, new TokenRequestException(
                TokenFailure.Unavailable, $"No token for environment '{environment}': another replica's token request failed.", backOff));
        }

        await using (var lease = await shared.TryLockAsync(scope, cancellationToken))
        {
            if (lease is { Acquired: false })
            {
                // Another replica is asking Auth0: take its token, or its failure (so that an outage is not
                // asked about once per replica). If it crashed, its lock expires and we ask ourselves.
                var waited = await shared.WaitForTokenAsync(scope, Acceptable, options.LockTimeout, cancellationToken);
                if (waited.Token is { } fetched)
                {
                    return Adopt(environment, slot, fetched, TokenSource.Redis, trigger);
                }

                if (waited.FailedRetryAfter is { } retryAfter)
                {
                    return Failed(environment, slot, current, trigger, new TokenRequestException(
                        TokenFailure.Unavailable, $"No token for environment '{environment}': another replica's token request failed.", retryAfter));
                }
            }
            else if (lease is { Acquired: true } && await shared.GetAsync(scope, cancellationToken) is { } storedMeanwhile && Acceptable(storedMeanwhile))
            {
                return Adopt(environment, slot, storedMeanwhile, TokenSource.Redis, trigger);
            }

            var token = await FetchAsync(environment, slot, settings, scope, current, trigger, cancellationToken);
            await shared.SetAsync(scope, token, cancellationToken);
            return Adopt(environment, slot, token, TokenSource.Auth0, trigger);
        }
    }

    private async Task<AccessToken> FetchAsync(
        string environment, TokenSlot slot, Auth0Options settings, TokenScope scope, AccessToken? current, Trigger trigger, CancellationToken cancellationToken)
    {
        using var activity = TokenMetrics.ActivitySource.StartActivity("auth0 token request", ActivityKind.Client);
        activity?.SetTag("dataforge.environment", environment);
        activity?.SetTag("dataforge.token.trigger", TriggerName(trigger));
        try
        {
            // A request's cancellation must not waste a fetch every waiting request needs.
            var token = await auth0.RequestAsync(environment, settings, scope.SafetyMargin, trigger == Trigger.Background ? cancellationToken : CancellationToken.None);
            metrics.TokenRequested(environment, "success");
            activity?.SetTag("dataforge.token.outcome", "success");
            return token;
        }
        catch (TokenRequestException e)
        {
            var outcome = e.Failure.ToString().ToLowerInvariant();
            metrics.TokenRequested(environment, outcome);
            activity?.SetTag("dataforge.token.outcome", outcome);
            activity?.SetStatus(ActivityStatusCode.Error, outcome);
            try
            {
                return Failed(environment, slot, current, trigger, e);
            }
            finally
            {
                await shared.PublishFailureAsync(scope, slot.State.NextAttemptAt - clock.GetUtcNow());
            }
        }
    }

    /// <summary>Backs off after a failure; keeps serving the cached token to the background refresh while it may be sent.</summary>
    private AccessToken Failed(string environment, TokenSlot slot, AccessToken? current, Trigger trigger, TokenRequestException e)
    {
        var state = slot.State;
        var failures = state.Failures + 1;
        var delay = Backoff(failures, e.RetryAfter);
        var now = clock.GetUtcNow();
        slot.State = state with { Failures = failures, NextAttemptAt = now + delay, LastFailure = e };
        Log.TokenUnavailable(logger, environment, e.Failure, failures, delay);
        return current is not null && current.IsUsableAt(now) && trigger == Trigger.Background
            ? current
            : throw e.WithRetryAfter(delay);
    }

    private AccessToken Adopt(string environment, TokenSlot slot, AccessToken token, TokenSource source, Trigger trigger)
    {
        var state = slot.State;
        if (ReferenceEquals(state.Token, token))
        {
            return token;
        }

        var options = tokenOptions.Current;
        var lifetime = token.ExpiresAt - token.IssuedAt;
        var share = options.RefreshAfter + (((Random.Shared.NextDouble() * 2) - 1) * options.RefreshJitter);
        var replaced = state.Token;
        var refusals = replaced is { Refused: true } ? (replaced.Accepted ? 1 : state.Refusals + 1) : 0;
        var refreshAt = token.IssuedAt + (lifetime * share);
        token.Origin = source;
        slot.State = new SlotState(token, refreshAt, clock.GetUtcNow(), 0, DateTimeOffset.MinValue, null, refusals);
        if (source == TokenSource.Redis)
        {
            metrics.CacheHit(environment, TokenSource.Redis);
        }

        if (replaced is not null)
        {
            metrics.Refreshed(environment, TriggerName(trigger));
        }

        Log.TokenAdopted(logger, environment, source, token.ExpiresAt, refreshAt);
        return token;
    }

    private TimeSpan Backoff(int failures, TimeSpan? retryAfter)
    {
        var options = tokenOptions.Current;
        var capped = options.ExponentialDelay(failures);

        // Equal jitter: at least half the delay, so replicas that failed together do not retry together.
        var delay = (capped / 2) + (capped / 2 * Random.Shared.NextDouble());

        // Auth0's Retry-After (or another replica's failure marker) is honoured up to RetryMaxDelay and no longer:
        // a confused endpoint asking for ten minutes must not stop token fetching for ten minutes.
        return retryAfter is { } asked && options.AtMostRetryMaxDelay(asked) is var honoured && honoured > delay ? honoured : delay;
    }

    private static string TriggerName(Trigger trigger) => trigger switch
    {
        Trigger.Rejected => "rejected",
        Trigger.Background => "background",
        _ => "expired",
    };

    /// <summary>One environment's token on this replica: its state is replaced whole under the gate and read without it.</summary>
    private sealed class TokenSlot
    {
        private volatile SlotState _state = SlotState.Empty;

        public SlotState State
        {
            get => _state;
            set => _state = value;
        }

        public SemaphoreSlim Gate { get; } = new(1, 1);
    }

    /// <param name="Token">The token requests are given.</param>
    /// <param name="RefreshAt">When the background refresh renews it.</param>
    /// <param name="AdoptedAt">When this replica took it.</param>
    /// <param name="Failures">Token requests failed in a row.</param>
    /// <param name="NextAttemptAt">No token request before this, after a failure.</param>
    /// <param name="LastFailure">What the last failed token request came to.</param>
    /// <param name="Refusals">Renewals in a row that replaced a token DataForge refused without ever accepting it.</param>
    private sealed record SlotState(
        AccessToken? Token,
        DateTimeOffset RefreshAt,
        DateTimeOffset AdoptedAt,
        int Failures,
        DateTimeOffset NextAttemptAt,
        TokenRequestException? LastFailure,
        int Refusals)
    {
        public static readonly SlotState Empty = new(null, default, default, 0, DateTimeOffset.MinValue, null, 0);
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Token for environment {Environment} from {Source}, expiring {ExpiresAt:O}, refresh due {RefreshAt:O}")]
        public static partial void TokenAdopted(ILogger logger, string environment, TokenSource source, DateTimeOffset expiresAt, DateTimeOffset refreshAt);

        [LoggerMessage(2, LogLevel.Warning, "No token for environment {Environment} ({Failure}, failure {Failures} in a row); next attempt in {Delay}")]
        public static partial void TokenUnavailable(ILogger logger, string environment, TokenFailure failure, int failures, TimeSpan delay);
    }
}

/// <summary>Whether a replica can serve an environment, as far as its token goes.</summary>
internal enum TokenReadiness
{
    /// <summary>A usable token is held.</summary>
    Usable,

    /// <summary>None now, for a reason that passes (Auth0 down, slow, rate limiting).</summary>
    Unavailable,

    /// <summary>None, and none will come as configured: Auth0 refuses the credentials, or DataForge refuses even fresh tokens.</summary>
    Refused,
}
