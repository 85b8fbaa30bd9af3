namespace DataForgeGateway.Tokens;

/// <summary>What one environment's token is stored and locked under, and how it is protected.</summary>
internal sealed record TokenScope(string Environment, string CacheKey, byte[] EncryptionKey, TimeSpan SafetyMargin);

/// <summary>
/// Where a replica gets a token when its own copy will not do: the whole cross-replica sequence behind one call.
/// Never fails a request for its own sake: a store that is down or slow is treated as absent.
/// </summary>
internal interface ITokenStore
{
    /// <summary>
    /// A token <paramref name="acceptable"/> takes: one another replica stored, or that replica's failure (so an
    /// outage is asked about once, not once per replica), or what <paramref name="fetch"/> gets, which is then
    /// stored (a token) or announced (a failure, with its <see cref="TokenResult.RetryAfter"/>) for every replica.
    /// </summary>
    Task<TokenResult> AcquireAsync(TokenScope scope, Func<AccessToken, bool> acceptable, Func<Task<TokenResult>> fetch, CancellationToken cancellationToken);
}

/// <summary>One replica, no Redis: the in-process layer is the whole cache, and every renewal asks Auth0.</summary>
internal sealed class LocalTokenStore : ITokenStore
{
    public Task<TokenResult> AcquireAsync(TokenScope scope, Func<AccessToken, bool> acceptable, Func<Task<TokenResult>> fetch, CancellationToken cancellationToken) =>
        fetch();
}
