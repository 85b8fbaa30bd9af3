namespace DataForgeGateway.Tokens;

/// <summary>What one environment's token is stored and locked under, and how it is protected.</summary>
internal sealed record TokenScope(string Environment, string CacheKey, byte[] EncryptionKey, TimeSpan SafetyMargin);

/// <summary>
/// The token layer every replica shares (Redis), behind the in-process one, with a lock so that only one replica
/// asks Auth0. Every method treats a store that is down or slow as absent: it never fails a request.
/// </summary>
internal interface ISharedTokenStore
{
    /// <summary>The stored token, or null when there is none, it cannot be read, or the store is down.</summary>
    Task<AccessToken?> GetAsync(TokenScope scope, CancellationToken cancellationToken);

    /// <summary>Stores the token until it expires and tells waiting replicas.</summary>
    Task SetAsync(TokenScope scope, AccessToken token, CancellationToken cancellationToken);

    /// <summary>
    /// Tries to become the one replica that fetches. Null when there is no shared store to coordinate through
    /// (fetch alone); otherwise a lease that says whether this replica holds the lock.
    /// </summary>
    Task<TokenLease?> TryLockAsync(TokenScope scope, CancellationToken cancellationToken);

    /// <summary>
    /// Waits, up to <paramref name="timeout"/>, for the replica holding the lock to store a token that
    /// <paramref name="accept"/> takes, or to report that its token request failed.
    /// </summary>
    Task<SharedWait> WaitForTokenAsync(TokenScope scope, Func<AccessToken, bool> accept, TimeSpan timeout, CancellationToken cancellationToken);

    /// <summary>
    /// Records for every replica that this replica's token request failed and how long all should back off, and
    /// tells the waiting ones at once.
    /// </summary>
    Task PublishFailureAsync(TokenScope scope, TimeSpan retryAfter);

    /// <summary>How long replicas should still back off after a recent failure of any replica, or null.</summary>
    Task<TimeSpan?> RecentFailureAsync(TokenScope scope, CancellationToken cancellationToken);
}

/// <summary>What waiting on another replica's token request came to.</summary>
/// <param name="Token">The token it stored, if it did.</param>
/// <param name="FailedRetryAfter">When its request failed: how long to back off.</param>
internal readonly record struct SharedWait(AccessToken? Token, TimeSpan? FailedRetryAfter)
{
    public static SharedWait TimedOut => default;
}

/// <summary>The cross-replica lock, released when disposed (if this replica holds it).</summary>
internal sealed class TokenLease(bool acquired, Func<Task>? release) : IAsyncDisposable
{
    public bool Acquired { get; } = acquired;

    public async ValueTask DisposeAsync()
    {
        if (release is not null)
        {
            await release();
        }
    }
}

/// <summary>One replica, no Redis: the in-process layer is the whole cache.</summary>
internal sealed class NoSharedTokenStore : ISharedTokenStore
{
    public Task<AccessToken?> GetAsync(TokenScope scope, CancellationToken cancellationToken) => Task.FromResult<AccessToken?>(null);

    public Task SetAsync(TokenScope scope, AccessToken token, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task<TokenLease?> TryLockAsync(TokenScope scope, CancellationToken cancellationToken) => Task.FromResult<TokenLease?>(null);

    public Task<SharedWait> WaitForTokenAsync(TokenScope scope, Func<AccessToken, bool> accept, TimeSpan timeout, CancellationToken cancellationToken) =>
        Task.FromResult(SharedWait.TimedOut);

    public Task PublishFailureAsync(TokenScope scope, TimeSpan retryAfter) => Task.CompletedTask;

    public Task<TimeSpan?> RecentFailureAsync(TokenScope scope, CancellationToken cancellationToken) => Task.FromResult<TimeSpan?>(null);
}
