using DataForgeGateway.Primitives;

namespace DataForgeGateway.Tokens;

/// <summary>
/// The cross-replica token sequence, in one place: the token in Redis if it will do; else another replica's recent
/// failure; else the lock, so that one replica asks Auth0 while the others wait for its token or its failure;
/// then fetch, and store the token or announce the failure. A failure is never stored as a token.
/// </summary>
internal sealed class RedisTokenStore(RedisTokenCache redis, LiveOptions<TokenOptions> options) : ITokenStore
{
    public async Task<TokenResult> AcquireAsync(
        TokenScope scope, Func<AccessToken, bool> acceptable, Func<Task<TokenResult>> fetch, CancellationToken cancellationToken)
    {
        if (await redis.GetAsync(scope, cancellationToken) is { } stored && acceptable(stored))
        {
            return TokenResult.Success(stored, TokenSource.Redis);
        }

        if (await redis.RecentFailureAsync(scope, cancellationToken) is { } backOff)
        {
            // Another replica just failed to get a token: back off with it rather than ask Auth0 again.
            return AnotherReplicaFailed(scope, backOff);
        }

        await using (var lease = await redis.TryLockAsync(scope, cancellationToken))
        {
            if (lease is { Acquired: false })
            {
                // Another replica is asking Auth0: take its token, or its failure. If it crashed, its lock expires
                // and this replica asks itself.
                var waited = await redis.WaitForTokenAsync(scope, acceptable, options.Current.LockTimeout, cancellationToken);
                if (waited.Token is { } fetched)
                {
                    return TokenResult.Success(fetched, TokenSource.Redis);
                }

                if (waited.FailedRetryAfter is { } retryAfter)
                {
                    return AnotherReplicaFailed(scope, retryAfter);
                }
            }
            else if (lease is { Acquired: true } && await redis.GetAsync(scope, cancellationToken) is { } storedMeanwhile && acceptable(storedMeanwhile))
            {
                return TokenResult.Success(storedMeanwhile, TokenSource.Redis);
            }

            var result = await fetch();
            if (result.Succeeded)
            {
                await redis.SetAsync(scope, result.Token, cancellationToken);
            }
            else if (result.RetryAfter is { } retryAfter)
            {
                await redis.PublishFailureAsync(scope, retryAfter);
            }

            return result;
        }
    }

    private static TokenResult AnotherReplicaFailed(TokenScope scope, TimeSpan retryAfter) => TokenResult.Failed(
        TokenFailure.Unavailable, $"No token for environment '{scope.Environment}': another replica's token request failed.", retryAfter, TokenSource.Redis);
}
