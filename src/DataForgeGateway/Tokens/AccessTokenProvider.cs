using System.Collections.Concurrent;
using DataForgeGateway.Routing;
using Microsoft.Extensions.Options;

namespace DataForgeGateway.Tokens;

/// <summary>
/// The token for an environment: from the in-process copy when it is usable (no I/O, no allocation), else from
/// the shared store, else from Auth0. Within a replica one request fetches while the others wait for its result.
/// </summary>
internal sealed partial class AccessTokenProvider(
    IOptionsMonitor<GatewayOptions> gateway,
    IOptionsMonitor<TokenOptions> tokenOptions,
    ISharedTokenStore shared,
    Auth0TokenClient auth0,
    TimeProvider clock,
    ILogger<AccessTokenProvider> logger)
{
    private readonly ConcurrentDictionary<string, Slot> _slots = new(StringComparer.Ordinal);

    public ValueTask<AccessToken> GetAsync(string environment, CancellationToken cancellationToken)
    {
        var slot = _slots.GetOrAdd(environment, static _ => new Slot());
        var token = slot.Current;
        return token is not null && token.IsUsableAt(clock.GetUtcNow())
            ? ValueTask.FromResult(token)
            : new ValueTask<AccessToken>(RefreshAsync(environment, slot, cancellationToken));
    }

    private async Task<AccessToken> RefreshAsync(string environment, Slot slot, CancellationToken cancellationToken)
    {
        await slot.Gate.WaitAsync(cancellationToken);
        try
        {
            // Whoever held the gate before us may have fetched it already.
            if (slot.Current is { } current && current.IsUsableAt(clock.GetUtcNow()))
            {
                return current;
            }

            var settings = gateway.CurrentValue.Environments[environment].Auth0;
            var margin = tokenOptions.CurrentValue.ExpirySafetyMargin;
            var key = TokenCacheKey.For(settings);
            var token = await shared.GetAsync(key, margin, cancellationToken);
            if (token is not null && token.IsUsableAt(clock.GetUtcNow()))
            {
                Log.TokenFromSharedCache(logger, environment, token.ExpiresAt);
            }
            else
            {
                token = await auth0.RequestAsync(environment, settings, margin, cancellationToken);
                Log.TokenFromAuth0(logger, environment, token.ExpiresAt);
                await shared.SetAsync(key, token, cancellationToken);
            }

            slot.Current = token;
            return token;
        }
        finally
        {
            slot.Gate.Release();
        }
    }

    private sealed class Slot
    {
        private volatile AccessToken? _current;

        public AccessToken? Current
        {
            get => _current;
            set => _current = value;
        }

        public SemaphoreSlim Gate { get; } = new(1, 1);
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Got a token for environment {Environment} from Auth0, expiring {ExpiresAt:O}")]
        public static partial void TokenFromAuth0(ILogger logger, string environment, DateTimeOffset expiresAt);

        [LoggerMessage(2, LogLevel.Information, "Got a token for environment {Environment} from the shared cache, expiring {ExpiresAt:O}")]
        public static partial void TokenFromSharedCache(ILogger logger, string environment, DateTimeOffset expiresAt);
    }
}
